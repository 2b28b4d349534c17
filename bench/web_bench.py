"""Origin-page throughput against a bare aiohttp handler, side by side.

    python -m bench.web_bench [--seconds 10] [--rounds 3] [--pattern both|zipf|uniform]
                              [--hello-driver script|plain]

Builds (once, cached under bench/results/) a SQLite database with 20,000
products of 10,000 producers, photos, certifications, listings, 100,000
stamps and 1,000,000 recorded scans, using bulk core inserts. Then starts
two servers, each in its own process: the real web app (`bot.web.serve`) on
that database, and a bare aiohttp "hello" handler. Separate processes keep
the load generator's CPU out of the servers' event loops, as in production,
and give both servers the same conditions. Both are driven by 50
concurrent connections (wrk when installed, else 50 aiohttp clients) for a
fixed time, alternating, `--rounds` times each after a warm-up, and the
script prints requests per second and p99 latency per round, the medians
and the ratio. Target: page ≥ 50% of hello's throughput, page p99 < 50 ms.
Before the rounds it checks that the app answers real product pages.

With wrk, the pages are sent through a Lua `request()` hook (a random path
per request, all formatted up front). Hello is driven through the same hook
by default (it sends "GET /"), because wrk shares the machine's cores with
the servers and a hook costs it some 10-25% of its request rate; driving
only the pages through one would charge that to the page side.
`--hello-driver plain` drives hello without a script, as earlier versions
did. Each round also reports the server process's CPU time per request
(from /proc), a figure other load on the machine disturbs less than req/s.

Which products are asked for: `zipf` draws product codes with probability
∝ 1/rank over all 20,000 products, the usual shape of real traffic (a few
products sell most); `uniform` draws every product equally often, the worst
case for the page cache. `both` (default) runs zipf, then uniform, each
with freshly started servers on a fresh copy of the database, so nothing
one pattern warmed helps the other. Everything runs on 127.0.0.1 and stops
by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
PRODUCTS = 20_000
PRODUCERS = 10_000
STAMPS_PER_PRODUCT = 5
SCANS = 1_000_000
CONNECTIONS = 50
DB_VERSION = "v1"  # bump when the generated data changes
SEED = 20261123


# --- the database --------------------------------------------------------


def build_database(path: Path) -> list[str]:
    """Creates the benchmark database unless a cached one exists; returns the product codes."""
    codes_file = path.with_suffix(".codes.json")
    if path.exists() and codes_file.exists():
        codes: list[str] = json.loads(codes_file.read_text())
        return codes
    from storage.db import upgrade

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    upgrade(f"sqlite+aiosqlite:///{partial}")
    codes = _fill(partial)
    partial.rename(path)
    codes_file.write_text(json.dumps(codes))
    print(f"built {path.name} in {time.perf_counter() - started:.1f} s", flush=True)
    return codes


def _fill(path: Path) -> list[str]:
    from bot.core.codes import new_product_code
    from bot.labels.serials import new_serials

    rng = random.Random(SEED)
    now = dt.datetime(2026, 11, 23, 3, 0).isoformat(sep=" ")
    codes: dict[str, None] = {}
    while len(codes) < PRODUCTS:
        codes[new_product_code()] = None
    code_list = list(codes)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    with db:
        db.executemany(
            "INSERT INTO producers (id, name, name_folded, kind, representative, phone,"
            " province_code, ward_code, address, latitude, longitude, show_phone,"
            " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    i,
                    f"HTX Nông sản số {i}",
                    f"htx nong san so {i}",
                    ("household", "cooperative", "coop_group", "enterprise")[i % 4],
                    "Nguyễn Văn A",
                    "+84912345678",
                    19,
                    5503,
                    "Thôn 1",
                    21.59 if i % 2 else None,
                    105.77 if i % 2 else None,
                    i % 3 == 0,
                    now,
                    now,
                )
                for i in range(1, PRODUCERS + 1)
            ),
        )
        db.executemany(
            'INSERT INTO products (id, code, producer_id, name, name_folded, "group",'
            " subgroup, stars, cert_number, cert_date, cert_expiry, description, story,"
            " price_vnd, unit, net_amount, net_unit, shelf_life, ingredients,"
            " growing_area_code, gtin, review_status, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    i,
                    code,
                    (i - 1) % PRODUCERS + 1,
                    f"Chè búp Tân Cương loại {i}",
                    f"che bup tan cuong loai {i}",
                    "food",
                    "tea",
                    3 + i % 3,
                    f"{i}/QĐ-UBND",
                    "2024-03-15",
                    "2027-03-15" if i % 5 else "2025-03-15",
                    "Chè búp một tôm hai lá, sao tay trên chảo gang.",
                    "Ba thế hệ làm chè bên hồ Núi Cốc.",
                    50_000 + (i % 40) * 5_000,
                    "hộp",
                    200,
                    "g",
                    "P12M",
                    "100% búp chè",
                    f"VN-TN-{i:05d}",
                    None,
                    "approved",
                    now,
                    now,
                )
                for i, code in enumerate(code_list, start=1)
            ),
        )
        db.executemany(
            "INSERT INTO photos (product_id, sha256, mime, width, height, size_bytes,"
            " position, created_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                (
                    i,
                    hashlib.sha256(f"{i}-{n}".encode()).hexdigest(),
                    "image/jpeg",
                    1200,
                    900,
                    250_000,
                    n,
                    now,
                )
                for i in range(1, PRODUCTS + 1)
                for n in range(2)
            ),
        )
        db.executemany(
            "INSERT INTO certifications (product_id, kind, number, expiry) VALUES (?,?,?,?)",
            ((i, "vietgap", f"VG-{i}", "2027-06-30") for i in range(1, PRODUCTS + 1)),
        )
        db.executemany(
            "INSERT INTO listings (product_id, marketplace, status, url, updated_at)"
            " VALUES (?,?,?,?,?)",
            (
                row
                for i in range(1, PRODUCTS + 1)
                for row in (
                    (i, "shopee", "live", f"https://shopee.vn/p/{i}", now),
                    (i, "lazada", "paused", None, now),
                )
            ),
        )
        db.executemany(
            "INSERT INTO stamp_batches (id, product_id, lot, production_date, expiry_date,"
            " count, created_at) VALUES (?,?,?,?,?,?,?)",
            (
                (i, i, f"LOT-{i}", "2026-10-01", "2027-10-01", STAMPS_PER_PRODUCT, now)
                for i in range(1, PRODUCTS + 1)
            ),
        )
        serials = new_serials(PRODUCTS * STAMPS_PER_PRODUCT)
        stamp_ids = range(1, len(serials) + 1)
        scans_of = [0] * (len(serials) + 1)
        scan_rows = []
        for _ in range(SCANS):
            stamp = rng.randrange(1, len(serials) + 1)
            scans_of[stamp] += 1
            scan_rows.append((stamp, now, "web", "mobile"))
        db.executemany(
            "INSERT INTO stamps (id, serial, batch_id, product_id, scan_count,"
            " first_scanned_at) VALUES (?,?,?,?,?,?)",
            (
                (
                    s,
                    serials[s - 1],
                    (s - 1) // STAMPS_PER_PRODUCT + 1,
                    (s - 1) // STAMPS_PER_PRODUCT + 1,
                    scans_of[s],
                    now if scans_of[s] else None,
                )
                for s in stamp_ids
            ),
        )
        db.executemany(
            "INSERT INTO scans (stamp_id, scanned_at, channel, client) VALUES (?,?,?,?)",
            scan_rows,
        )
    db.execute("ANALYZE")
    db.close()
    return code_list


# --- the servers -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def serve_app(database: Path, port: int) -> None:
    """The real web app, as `ocop-bot web` runs it."""
    from bot.config import load_settings
    from bot.core.media import MediaStore
    from bot.i18n import Catalogs
    from bot.web import serve
    from storage.db import Database

    media = Path(tempfile.mkdtemp(prefix="ocop-bench-media-"))
    settings = load_settings(
        environ={
            "OCOP_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "OCOP_MEDIA_DIR": str(media),
            "OCOP_WEB_HOST": "127.0.0.1",
            "OCOP_WEB_PORT": str(port),
            "OCOP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
    )
    db = Database(settings.database_url)
    try:
        await serve(
            settings,
            db,
            Catalogs(settings.default_language, settings.timezone),
            MediaStore(settings.media),
        )
    finally:
        await db.dispose()


def serve_hello(port: int) -> None:
    """The baseline: the least an aiohttp handler can do."""
    from aiohttp import web

    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(name: str, args: list[str], port: int, ready_path: str) -> Server:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.web_bench", *args], cwd=ROOT, stdout=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(f"GET {ready_path} HTTP/1.0\r\n\r\n".encode())
                if sock.recv(12).startswith(b"HTTP/1."):
                    return Server(name, url, process)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{name} did not start")


# --- the load ----------------------------------------------------------------


@dataclass
class Round:
    rps: float
    p99_ms: float
    errors: int
    requests: int = 0
    cpu_us: float | None = None  # the server process's CPU time per request


def paths_for(codes: list[str], pattern: str, count: int = 200_000) -> list[str]:
    rng = random.Random(SEED)
    ranked = codes[:]
    rng.shuffle(ranked)  # popularity has nothing to do with insertion order
    if pattern == "uniform":
        return [f"/p/{rng.choice(ranked)}" for _ in range(count)]
    cumulative = []
    total = 0.0
    for rank in range(1, len(ranked) + 1):
        total += 1 / rank
        cumulative.append(total)
    return [
        f"/p/{ranked[bisect.bisect_left(cumulative, rng.random() * total)]}" for _ in range(count)
    ]


def wrk_round(url: str, seconds: float, script: Path | None) -> Round:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:.0f}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url + ("" if script else "/")],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    requests = int(re.search(r"(\d+) requests in", output)[1])  # type: ignore[index]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    assert p99 is not None, output
    p99_ms = float(p99[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99[2]]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    count = int(errors[1]) if errors else 0
    if socket_errors:
        count += sum(int(n) for n in re.findall(r"\d+", socket_errors[1]))
    return Round(rps, p99_ms, count, requests)


def wrk_script(paths: list[str], directory: Path, name: str = "paths.lua") -> Path:
    """A wrk script that sends these paths in random order, requests formatted up front."""
    script = directory / name
    body = ",".join(json.dumps(p) for p in paths)
    script.write_text(
        "local paths = {" + body + "}\n"
        "local requests = {}\n"
        "init = function(args)\n"
        "  for i, path in ipairs(paths) do requests[i] = wrk.format('GET', path) end\n"
        "  math.randomseed(os.time())\n"
        "end\n"
        "request = function()\n"
        "  return requests[math.random(#requests)]\n"
        "end\n"
    )
    return script


async def aiohttp_round(url: str, seconds: float, paths: list[str] | None) -> Round:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    rng = random.Random()

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            path = rng.choice(paths) if paths else "/"
            begun = time.perf_counter()
            async with session.get(url + path) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - begun)

    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else float("nan")
    return Round(len(latencies) / elapsed, p99, errors, len(latencies))


def drive(
    url: str, seconds: float, paths: list[str] | None, script: Path | None, pid: int | None = None
) -> Round:
    """One round; with `pid`, also the CPU time that server process spent per request."""
    before = cpu_seconds(pid)
    if shutil.which("wrk"):
        result = wrk_round(url, seconds, script)
    else:
        result = asyncio.run(aiohttp_round(url, seconds, paths))
    after = cpu_seconds(pid)
    if before is not None and after is not None and result.requests:
        result.cpu_us = (after - before) * 1e6 / result.requests
    return result


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (Linux), threads included."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_pages(url: str, codes: list[str]) -> None:
    """The app serves real product pages: whole HTML documents naming the product."""
    import urllib.request

    for code in (codes[0], codes[len(codes) // 2], codes[-1]):
        with urllib.request.urlopen(f"{url}/p/{code}", timeout=30) as response:
            body = response.read()
        assert response.status == 200 and b"<h1>" in body and body.rstrip().endswith(b"</html>")
        assert code.encode() in body and len(body) > 5_000, f"/p/{code} is not a product page"


# --- the report --------------------------------------------------------------


def machine() -> str:
    import aiohttp

    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"aiohttp {aiohttp.__version__}, SQLite {sqlite3.sqlite_version}, "
        f"driver {'wrk' if shutil.which('wrk') else 'aiohttp clients'}"
    )


@dataclass
class Result:
    pattern: str
    hellos: list[Round]
    pages: list[Round]

    @property
    def hello_rps(self) -> float:
        return statistics.median(r.rps for r in self.hellos)

    @property
    def page_rps(self) -> float:
        return statistics.median(r.rps for r in self.pages)

    @property
    def ratio(self) -> float:
        return self.page_rps / self.hello_rps

    @property
    def page_p99(self) -> float:
        return statistics.median(r.p99_ms for r in self.pages)

    @property
    def worst_p99(self) -> float:
        return max(r.p99_ms for r in self.pages)

    @property
    def paired_ratio(self) -> float:
        """The median of each round's page/hello ratio (each pair ran back to back)."""
        return statistics.median(
            p.rps / h.rps for p, h in zip(self.pages, self.hellos, strict=True)
        )

    def cpu_us(self, rounds: list[Round]) -> float | None:
        values = [r.cpu_us for r in rounds if r.cpu_us is not None]
        return statistics.median(values) if values else None

    @property
    def met(self) -> bool:
        return self.ratio >= 0.5 and self.worst_p99 < 50 and all(r.errors == 0 for r in self.pages)


def run_pattern(database: Path, codes: list[str], pattern: str, args: argparse.Namespace) -> Result:
    """Fresh servers on a fresh copy of the database, warm-up, then alternating rounds."""
    work = Path(tempfile.mkdtemp(prefix="ocop-web-bench-"))
    served = work / "ocop.db"
    shutil.copy(database, served)
    paths = paths_for(codes, pattern)
    script = hello_script = None
    if shutil.which("wrk"):
        script = wrk_script(paths, work)
        if args.hello_driver == "script":
            # The same Lua hook for both, so wrk spends the same per request on
            # either side of the comparison (it shares the machine's cores).
            hello_script = wrk_script(["/"], work, "hello.lua")
    print(
        f"\npattern {pattern}: {PRODUCTS:,} products, {SCANS:,} scans; {CONNECTIONS} connections;"
        f" {args.rounds} rounds of {args.seconds:.0f} s after {args.warmup:.0f} s of warm-up",
        flush=True,
    )
    app_port, hello_port = free_port(), free_port()
    app = start("page", ["--serve-app", str(served), str(app_port)], app_port, "/healthz")
    hello = start("hello", ["--serve-hello", str(hello_port)], hello_port, "/")
    pages: list[Round] = []
    hellos: list[Round] = []
    try:
        check_pages(app.url, codes)
        if args.warmup > 0:
            drive(app.url, args.warmup, paths, script)
            drive(hello.url, min(args.warmup, 3), None, hello_script)
        for number in range(1, args.rounds + 1):
            hellos.append(drive(hello.url, args.seconds, None, hello_script, hello.process.pid))
            pages.append(drive(app.url, args.seconds, paths, script, app.process.pid))
            h, p = hellos[-1], pages[-1]
            print(
                f"round {number}: hello {h.rps:8.0f} req/s p99 {h.p99_ms:6.1f} ms{_cpu(h)}"
                f" | page {p.rps:8.0f} req/s p99 {p.p99_ms:6.1f} ms{_cpu(p)}"
                f" errors {p.errors} | ratio {p.rps / h.rps:.0%}",
                flush=True,
            )
    finally:
        app.stop()
        hello.stop()
        shutil.rmtree(work, ignore_errors=True)
    result = Result(pattern, hellos, pages)
    print(f"median hello: {result.hello_rps:.0f} req/s")
    print(
        f"median page:  {result.page_rps:.0f} req/s, p99 {result.page_p99:.1f} ms"
        f" (worst round {result.worst_p99:.1f} ms)"
    )
    hello_cpu, page_cpu = result.cpu_us(hellos), result.cpu_us(pages)
    if hello_cpu is not None and page_cpu is not None:
        print(
            f"server CPU per request (median): hello {hello_cpu:.0f} µs, page {page_cpu:.0f} µs"
            f" ({hello_cpu / page_cpu:.0%})"
        )
    print(
        f"ratio page/hello: {result.ratio:.0%} (median of the rounds' ratios"
        f" {result.paired_ratio:.0%})  target ≥ 50% and p99 < 50 ms in every round:"
        f" {'met' if result.met else 'NOT met'}",
        flush=True,
    )
    return result


def _cpu(result: Round) -> str:
    return "" if result.cpu_us is None else f" cpu {result.cpu_us:4.0f} µs/req"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.web_bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=10.0, help="untimed page load first")
    parser.add_argument("--pattern", choices=("both", "zipf", "uniform"), default="both")
    parser.add_argument(
        "--hello-driver",
        choices=("script", "plain"),
        default="script",
        help="drive hello through the same wrk Lua hook as the pages (default), or without one",
    )
    parser.add_argument("--serve-app", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--serve-hello", metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_app:
        asyncio.run(serve_app(Path(args.serve_app[0]), int(args.serve_app[1])))
        return 0
    if args.serve_hello:
        serve_hello(int(args.serve_hello))
        return 0

    database = RESULTS / f"web_bench_{DB_VERSION}.db"
    codes = build_database(database)
    print(f"machine: {machine()}")
    patterns = ("zipf", "uniform") if args.pattern == "both" else (args.pattern,)
    results = [run_pattern(database, codes, pattern, args) for pattern in patterns]
    print(
        "\n| pattern | hello req/s (median) | page req/s (median) | ratio (of rounds) |"
        " page p99 (median / worst round) | CPU µs/req hello / page |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        hello_cpu, page_cpu = r.cpu_us(r.hellos), r.cpu_us(r.pages)
        cpu = f"{hello_cpu:.0f} / {page_cpu:.0f}" if hello_cpu and page_cpu else "–"
        print(
            f"| {r.pattern} | {r.hello_rps:,.0f} | {r.page_rps:,.0f} |"
            f" {r.ratio:.0%} ({r.paired_ratio:.0%}) |"
            f" {r.page_p99:.1f} ms / {r.worst_p99:.1f} ms | {cpu} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

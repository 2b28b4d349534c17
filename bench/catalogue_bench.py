"""Catalogue and producer pages against a bare aiohttp handler; map GeoJSON size; page weight.

    python -m bench.catalogue_bench [--seconds 10] [--rounds 3] [--warmup 5]

Builds (once, cached under bench/results/) a SQLite database with 20,000
approved products of 8,500 producers spread over every province and many
communes, half of them located, with photos and listings. Then, as
bench/web_bench.py does (same servers, same wrk driver, same rounds), runs
the real web app and a bare aiohttp "hello" handler in their own processes
and drives them alternately with 50 connections:

* `catalogue`: the catalogue's first pages, every province, group, star and
  marketplace filter, searches and combinations (about 600 distinct URLs);
* `producers`: producer pages, every one of the 8,500 equally often.

Every request says Accept-Encoding: gzip, as every browser does (the pages
are kept gzipped for them); hello's requests carry the same header.

Before the rounds every URL is asked once (pages are kept from their first
visit until the catalogue changes): the rounds measure the steady state.
Target: each ≥ 50% of hello's requests per second in the same run, p99 < 50
ms. It also reports the GeoJSON of every producer (bytes raw and gzipped,
target < 300 KB gzipped, and a wrk round on it: served from memory), and
the catalogue page's weight before photos as headless Chromium loads it
(bytes of every response but images, from the DevTools protocol; target <
150 KB).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.web_bench import (  # noqa: E402 - after the path set-up above
    RESULTS,
    Result,
    Round,
    cpu_seconds,
    drive,
    free_port,
    machine,
    start,
)

PRODUCTS = 20_000
PRODUCERS = 8_500
DB_VERSION = "v1"
SEED = 20261204
NAMES = (
    "Bánh tráng phơi sương",
    "Chè búp",
    "Nước mắm cốt nhĩ",
    "Cà phê Arabica",
    "Mật ong hoa nhãn",
    "Gạo ST25",
    "Miến dong",
    "Rượu cần",
    "Giỏ mây đan",
    "Tinh dầu sả chanh",
    "Nem chua",
    "Bưởi da xanh",
)
GROUPS = ("food", "food", "food", "beverages", "herbal", "handicrafts", "ornamental", "tourism")
SUBGROUP = {
    "food": "processed",
    "beverages": "non_alcoholic",
    "herbal": "essential_oils",
    "handicrafts": "crafts_household",
    "ornamental": "plants",
    "tourism": "tourism_services",
}
MARKETS = ("shopee", "postmart", "lazada", "voso", "provincial")


def build_database(path: Path) -> None:
    if path.exists():
        return
    from bot.core import places
    from bot.core.codes import new_product_code
    from bot.core.text import fold
    from storage.db import upgrade

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    upgrade(f"sqlite+aiosqlite:///{partial}")
    rng = random.Random(SEED)
    now = "2026-12-04 03:00:00"
    provinces = [p.code for p in places.provinces()]
    wards = {code: [w.code for w in places.wards(code)][:40] for code in provinces}
    db = sqlite3.connect(partial)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    producers = []
    for i in range(1, PRODUCERS + 1):
        province = provinces[i % len(provinces)]
        name = f"HTX {rng.choice(NAMES)} {places.province(province).name} số {i}"  # type: ignore[union-attr]
        located = True  # the map's worst case: every producer on it
        producers.append(
            (
                i,
                name,
                fold(name),
                ("household", "cooperative", "coop_group", "enterprise")[i % 4],
                "Nguyễn Văn A",
                "+84912345678",
                province,
                rng.choice(wards[province]),
                "Thôn 1",
                rng.uniform(8.6, 23.0) if located else None,
                rng.uniform(102.2, 109.3) if located else None,
                i % 3 == 0,
                now,
                now,
            )
        )
    codes: dict[str, None] = {}
    while len(codes) < PRODUCTS:
        codes[new_product_code()] = None
    with db:
        db.executemany(
            "INSERT INTO producers (id, name, name_folded, kind, representative, phone,"
            " province_code, ward_code, address, latitude, longitude, show_phone,"
            " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            producers,
        )
        products = []
        for i, code in enumerate(codes, start=1):
            group = GROUPS[i % len(GROUPS)]
            name = f"{rng.choice(NAMES)} loại {i % 97}"
            products.append(
                (
                    i,
                    code,
                    (i - 1) % PRODUCERS + 1,
                    name,
                    fold(name),
                    group,
                    SUBGROUP[group],
                    rng.choice((None, 3, 3, 3, 4, 4, 5)),
                    "Sản phẩm đặc trưng của địa phương.",
                    "Ba thế hệ gìn giữ nghề truyền thống.",
                    "approved",
                    now,
                    now,
                )
            )
        db.executemany(
            'INSERT INTO products (id, code, producer_id, name, name_folded, "group",'
            " subgroup, stars, description, story, review_status, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            products,
        )
        db.executemany(
            "INSERT INTO photos (product_id, sha256, mime, width, height, size_bytes,"
            " position, created_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                (i, f"{i:064x}", "image/jpeg", 1200, 900, 250_000, 0, now)
                for i in range(1, PRODUCTS + 1)
            ),
        )
        db.executemany(
            "INSERT INTO listings (product_id, marketplace, status, url, updated_at)"
            " VALUES (?,?,?,?,?)",
            (
                (i, market, "live", f"https://{market}.vn/p/{i}", now)
                for i in range(1, PRODUCTS + 1)
                for market in rng.sample(MARKETS, i % 3)
            ),
        )
    db.execute("ANALYZE")
    db.close()
    partial.rename(path)
    print(f"built {path.name} in {time.perf_counter() - started:.1f} s", flush=True)


def catalogue_paths() -> list[str]:
    from bot.core import places

    paths = ["/san-pham"] + [f"/san-pham?page={n}" for n in range(2, 60)]
    for province in places.provinces():
        paths.append(f"/san-pham?province={province.code}")
        paths.append(f"/san-pham?province={province.code}&page=2")
        paths.append(f"/san-pham?province={province.code}&stars=4")
        for group in ("food", "handicrafts"):
            paths.append(f"/san-pham?province={province.code}&group={group}")
        for market in MARKETS:
            paths.append(f"/san-pham?province={province.code}&market={market}")
    for group in SUBGROUP:
        paths.append(f"/san-pham?group={group}")
    for stars in (3, 4, 5):
        paths.append(f"/san-pham?stars={stars}")
    for query in ("banh+trang", "che", "ca+phe", "mat+ong", "gao+st25", "tinh+dau", "nem"):
        paths.append(f"/san-pham?q={query}")
        paths.append(f"/san-pham?q={query}&stars=4&market=shopee")
    paths += [f"/products?lang=en&page={n}" for n in range(1, 40)]
    return paths


def producer_paths() -> list[str]:
    return [f"/nha-san-xuat/{i}" for i in range(1, PRODUCERS + 1)]


def check(url: str) -> None:
    for path in ("/san-pham", "/san-pham?q=banh+trang&stars=4", "/nha-san-xuat/17", "/ban-do"):
        with urllib.request.urlopen(url + path, timeout=60) as response:
            body = response.read()
        assert response.status == 200 and body.rstrip().endswith(b"</html>"), path


def gzip_script(paths: list[str], directory: Path, name: str) -> Path:
    """As web_bench.wrk_script, each request asking for gzip as every browser does."""
    script = directory / name
    body = ",".join(json.dumps(p) for p in paths)
    script.write_text(
        "local paths = {" + body + "}\n"
        "local requests = {}\n"
        "init = function(args)\n"
        "  for i, path in ipairs(paths) do\n"
        "    requests[i] = wrk.format('GET', path, {['Accept-Encoding'] = 'gzip, deflate'})\n"
        "  end\n"
        "  math.randomseed(os.time())\n"
        "end\n"
        "request = function()\n"
        "  return requests[math.random(#requests)]\n"
        "end\n"
    )
    return script


def visit(url: str, paths: list[str]) -> None:
    """Asks for every path once (gzip, as browsers), so the rounds measure kept pages."""
    for path in dict.fromkeys(paths):
        request = urllib.request.Request(url + path, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()


def _cpu(result: Round) -> str:
    return "" if result.cpu_us is None else f" cpu {result.cpu_us:4.0f} µs/req"


def settle(pid: int, limit: float = 300.0) -> None:
    """Waits until the app process is idle (its pages rendered ahead): a second of less
    than 5% CPU."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(pid) or 0.0
        time.sleep(1.0)
        if (cpu_seconds(pid) or 0.0) - before < 0.05:
            print(f"app idle after {time.monotonic() - started:.0f} s of rendering ahead")
            return
    print("app still busy after {limit:.0f} s; measuring anyway")


def geojson_size(url: str) -> tuple[int, int, int]:
    request = urllib.request.Request(
        url + "/api/v1/map.geojson", headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        zipped = response.read()
        assert response.headers["Content-Encoding"] == "gzip"
    plain = gzip.decompress(zipped)
    return len(plain), len(zipped), len(json.loads(plain)["features"])


def page_weight(url: str) -> tuple[int, int, int] | None:
    """Bytes Chromium received for the page: everything but images as sent (gzipped)
    and images, and everything but images once decoded."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None
    port = free_port()
    profile = tempfile.mkdtemp(prefix="ocop-chromium-")
    process = subprocess.Popen(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=360,800",
            f"--remote-debugging-port={port}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Three loads, each in a fresh tab state (cache disabled); the median.
        loads = sorted(asyncio.run(_weigh(port, url)) for _ in range(3))
        return loads[1]
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


async def _weigh(port: int, url: str) -> tuple[int, int, int]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        page: dict[str, str] = {}
        for _ in range(100):
            try:
                async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                    targets = await response.json()
                page = next(t for t in targets if t["type"] == "page")
                break
            except (aiohttp.ClientError, StopIteration):
                await asyncio.sleep(0.1)
        async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            return await _load_and_count(ws, url)


async def _load_and_count(ws: object, url: str) -> tuple[int, int, int]:
    import aiohttp

    assert isinstance(ws, aiohttp.ClientWebSocketResponse)
    await ws.send_json({"id": 1, "method": "Network.enable"})
    await ws.send_json(
        {"id": 2, "method": "Network.setCacheDisabled", "params": {"cacheDisabled": True}}
    )
    await ws.send_json({"id": 3, "method": "Page.enable"})
    while (await ws.receive_json()).get("id") != 3:  # every set-up answered before loading
        pass
    await ws.send_json({"id": 4, "method": "Page.navigate", "params": {"url": url}})
    kinds: dict[str, str] = {}
    sizes = {"other": 0, "image": 0, "decoded": 0}
    deadline = time.monotonic() + 60
    loaded_at: float | None = None
    while time.monotonic() < deadline:
        try:
            message = await asyncio.wait_for(ws.receive_json(), timeout=1)
        except TimeoutError:
            if loaded_at is not None:
                break
            continue
        method = message.get("method")
        params = message.get("params", {})
        if method == "Network.responseReceived":
            kinds[params["requestId"]] = params.get("type", "Other")
        elif method == "Network.dataReceived" and kinds.get(params["requestId"]) != "Image":
            sizes["decoded"] += int(params["dataLength"])
        elif method == "Network.loadingFinished":
            kind = "image" if kinds.get(params["requestId"]) == "Image" else "other"
            sizes[kind] += int(params["encodedDataLength"])
        elif method == "Page.loadEventFired":
            loaded_at = time.monotonic()
    return sizes["other"], sizes["image"], sizes["decoded"]


def run(database: Path, args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="ocop-catalogue-bench-"))
    served = work / "ocop.db"
    shutil.copy(database, served)
    app_port, hello_port = free_port(), free_port()
    app = start("page", ["--serve-app", str(served), str(app_port)], app_port, "/healthz")
    hello = start("hello", ["--serve-hello", str(hello_port)], hello_port, "/")
    results: list[Result] = []
    try:
        check(app.url)  # also waits for the index's first load
        settle(app.process.pid)  # origin and producer pages rendered ahead, as in production
        hello_script = gzip_script(["/"], work, "hello.lua") if shutil.which("wrk") else None
        for name, paths in (("catalogue", catalogue_paths()), ("producers", producer_paths())):
            script = gzip_script(paths, work, f"{name}.lua") if shutil.which("wrk") else None
            print(
                f"\n{name}: {len(paths)} distinct URLs,"
                f" {args.rounds} rounds of {args.seconds:.0f} s"
            )
            visit(app.url, paths)  # every URL once: the steady state, as after a day
            if args.warmup > 0:
                drive(app.url, args.warmup, paths, script)
            hellos: list[Round] = []
            pages: list[Round] = []
            for number in range(1, args.rounds + 1):
                hellos.append(drive(hello.url, args.seconds, None, hello_script, hello.process.pid))
                pages.append(drive(app.url, args.seconds, paths, script, app.process.pid))
                h, p = hellos[-1], pages[-1]
                print(
                    f"round {number}: hello {h.rps:8.0f} req/s p99 {h.p99_ms:6.1f} ms{_cpu(h)}"
                    f" | {name} {p.rps:8.0f} req/s p99 {p.p99_ms:6.1f} ms{_cpu(p)}"
                    f" errors {p.errors} | ratio {p.rps / h.rps:.0%}",
                    flush=True,
                )
            results.append(Result(name, hellos, pages))
        raw, zipped, features = geojson_size(app.url)
        geo_script = work / "geo.lua"
        geo_script.write_text(
            'wrk.headers["Accept-Encoding"] = "gzip"\nwrk.path = "/api/v1/map.geojson"\n'
        )
        geo = (
            drive(app.url, min(args.seconds, 5), ["/api/v1/map.geojson"], geo_script)
            if shutil.which("wrk")
            else None
        )
        weight = page_weight(app.url + "/san-pham")
    finally:
        app.stop()
        hello.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(
        "\n| pages | hello req/s (median) | page req/s (median) | ratio (of rounds) |"
        " page p99 (median / worst round) | server CPU µs/req hello / page (ratio) |"
        " target met |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        hello_cpu, page_cpu = r.cpu_us(r.hellos), r.cpu_us(r.pages)
        cpu = (
            f"{hello_cpu:.0f} / {page_cpu:.0f} ({hello_cpu / page_cpu:.0%})"
            if hello_cpu and page_cpu
            else "–"
        )
        print(
            f"| {r.pattern} | {r.hello_rps:,.0f} | {r.page_rps:,.0f} |"
            f" {r.ratio:.0%} ({r.paired_ratio:.0%}) |"
            f" {r.page_p99:.1f} ms / {r.worst_p99:.1f} ms | {cpu} | {'yes' if r.met else 'NO'} |"
        )
    print(
        f"\nmap GeoJSON: {features:,} producers, {raw / 1024:.0f} KB raw,"
        f" {zipped / 1024:.0f} KB gzipped (target < 300 KB)"
        + (f"; served {geo.rps:,.0f} req/s, p99 {geo.p99_ms:.1f} ms" if geo else "")
    )
    if weight is not None:
        other, images, decoded = weight
        print(
            f"catalogue page in Chromium: {other / 1024:.1f} KB before photos as sent"
            f" ({decoded / 1024:.1f} KB decoded; + {images / 1024:.0f} KB of photo requests);"
            " target < 150 KB"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.catalogue_bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=5.0)
    args = parser.parse_args(argv)
    database = RESULTS / f"catalogue_bench_{DB_VERSION}.db"
    build_database(database)
    print(f"machine: {machine()}")
    run(database, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

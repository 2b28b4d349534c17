"""Zalo Bot: the closed loop beside Telegram's, and a 10,000-recipient broadcast killed mid-way.

    python -m bench.zalo_bench                         # both parts
    python -m bench.zalo_bench --zalo-broadcast-users 2000 --markdown BENCHMARKS.md

Closed loop. 200 pre-registered producers each walk the 20 steps of the
product form (bench/common.py `PRODUCT`) and start again after saving, the
next step sent as soon as the reply that asks it arrives. The same bot
(`ocop-bot run`, a child process) runs once with a Telegram token against
the fake Bot API (`BenchAPI`: inline buttons pressed) and once with a Zalo
Bot token against the Zalo Bot fake (`testkit/fake_zalo_bot.py`: one
update per getUpdates, numbered menus answered by typing the number, /skip).
Windows alternate (Telegram, Zalo, Telegram, …), each in a fresh process on
its own database, the users going on where they paused; reported: the
median of each side's windows (updates answered per second) and their
ratio. Target: Zalo at least the Telegram figure (ratio ≥ 1.00; printed as
measured, not rounded up).

Broadcast. 10,000 producers on Zalo (2% of them blocked the bot: 403) and
a broadcast queued as the officer's "Send now" does; the child is
`ocop-bot run` with only the Zalo Bot token (polling, its limiter and
outbox worker). The fake answers 429 past 30 sends/s in all or 1/s per
chat (token buckets, as the Telegram fake's). At 30% of the deliveries the
child is killed with SIGKILL and started again. Measured: the rate before
the kill (target ≥ 90% of the configured `[zalo_bot.limits]
rate_per_second`; the busiest 5 seconds never above it plus the burst),
messages doubled (target none), lost (none beyond rows left "unknown" by
the kill, at most the in-flight window), and the officer's final report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp.test_utils import unused_port

import bench  # first: puts the repository root on sys.path
from bench.broadcast_bench import bench_config, queue_broadcast, row_statuses, write_section
from bench.common import (
    PRODUCT,
    BenchAPI,
    BotProcess,
    Driver,
    Script,
    bot_command,
    copy_database,
    machine_info,
    median,
    percentile,
    settle_machine,
    unlimited_config,
)
from testkit.fake_zalo_bot import FakeZaloBot, ZaloUser

NAME = "zalo"
JSONDict = dict[str, Any]
FIRST_ID = 5_100_001
FIRST_RECIPIENT = 8_000_001
OFFICER = "zofficer"
BLOCKED_EVERY = 50
LEASE_SECONDS = 10
TARGET_SHARE = 0.90
REPORT_MARK = "#1 đã"
MENU_LINE = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


class BenchZalo(FakeZaloBot):
    """The Zalo Bot fake with what BotProcess reads of a fake (bench/common.py)."""

    @property
    def file_base_url(self) -> str:
        return self.base_url  # unused: the Telegram variable is cleared for a Zalo process


def zalo_env(api: BenchZalo, config: Path) -> dict[str, str]:
    """A process on the Zalo fake only: no Telegram token."""
    return {
        "OCOP_TELEGRAM_TOKEN": "",
        "OCOP_ZALO_BOT_TOKEN": api.token,
        "OCOP_ZALO_BOT_API_URL": api.base_url,
        "OCOP_CONFIG": str(config),
        "OCOP_WEB_PORT": str(unused_port()),
        "OCOP_FILE_LINK_SECRET": "bench-file-link-secret",
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument("--zalo-users", type=int, default=200, help="closed-loop producers")
    group.add_argument("--zalo-warmup", type=float, default=3.0)
    group.add_argument("--zalo-window", type=float, default=6.0, help="counted seconds")
    group.add_argument("--zalo-repeats", type=int, default=3, help="Telegram/Zalo window pairs")
    group.add_argument("--zalo-broadcast-users", type=int, default=10_000)
    group.add_argument("--zalo-kill-at", type=float, default=0.30)
    group.add_argument("--zalo-skip-loop", action="store_true")
    group.add_argument("--zalo-skip-broadcast", action="store_true")


# --------------------------------------------------------------------------- the database


async def prepare(workdir: Path, producers: list[tuple[str, str]], officer: bool) -> Path:
    """A migrated SQLite file with these (channel, id) producers (Thái Nguyên, language vi)."""
    from sqlalchemy import insert

    from bot.core import places
    from storage.db import Database, upgrade
    from storage.models import Producer, User

    path = workdir / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    province = 19
    ward = places.wards(province)[0].code
    users: list[JSONDict] = [
        {"id": n + 1, "channel": channel, "external_id": chat, "language": "vi"}
        for n, (channel, chat) in enumerate(producers)
    ]
    if officer:
        users.append(
            {
                "id": len(users) + 1,
                "channel": "zalo_bot",
                "external_id": OFFICER,
                "language": "vi",
                "role": "officer",
                "province_code": province,
            }
        )
    rows = [
        {
            "user_id": n + 1,
            "name": f"HTX Bench {chat}",
            "name_folded": f"htx bench {chat}",
            "kind": "cooperative",
            "representative": "Nguyễn Văn Bench",
            "phone": "+84912345678",
            "province_code": province,
            "ward_code": ward,
            "address": "",
            "show_phone": False,
        }
        for n, (_channel, chat) in enumerate(producers)
    ]
    db = Database(url)
    try:
        async with db.transaction() as session:
            await session.execute(insert(User), users)
            await session.execute(insert(Producer), rows)
    finally:
        await db.dispose()
    return path


# --------------------------------------------------------------------------- closed loop


@dataclass(slots=True)
class ZSim:
    user: ZaloUser
    step: int = 0
    last: str = ""  # the text of the message that asked the current step
    sent_at: float = 0.0
    busy: bool = False
    remaining: int | None = None


@dataclass
class ZaloDriver:
    """bench/common.py's Driver for Zalo: a press is the menu number (or /skip) typed."""

    api: BenchZalo
    script: Script
    sims: dict[str, ZSim] = field(default_factory=dict)
    records: list[tuple[float, float, int]] = field(default_factory=list)  # done, latency, step
    errors: list[str] = field(default_factory=list)
    running: bool = False
    in_flight: int = 0

    def __post_init__(self) -> None:
        self.api.on_output = self._on_output
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._loop = asyncio.get_running_loop()

    def add(self, user_id: str) -> None:
        self.sims[user_id] = ZSim(self.api.user(user_id, "Bench"))

    def choice(self, sim: ZSim, label: str) -> str:
        for number, entry in MENU_LINE.findall(sim.last):
            if entry == label:
                return str(number)
        nav = re.search(rf"(/\w+) {re.escape(label)}(?: ·|$)", sim.last, re.MULTILINE)
        if nav is None:
            raise LookupError(f"no {label!r} in {sim.last[-200:]!r}")
        return nav[1]

    def send(self, sim: ZSim) -> None:
        if sim.busy:
            return
        step = self.script.steps[sim.step]
        try:
            text = self.choice(sim, step.value) if step.kind == "press" else step.value
        except LookupError as error:
            self.errors.append(f"user {sim.user.id} step {sim.step}: {error}")
            return
        sim.busy = True
        self.in_flight += 1
        self._quiet.clear()
        sim.sent_at = time.perf_counter()
        self.api.queue_text(sim.user, text)

    def start_all(self) -> None:
        self.running = True
        for sim in self.sims.values():
            if not sim.busy and (sim.remaining is None or sim.remaining > 0):
                self.send(sim)

    async def pause(self, limit: float = 60.0) -> None:
        self.running = False
        await asyncio.wait_for(self._quiet.wait(), limit)

    def _on_output(self, output: JSONDict, now: float) -> None:
        sim = self.sims.get(output["chat_id"])
        if sim is None or not sim.busy:
            return
        step = self.script.steps[sim.step]
        text = str(output.get("text") or "")
        if step.expect not in text:
            return  # a note before the question (one message on Zalo too, mostly)
        self.records.append((now, now - sim.sent_at, sim.step))
        sim.last = text
        sim.busy = False
        self.in_flight -= 1
        sim.step = (sim.step + 1) % len(self.script.steps)
        if sim.remaining is not None:
            sim.remaining -= 1
        if self.in_flight == 0:
            self._quiet.set()
        if self.running and (sim.remaining is None or sim.remaining > 0):
            self._loop.call_soon(self.send, sim)


async def _telegram_window(
    api: BenchAPI, driver: Driver, workdir: Path, db: Path, n: int, args: argparse.Namespace
) -> JSONDict:
    env = {"OCOP_WEB_PORT": str(unused_port())}  # 8080 may be taken on a shared machine
    process = BotProcess(f"telegram-{n}", bot_command(), api, workdir, db, env)
    await process.start()
    try:
        return await _count(driver, process, args, "telegram")
    finally:
        await process.stop(3)


async def _zalo_window(
    api: BenchZalo, driver: ZaloDriver, workdir: Path, db: Path, n: int, args: argparse.Namespace
) -> JSONDict:
    api.polled.clear()
    env = zalo_env(api, unlimited_config(workdir))
    process = BotProcess(f"zalo-{n}", bot_command(), api, workdir, db, env)  # type: ignore[arg-type]
    await process.start()
    try:
        return await _count(driver, process, args, "zalo")
    finally:
        await process.stop(3)


async def _count(
    driver: Driver | ZaloDriver, process: BotProcess, args: argparse.Namespace, kind: str
) -> JSONDict:
    await settle_machine(max_wait=3.0)
    first = len(driver.records)
    driver.start_all()
    await asyncio.sleep(args.zalo_warmup)
    start = time.perf_counter()
    await asyncio.sleep(args.zalo_window)
    end = time.perf_counter()
    await driver.pause(60)
    done = [
        (r.done, r.latency) if not isinstance(r, tuple) else (r[0], r[1])
        for r in driver.records[first:]
    ]
    window = [latency for at, latency in done if start <= at < end]
    return {
        "kind": kind,
        "updates_per_s": len(window) / (end - start),
        "p50": percentile(window, 50),
        "p99": percentile(window, 99),
        "errors": len(driver.errors),
        "problems": process.log_problems()[:3],
    }


async def _spread(driver: Driver | ZaloDriver, start: Any) -> None:
    """Walks user i through i mod 20 steps (not counted), as bench/closed_loop.py does."""
    steps = len(PRODUCT.steps)
    for i, sim in enumerate(driver.sims.values()):
        sim.remaining = i % steps
    await start()
    driver.start_all()
    if isinstance(driver, ZaloDriver):
        await driver.pause(180)
    else:
        await driver.wait_quiet(180)
    for sim in driver.sims.values():
        sim.remaining = None
    driver.running = False


async def closed_loop(args: argparse.Namespace) -> JSONDict:
    runs: list[JSONDict] = []
    with tempfile.TemporaryDirectory(prefix="ocop-zalo-loop-") as tmp:
        workdir = Path(tmp)
        telegram_ids = [FIRST_ID + i for i in range(args.zalo_users)]
        zalo_ids = [f"z{FIRST_ID + i}" for i in range(args.zalo_users)]
        template = await prepare(
            workdir,
            [("telegram", str(i)) for i in telegram_ids] + [("zalo_bot", z) for z in zalo_ids],
            officer=False,
        )
        tg_db = copy_database(template, workdir / "telegram.db")
        zalo_db = copy_database(template, workdir / "zalo.db")
        async with BenchAPI() as tg_api, BenchZalo() as zalo_api:
            tg = Driver(tg_api, PRODUCT, closed=True)
            for i in telegram_ids:
                tg.add(i)
            zalo = ZaloDriver(zalo_api, PRODUCT)
            for z in zalo_ids:
                zalo.add(z)
            # Spread both sides over the form (not counted), each in a process of its own.
            for driver, window in ((tg, _telegram_window), (zalo, _zalo_window)):
                api = tg_api if driver is tg else zalo_api
                db = tg_db if driver is tg else zalo_db
                holder: list[BotProcess] = []

                async def start(
                    api: Any = api, db: Path = db, window: Any = window, holder: Any = holder
                ) -> None:
                    env = (
                        {"OCOP_WEB_PORT": str(unused_port())}
                        if api is tg_api
                        else zalo_env(api, unlimited_config(workdir))
                    )
                    api.polled.clear()
                    process = BotProcess("spread", bot_command(), api, workdir, db, env)
                    await process.start()
                    holder.append(process)

                await _spread(driver, start)
                await holder[0].stop(3)
            for n in range(1, args.zalo_repeats + 1):
                result = await _telegram_window(tg_api, tg, workdir, tg_db, n, args)
                runs.append(result)
                print(f"  [{NAME}] pair {n} telegram: {result['updates_per_s']:.1f}/s", flush=True)
                result = await _zalo_window(zalo_api, zalo, workdir, zalo_db, n, args)
                runs.append(result)
                print(f"  [{NAME}] pair {n} zalo    : {result['updates_per_s']:.1f}/s", flush=True)
            errors = tg.errors[:3] + zalo.errors[:3]
    tg_rate = median([r["updates_per_s"] for r in runs if r["kind"] == "telegram"])
    zalo_rate = median([r["updates_per_s"] for r in runs if r["kind"] == "zalo"])
    return {
        "runs": runs,
        "telegram_updates_per_s": tg_rate,
        "zalo_updates_per_s": zalo_rate,
        "ratio": zalo_rate / tg_rate if tg_rate else float("nan"),
        "zalo_p99": median([r["p99"] for r in runs if r["kind"] == "zalo"]),
        "telegram_p99": median([r["p99"] for r in runs if r["kind"] == "telegram"]),
        "errors": errors,
        "problems": [p for r in runs for p in r["problems"]][:5],
    }


# --------------------------------------------------------------------------- broadcast


async def broadcast(args: argparse.Namespace) -> JSONDict:
    from bot.config import load_settings

    settings = load_settings(environ={})
    configured = settings.zalo_bot.limits.rate_per_second
    producers = [f"z{FIRST_RECIPIENT + n}" for n in range(args.zalo_broadcast_users)]
    blocked = set(producers[::BLOCKED_EVERY])
    with tempfile.TemporaryDirectory(prefix="ocop-zalo-broadcast-") as tmp:
        workdir = Path(tmp)
        db_path = await prepare(workdir, [("zalo_bot", p) for p in producers], officer=True)
        text = "Thông báo: hội chợ OCOP Thái Nguyên từ 28/11."
        total = await queue_broadcast(db_path, text, "zalo_bot", OFFICER)
        audience = set(producers)
        deliveries: list[tuple[float, str]] = []
        report = asyncio.Event()
        kill = asyncio.Event()
        kill_at = int(args.zalo_kill_at * (total - len(blocked)))

        def on_output(output: JSONDict, at: float) -> None:
            chat = output["chat_id"]
            if chat in audience:
                deliveries.append((at, chat))
                if len(deliveries) >= kill_at:
                    kill.set()
            elif chat == OFFICER and REPORT_MARK in output["text"] and "gửi xong" in output["text"]:
                report.set()

        async with BenchZalo(rate_limit=configured, chat_rate=1, blocked=blocked) as api:
            api.on_output = on_output
            env = zalo_env(api, bench_config(workdir))
            process = BotProcess("broadcast-1", bot_command(), api, workdir, db_path, env)  # type: ignore[arg-type]
            await process.start()
            started = time.perf_counter()
            await asyncio.wait_for(kill.wait(), kill_at / configured * 3 + 120)
            assert process.proc is not None
            process.proc.kill()  # SIGKILL: no clean-up of any kind
            await process.proc.wait()
            killed_at = time.perf_counter()
            before_kill = [at for at, _chat in deliveries]
            rows_at_kill = row_statuses(db_path)
            api.polled.clear()
            process = BotProcess("broadcast-2", bot_command(), api, workdir, db_path, env)  # type: ignore[arg-type]
            await process.start()
            await asyncio.wait_for(report.wait(), total / configured * 2 + 180)
            finished = time.perf_counter() - started
            await process.stop()
            problems = process.log_problems()[:5]
            too_many = api.too_many
        rows = row_statuses(db_path)
    delivered = Counter(chat for _at, chat in deliveries)
    lo = int(len(before_kill) * 0.1)
    steady = (len(before_kill) - 1 - lo) / (before_kill[-1] - before_kill[lo])
    # The busiest second, and the busiest 5 seconds: the limiter lets `burst` sends go
    # at once, then the configured rate; the fake sees them a little bunched.
    times = sorted(at for at, _chat in deliveries)
    peak, peak5 = _busiest(times, 1.0), _busiest(times, 5.0) / 5
    unknown = rows.get("unknown", 0)
    expected = set(producers) - blocked
    return {
        "recipients": total,
        "blocked_at_fake": len(blocked),
        "configured_rate": configured,
        "rate_before_kill": steady,
        "peak_per_second": peak,
        "peak_5s_rate": peak5,
        "burst": settings.zalo_bot.limits.burst,
        "delivered": len(delivered),
        "doubled": sum(1 for n in delivered.values() if n > 1),
        "missing": len(expected - set(delivered)),
        "unknown": unknown,
        "rows_at_kill": rows_at_kill,
        "rows": rows,
        "rejected_429": too_many,
        "seconds": finished,
        "killed_after_s": killed_at - started,
        "max_in_flight": settings.outbox.max_in_flight,
        "problems": problems,
    }


def _busiest(times: list[float], seconds: float) -> int:
    """The most deliveries in any window of `seconds` (times sorted)."""
    peak, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - seconds:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


# --------------------------------------------------------------------------- reporting


async def run(args: argparse.Namespace) -> JSONDict:
    loop = None if args.zalo_skip_loop else await closed_loop(args)
    cast = None if args.zalo_skip_broadcast else await broadcast(args)
    checks: dict[str, bool] = {}
    if loop is not None:
        checks["zalo_at_least_telegram"] = loop["ratio"] >= 1.0
        checks["loop_no_errors"] = not loop["errors"]
    if cast is not None:
        checks["rate"] = cast["rate_before_kill"] >= TARGET_SHARE * cast["configured_rate"]
        allowed = cast["configured_rate"] + cast["burst"] / 5
        checks["within_rate"] = cast["peak_5s_rate"] <= allowed
        checks["no_double"] = cast["doubled"] == 0
        checks["no_loss"] = cast["missing"] <= cast["unknown"] <= cast["max_in_flight"]
    parts = []
    if loop is not None:
        parts.append(
            f"closed loop: Zalo {loop['zalo_updates_per_s']:.1f} updates/s, Telegram "
            f"{loop['telegram_updates_per_s']:.1f} (medians), ratio {loop['ratio']:.2f}"
        )
    if cast is not None:
        parts.append(
            f"broadcast {cast['recipients']:,}: {cast['rate_before_kill']:.1f}/s of "
            f"{cast['configured_rate']:g}/s, busiest 5 s {cast['peak_5s_rate']:.1f}/s, "
            f"{cast['doubled']} doubled, {cast['missing']} lost, {cast['unknown']} unknown"
        )
    return {
        "summary": "; ".join(parts),
        "met": all(checks.values()),
        "checks": checks,
        "loop": loop,
        "broadcast": cast,
    }


def markdown(result: JSONDict, info: dict[str, str], command: str) -> str:
    lines = [
        "## Zalo Bot",
        "",
        f"`{command}` — {info['date']}, commit {_commit()}; {info['cpu']}, {info['cores']} "
        f"cores, {info['ram']}, Python {info['python']}, SQLite; load average at start "
        f"{info['load at start']} "
        "(a shared machine: other jobs ran beside it, the figures are medians).",
        "",
    ]
    loop, cast = result["loop"], result["broadcast"]
    if loop is not None:
        pairs = len(loop["runs"]) // 2
        lines += [
            "Closed loop, 200 producers registering products, the same bot process on each "
            f"fake, {pairs} alternating window pairs (medians):",
            "",
            "| | updates/s | p99 |",
            "|---|---|---|",
            f"| Telegram (fake Bot API, buttons) | {loop['telegram_updates_per_s']:.1f} | "
            f"{loop['telegram_p99'] * 1000:.0f} ms |",
            f"| Zalo Bot (fake, numbered menus) | {loop['zalo_updates_per_s']:.1f} | "
            f"{loop['zalo_p99'] * 1000:.0f} ms |",
            "",
            f"Zalo / Telegram: {loop['ratio']:.2f} (target ≥ 1.00). Windows in order, "
            f"updates/s: Telegram {_rates(loop, 'telegram')}; Zalo {_rates(loop, 'zalo')}.",
            "",
        ]
    if cast is not None:
        rows = ", ".join(f"{status} {n:,}" for status, n in sorted(cast["rows"].items()))
        lines += [
            f"Broadcast to {cast['recipients']:,} producers on Zalo ({cast['blocked_at_fake']} "
            "blocked the bot), the fake answering 429 past "
            f"{cast['configured_rate']:g} sends/s or 1/s per chat; `ocop-bot run` with the Zalo "
            f"token, killed with SIGKILL after {cast['killed_after_s']:.0f} s (30% delivered) "
            "and started again:",
            "",
            "| | |",
            "|---|---|",
            f"| rate before the kill (10th percentile to the kill) | "
            f"{cast['rate_before_kill']:.1f}/s of {cast['configured_rate']:g}/s configured |",
            f"| busiest 5 seconds / busiest second | {cast['peak_5s_rate']:.1f}/s / "
            f"{cast['peak_per_second']} sends (burst {cast['burst']}) |",
            f"| delivered / doubled / lost | {cast['delivered']:,} / {cast['doubled']} / "
            f"{cast['missing']} |",
            f'| left "unknown" by the kill (in-flight window {cast["max_in_flight"]}) | '
            f"{cast['unknown']} |",
            f"| 429 answers | {cast['rejected_429']} |",
            f"| rows by status | {rows} |",
            f"| to the officer's final report | {cast['seconds']:.0f} s |",
            "",
        ]
    lines += [
        ("All targets met." if result["met"] else f"Checks: {result['checks']}."),
        "",
    ]
    return "\n".join(lines)


def _rates(loop: JSONDict, kind: str) -> str:
    return ", ".join(f"{r['updates_per_s']:.0f}" for r in loop["runs"] if r["kind"] == kind)


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=bench.ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.zalo_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", metavar="PATH", help="also write the raw figures here")
    parser.add_argument("--markdown", metavar="PATH", help="write the section into this file")
    add_arguments(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    info = machine_info()
    command = " ".join(["python -m bench.zalo_bench", *(argv or sys.argv[1:])])
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(("met    " if result["met"] else "MISSED ") + result["summary"])
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, **result}, indent=2, default=str))
    if args.markdown:
        write_section(Path(args.markdown), markdown(result, info, command), "Zalo Bot")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

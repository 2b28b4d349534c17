"""Broadcast: 10,000 producers through the fake Bot API with Telegram's limits, killed and not.

    python -m bench.broadcast_bench                      # both runs, 10,000 recipients
    python -m bench.broadcast_bench --broadcast-users 2000 --markdown BENCHMARKS.md

The fake Bot API (in this process) answers 429 with retry_after past 30
messages/s overall or 1/s per chat, and 403 for the 2% of recipients who
blocked the bot. The bot under test is a child process running the real
stack, as `ocop-bot run` wires it: the Telegram channel polling, plus the
outbox worker sending through the channel's own Bot (`--child`).

Run 1, steady: one broadcast to every producer while 20 other users each
ask for /help every 8 s; measured: the sustained rate of the broadcast
(target: at least 90% of the configured rate, [telegram.limits], which the
askers' replies share), 429s, messages lost or doubled, and the interactive
replies' latency (target: p99 under 2 s).
Run 2, crash: the same broadcast; the child is killed with SIGKILL at 30%
and started again; measured: doubles (target: none), rows left "unknown"
(target: no more than the in-flight window) and whether the rest arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bench  # first: puts the repository root on sys.path
from bench.common import BenchAPI, BotProcess, machine_info, percentile

NAME = "broadcast"
FIRST_PRODUCER = 7_000_001
OFFICER = 6_999_001
FIRST_ASKER = 6_999_101
ASKERS = 20
ASK_EVERY = 8.0  # seconds between one asker's /help
BLOCKED_EVERY = 50  # one recipient in 50 blocked the bot
LEASE_SECONDS = 10  # shorter than the default, so the crash run settles quickly
TARGET_SHARE = 0.90
TARGET_P99 = 2.0
REPORT_MARK = "#1 đã"  # the officer's final report (vi): "Thông báo #1 đã gửi xong."
JSONDict = dict[str, Any]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument(
        "--broadcast-users", type=int, default=10_000, help="recipients of the broadcast"
    )
    group.add_argument("--broadcast-skip-crash", action="store_true", help="the steady run only")
    group.add_argument(
        "--broadcast-kill-at", type=float, default=0.30, help="share delivered at the kill"
    )


# --------------------------------------------------------------------------- the child


async def child() -> None:
    """The bot under test: Telegram polling and the outbox worker, until SIGTERM."""
    from bot.channels.telegram import TelegramChannel
    from bot.channels.telegram_sender import TelegramSender
    from bot.config import load_settings
    from bot.outbox.attachments import AttachmentStore
    from bot.outbox.limiter import RateLimiter
    from bot.outbox.worker import OutboxWorker
    from bot.runtime import build_runtime, configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, [settings.telegram_token or ""])
    runtime = await build_runtime(settings, migrate=False)
    limiter = RateLimiter.of(settings.telegram_limits)  # shared, as bot/cli.py does
    channel = TelegramChannel(settings, runtime.dispatcher, limiter)
    sender = TelegramSender(channel.bot, AttachmentStore(runtime.app.media), limiter)
    worker = OutboxWorker(
        runtime.db, sender, settings, catalogs=runtime.app.catalogs, limiter=limiter
    )
    await channel.start()
    await worker.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await worker.stop()
    await channel.stop()
    await runtime.close()


# --------------------------------------------------------------------------- the database


async def prepare(workdir: Path, producers: list[int]) -> Path:
    """A migrated SQLite file with the producers (Thái Nguyên), the officer and the askers."""
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
        {"id": n + 1, "channel": "telegram", "external_id": str(chat), "language": "vi"}
        for n, chat in enumerate(producers)
    ]
    users.append(
        {
            "id": len(users) + 1,
            "channel": "telegram",
            "external_id": str(OFFICER),
            "language": "vi",
            "role": "officer",
            "province_code": province,
        }
    )
    for n in range(ASKERS):
        chat = FIRST_ASKER + n
        users.append(
            {
                "id": len(users) + 1,
                "channel": "telegram",
                "external_id": str(chat),
                "language": "vi",
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
        for n, chat in enumerate(producers)
    ]
    db = Database(url)
    try:
        async with db.transaction() as session:
            await session.execute(insert(User), users)
            await session.execute(insert(Producer), rows)
    finally:
        await db.dispose()
    return path


async def queue_broadcast(
    db_path: Path, text: str, channel: str = "telegram", officer: str = str(OFFICER)
) -> int:
    """Queues the broadcast exactly as the officer's "Send now" does, from an officer on
    `channel` (the progress report goes out there too)."""
    from bot.core.context import utc_now
    from bot.i18n import Catalogs
    from bot.outbox.progress import progress_text
    from storage import outbox
    from storage.audience import Audience, count, recipients
    from storage.db import Database
    from storage.users import get_or_create_user

    catalogs = Catalogs()
    db = Database(f"sqlite+aiosqlite:///{db_path}")
    try:
        async with db.transaction() as session:
            sender = await get_or_create_user(session, channel, officer, "Officer")
            audience = Audience(province=19)
            now = utc_now()
            draft = await outbox.create_draft(
                session,
                officer_id=sender.id,
                province_code=19,
                text=text,
                audience=audience.to_json(),
                essential=False,
                now=now,
            )
            t = catalogs.translator("vi")
            total = await count(session, audience)
            stop = (t("broadcast.stop_button"), f"broadcast:cancel:{draft.id}")
            await outbox.enqueue(
                session,
                sender,
                outbox.payload(progress_text(t, draft.id, total, {}, "sending"), [[stop]]),
                kind=outbox.PROGRESS,
                broadcast_id=draft.id,
                not_before=now,
            )
            messages = {
                code: outbox.payload(
                    "", [[(catalogs.translator(code)("notices.off_button"), "notices:off")]]
                )
                for code in ("vi", "en")
            }
            return await outbox.queue_broadcast(
                session,
                draft,
                recipients(audience),
                messages,
                default_language="vi",
                not_before=now,
                now=now,
            )
    finally:
        await db.dispose()


def row_statuses(db_path: Path) -> dict[str, int]:
    """Read-only, beside the child's writes (WAL lets a reader in)."""
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)) as db:
        found = db.execute(
            "SELECT status, count(*) FROM outbox WHERE kind = 'broadcast' GROUP BY status"
        ).fetchall()
    return {status: int(n) for status, n in found}


def bench_config(workdir: Path) -> Path:
    text = (bench.ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^lease_seconds = \d+", f"lease_seconds = {LEASE_SECONDS}", text)
    path = workdir / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- observing


@dataclass
class Watch:
    """What the fake saw: broadcast deliveries with their time, and the askers' replies."""

    audience: set[int]
    deliveries: list[tuple[float, int]] = field(default_factory=list)
    report: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: dict[int, tuple[float, asyncio.Future[float]]] = field(default_factory=dict)
    kill_at: int | None = None  # deliveries after which the crash run kills the bot
    kill: asyncio.Event = field(default_factory=asyncio.Event)

    def on_output(self, output: JSONDict, at: float) -> None:
        chat = int(output["chat_id"])
        if output["edited"]:
            return
        if chat in self.audience:
            self.deliveries.append((at, chat))
            if self.kill_at is not None and len(self.deliveries) >= self.kill_at:
                self.kill.set()
        elif (
            chat == OFFICER
            and REPORT_MARK in (output["text"] or "")
            and "gửi xong" in (output["text"] or "")
        ):
            self.report.set()
        elif chat in self.waiting:
            sent_at, future = self.waiting.pop(chat)
            if not future.done():
                future.set_result(at - sent_at)


async def ask(
    api: BenchAPI, watch: Watch, chat: int, stop: asyncio.Event, out: list[float]
) -> None:
    """One asker: /help every ASK_EVERY seconds, each reply's latency noted."""
    user = api.user(chat, "Asker", "vi")
    await asyncio.sleep((chat - FIRST_ASKER) * ASK_EVERY / ASKERS)
    while not stop.is_set():
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        watch.waiting[chat] = (time.perf_counter(), future)
        api.send_text(user, "/help")
        try:
            out.append(await asyncio.wait_for(future, 30))
        except TimeoutError:
            out.append(float("inf"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), ASK_EVERY)


# --------------------------------------------------------------------------- the runs


def child_command() -> list[str]:
    return [sys.executable, "-m", "bench.broadcast_bench", "--child"]


async def one_run(args: argparse.Namespace, workdir: Path, template: Path, crash: bool) -> JSONDict:
    from testkit.fake_bot_api import RateLimit

    name = "crash" if crash else "steady"
    producers = [FIRST_PRODUCER + n for n in range(args.broadcast_users)]
    blocked = set(producers[::BLOCKED_EVERY])
    db_path = workdir / f"{name}.db"
    await asyncio.to_thread(shutil.copyfile, template, db_path)
    total = await queue_broadcast(db_path, "Thông báo: hội chợ OCOP Thái Nguyên mở cửa từ 28/11.")
    os.environ["OCOP_CONFIG"] = str(bench_config(workdir))  # inherited by the child

    async with BenchAPI(rate_limit=RateLimit(global_per_second=30, per_chat_per_second=1)) as api:
        for chat in producers:
            api.user(chat, "Producer", "vi")
        for chat in blocked:
            api.block(chat, notify=False)
        api.user(OFFICER, "Officer", "vi")
        watch = Watch(set(producers))
        api.on_output = watch.on_output
        latencies: list[float] = []
        stop = asyncio.Event()
        process = BotProcess(f"{name}-bot", child_command(), api, workdir, db_path)
        await process.start()
        started = time.perf_counter()
        askers = [
            asyncio.create_task(ask(api, watch, FIRST_ASKER + n, stop, latencies))
            for n in range(0 if crash else ASKERS)
        ]
        killed: JSONDict = {}
        if crash:
            watch.kill_at = int(args.broadcast_kill_at * (total - len(blocked)))
            await watch.kill.wait()
            assert process.proc is not None
            process.proc.kill()  # SIGKILL: no clean-up of any kind
            await process.proc.wait()
            killed = {
                "delivered_at_kill": len(watch.deliveries),
                "rows_at_kill": row_statuses(db_path),
            }
            api.polled = asyncio.Event()
            process = BotProcess(f"{name}-bot-2", child_command(), api, workdir, db_path)
            await process.start()
        budget = total / 25 * 2 + 120
        await asyncio.wait_for(watch.report.wait(), budget)
        finished = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*askers)
        await process.stop()
        problems = process.log_problems()
        rejected = api.rejected_429

    delivered = Counter(chat for _at, chat in watch.deliveries)
    rows = row_statuses(db_path)
    expected = set(producers) - blocked
    times = sorted(at for at, _chat in watch.deliveries)
    result: JSONDict = {
        "recipients": total,
        "blocked_at_fake": len(blocked),
        "seconds": finished,
        "delivered": len(delivered),
        "doubled": sum(1 for n in delivered.values() if n > 1),
        "missing": len(expected - set(delivered)),
        "rows": rows,
        "rejected_429": rejected,
        "rate_overall": (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0,
        "log_problems": problems[:5],
        **killed,
    }
    if not crash:
        lo, hi = int(len(times) * 0.1), int(len(times) * 0.9)
        result["rate_steady"] = (hi - lo) / (times[hi] - times[lo]) if hi > lo else 0.0
        result["interactive"] = {
            "replies": len(latencies),
            "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99),
            "max": max(latencies) if latencies else float("nan"),
        }
    else:
        gap = max((b - a for a, b in itertools.pairwise(times)), default=0.0)
        result["restart_gap_seconds"] = gap
    return result


async def run(args: argparse.Namespace) -> JSONDict:
    from bot.config import load_settings

    settings = load_settings(environ={})
    limits, outbox = settings.telegram_limits, settings.outbox
    with tempfile.TemporaryDirectory(prefix="ocop-broadcast-") as tmp:
        workdir = Path(tmp)
        template = await prepare(workdir, [FIRST_PRODUCER + n for n in range(args.broadcast_users)])
        steady = await one_run(args, workdir, template, crash=False)
        crashed = (
            None
            if args.broadcast_skip_crash
            else await one_run(args, workdir, template, crash=True)
        )
    configured = limits.rate_per_second
    checks = {
        "rate": steady["rate_steady"] >= TARGET_SHARE * configured,
        "exactly_once": steady["doubled"] == 0 and steady["missing"] == 0,
        "p99": steady["interactive"]["p99"] < TARGET_P99,
    }
    if crashed is not None:
        unknown = crashed["rows"].get("unknown", 0)
        checks["crash_no_double"] = crashed["doubled"] == 0
        checks["crash_unknown_within_window"] = unknown <= outbox.max_in_flight
        checks["crash_rest_delivered"] = crashed["missing"] <= unknown
    summary = (
        f"{steady['rate_steady']:.1f}/s of {configured:g}/s configured, "
        f"{steady['doubled']} doubled, {steady['missing']} lost, "
        f"interactive p99 {steady['interactive']['p99'] * 1000:.0f} ms"
    )
    if crashed is not None:
        summary += (
            f"; after a kill: {crashed['doubled']} doubled, "
            f"{crashed['rows'].get('unknown', 0)} unknown, {crashed['missing']} not delivered"
        )
    return {
        "summary": summary,
        "met": all(checks.values()),
        "checks": checks,
        "configured_rate": configured,
        "max_in_flight": outbox.max_in_flight,
        "steady": steady,
        "crash": crashed,
    }


# --------------------------------------------------------------------------- reporting


def markdown(result: JSONDict, info: dict[str, str], command: str) -> str:
    steady, crashed = result["steady"], result["crash"]
    inter = steady["interactive"]
    lines = [
        "## Broadcasts",
        "",
        f"`{command}` — {info['date']}; {info['cpu']}, {info['cores']} cores, {info['ram']}, "
        f"Python {info['python']}, SQLite.",
        "",
        f"A broadcast to {steady['recipients']:,} producers ({steady['blocked_at_fake']} of them "
        "blocked the bot) through the fake Bot API answering 429 with retry_after past "
        "30 messages/s or 1/s per chat; the bot runs as a child process (Telegram polling "
        f"and the outbox worker, {result['configured_rate']:g} messages/s configured).",
        "",
        "| | steady run | killed at 30% and restarted |",
        "|---|---|---|",
    ]

    def cell(run: JSONDict | None, key: str, fmt: str = "{}") -> str:
        return "—" if run is None or key not in run else fmt.format(run[key])

    lines += [
        f"| sustained rate (10th–90th percentile of deliveries) | {steady['rate_steady']:.1f}/s "
        f"({steady['rate_steady'] / result['configured_rate']:.0%}) | — |",
        f"| overall rate, first to last delivery | {steady['rate_overall']:.1f}/s "
        f"| {cell(crashed, 'rate_overall', '{:.1f}/s')} |",
        f"| delivered / doubled / lost | {steady['delivered']:,} / {steady['doubled']} / "
        f"{steady['missing']} | "
        + (
            f"{crashed['delivered']:,} / {crashed['doubled']} / {crashed['missing']}"
            if crashed
            else "—"
        )
        + " |",
        f"| 429 answers | {steady['rejected_429']} | {cell(crashed, 'rejected_429')} |",
        f"| rows by status | {fmt_rows(steady['rows'])} | "
        f"{fmt_rows(crashed['rows']) if crashed else '—'} |",
        f'| left "unknown" by the kill (in-flight window {result["max_in_flight"]}) | — | '
        f"{crashed['rows'].get('unknown', 0) if crashed else '—'} |",
        f"| longest gap in deliveries | — | {cell(crashed, 'restart_gap_seconds', '{:.1f} s')} |",
        f"| whole broadcast, to the officer's report | {steady['seconds']:.0f} s | "
        f"{cell(crashed, 'seconds', '{:.0f} s')} |",
        "",
        f"Interactive replies during the steady run ({ASKERS} users, /help every "
        f"{ASK_EVERY:g} s each, {inter['replies']} replies): p50 {inter['p50'] * 1000:.0f} ms, "
        f"p99 {inter['p99'] * 1000:.0f} ms, max {inter['max'] * 1000:.0f} ms.",
        "",
        "Targets: sustained rate ≥ 90% of the configured rate, nothing lost or sent twice, "
        "the same after a kill (a message whose send was under way at the kill is left "
        '"unknown" and never repeated: at most the in-flight window), interactive p99 < 2 s. '
        + ("All met." if result["met"] else f"Checks: {result['checks']}."),
        "",
    ]
    return "\n".join(lines)


def fmt_rows(rows: dict[str, int]) -> str:
    return ", ".join(f"{status} {n:,}" for status, n in sorted(rows.items()))


def write_section(path: Path, section: str, heading: str = "Broadcasts") -> None:
    """Replaces the "## <heading>" section of `path`, or appends it (the rest is not ours)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(rf"(?ms)^## {re.escape(heading)}\n.*?(?=^## |\Z)")
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text, count=1)
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + section
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.broadcast_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", metavar="PATH", help="also write the raw figures here")
    parser.add_argument("--markdown", metavar="PATH", help="write the section into this file")
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.child:
        asyncio.run(child())
        return 0
    info = machine_info()
    command = " ".join(["python -m bench.broadcast_bench", *(argv or sys.argv[1:])])
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(("met    " if result["met"] else "MISSED ") + result["summary"])
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, **result}, indent=2, default=str))
    if args.markdown:
        write_section(Path(args.markdown), markdown(result, info, command))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

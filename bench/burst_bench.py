"""Bursts under Telegram's limits: many new users at once, alone and beside a broadcast.

    python -m bench.burst_bench                   # 300 users; then again beside 10,000 recipients
    python -m bench.burst_bench --burst-users 100 --burst-recipients 2000 --json /tmp/burst.json

The fake Bot API (in this process) answers 429 with retry_after past 30
messages/s for the bot or 1/s per chat, as Telegram does. The bot is a child
process wired as `ocop-bot run` wires it (bench/broadcast_bench.py's
`--child`: Telegram polling and the outbox worker on one shared limiter).

Run 1, alone: N users who never wrote before send /start at the same moment,
then each answers three steps as soon as the previous answer is complete
(the message with buttons has arrived): "register" on the welcome menu, a
typed name, then the first kind of entity offered.
Measured: whether every user got every reply, in order, none twice (each
transcript equals the first user's); the time to the last reply against
the least the limit allows (messages ÷ 30 s); each step's latency; 429s.
Run 2: the same crowd starts while a broadcast to R producers is being
sent. Measured: the same, plus the broadcast's delivered / lost / doubled
once the officer's report arrives.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bench  # noqa: F401 - first: puts the repository root on sys.path
from bench import broadcast_bench
from bench.common import BenchAPI, BotProcess, has_inline_keyboard, machine_info, percentile

NAME = "burst"
FIRST_USER = 5_000_001
STEPS = 4  # /start, then three answers
TYPED_NAME = "HTX Chè Tân Cương Xanh"
REGISTER = "📝 Đăng ký chủ thể OCOP"
LIMIT = 30.0  # the fake's messages/s for the bot, as Telegram's
UNDER_WAY = 300  # broadcast deliveries before the crowd starts in run 2
JSONDict = dict[str, Any]


@dataclass
class Crowd:
    """The new users; a step is complete when its message with buttons arrives."""

    api: BenchAPI
    users: list[int]
    transcripts: dict[int, list[str]] = field(default_factory=dict)
    step: dict[int, int] = field(default_factory=dict)
    sent_at: dict[int, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    last_reply: float = 0.0
    finished: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._people = {chat: self.api.user(chat, "Khách", "vi") for chat in self.users}
        self.members = set(self.users)

    def start(self) -> float:
        started = time.perf_counter()
        for chat in self.users:
            self.transcripts[chat] = []
            self.step[chat] = 0
            self.sent_at[chat] = started
            self.api.send_text(self._people[chat], "/start")
        return started

    def on_output(self, output: JSONDict, at: float) -> bool:
        chat = int(output["chat_id"])
        if chat not in self.members or output["edited"]:
            return False
        self.transcripts[chat].append(output["text"] or "")
        self.last_reply = at
        if has_inline_keyboard(output):
            self.latencies.append(at - self.sent_at[chat])
            self.step[chat] += 1
            if self.step[chat] == STEPS:
                self.finished += 1
                if self.finished == len(self.users):
                    self.done.set()
            else:
                self._loop.call_soon(self._answer, chat, output)
        return True

    def _answer(self, chat: int, message: JSONDict) -> None:
        self.sent_at[chat] = time.perf_counter()
        user = self._people[chat]
        if self.step[chat] == 2:  # the name the registration asks for
            self.api.send_text(user, TYPED_NAME)
        else:  # "register" on the welcome menu, then the first kind of entity
            buttons = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
            self.api.press(user, message, REGISTER if self.step[chat] == 1 else buttons[0])


def crowd_figures(crowd: Crowd, started: float, rejected: int) -> JSONDict:
    reference = crowd.transcripts[crowd.users[0]]
    messages = sum(len(t) for t in crowd.transcripts.values())
    last = crowd.last_reply - started
    least = messages / LIMIT
    return {
        "users": len(crowd.users),
        "messages": messages,
        "messages_per_user": len(reference),
        # Through all steps, and saw exactly what the first user saw.
        "users_complete_in_order": sum(
            1
            for chat, seen in crowd.transcripts.items()
            if crowd.step[chat] == STEPS and seen == reference
        ),
        "users_short": sum(1 for t in crowd.transcripts.values() if len(t) < len(reference)),
        "users_doubled": sum(1 for t in crowd.transcripts.values() if len(t) > len(reference)),
        "last_reply_seconds": last,
        "least_seconds": least,
        "share_of_limit": least / last if last > 0 else 0.0,
        "step_p50": percentile(crowd.latencies, 50),
        "step_p99": percentile(crowd.latencies, 99),
        "step_max": max(crowd.latencies) if crowd.latencies else float("nan"),
        "rejected_429": rejected,
    }


async def one_run(
    args: argparse.Namespace, workdir: Path, template: Path, with_broadcast: bool
) -> JSONDict:
    from testkit.fake_bot_api import RateLimit

    name = "beside-broadcast" if with_broadcast else "alone"
    producers = [broadcast_bench.FIRST_PRODUCER + n for n in range(args.burst_recipients)]
    db_path = workdir / f"{name}.db"
    await asyncio.to_thread(shutil.copyfile, template, db_path)
    if with_broadcast:
        await broadcast_bench.queue_broadcast(db_path, "Thông báo: hội chợ OCOP mở cửa từ 28/11.")
    os.environ["OCOP_CONFIG"] = str(broadcast_bench.bench_config(workdir))
    limits = RateLimit(global_per_second=LIMIT, per_chat_per_second=1)
    async with BenchAPI(rate_limit=limits) as api:
        for chat in producers:
            api.user(chat, "Producer", "vi")
        api.user(broadcast_bench.OFFICER, "Officer", "vi")
        watch = broadcast_bench.Watch(set(producers) if with_broadcast else set())
        crowd = Crowd(api, [FIRST_USER + n for n in range(args.burst_users)])
        under_way = asyncio.Event()

        def on_output(output: JSONDict, at: float) -> None:
            if not crowd.on_output(output, at):
                watch.on_output(output, at)
                if len(watch.deliveries) >= UNDER_WAY:
                    under_way.set()

        api.on_output = on_output
        process = BotProcess(
            f"burst-{name}", broadcast_bench.child_command(), api, workdir, db_path
        )
        await process.start()
        if with_broadcast:
            await asyncio.wait_for(under_way.wait(), 120)
        started = crowd.start()
        with contextlib.suppress(TimeoutError):  # counted below as users short of replies
            await asyncio.wait_for(crowd.done.wait(), args.burst_users * STEPS * 3 / LIMIT + 120)
        result = crowd_figures(crowd, started, api.rejected_429)
        result["steps_done"] = dict(Counter(crowd.step.values()))
        result["errors_by_status"] = dict(Counter(error["status"] for error in api.errors))
        if with_broadcast:
            await asyncio.wait_for(watch.report.wait(), len(producers) / LIMIT * 2 + 120)
            delivered = Counter(chat for _at, chat in watch.deliveries)
            result["broadcast"] = {
                "recipients": len(producers),
                "delivered": len(delivered),
                "lost": len(set(producers) - set(delivered)),
                "doubled": sum(1 for n in delivered.values() if n > 1),
                "rows": broadcast_bench.row_statuses(db_path),
                "delivered_while_crowd": sum(
                    1 for at, _chat in watch.deliveries if started <= at <= crowd.last_reply
                ),
            }
            result["rejected_429"] = api.rejected_429
        await process.stop()
        result["log_problems"] = process.log_problems()[:5]
        if result["users_complete_in_order"] < result["users"]:
            print(process.log_tail(40), flush=True)
    return result


async def run(args: argparse.Namespace) -> JSONDict:
    with tempfile.TemporaryDirectory(prefix="ocop-burst-") as tmp:
        workdir = Path(tmp)
        producers = [broadcast_bench.FIRST_PRODUCER + n for n in range(args.burst_recipients)]
        template = await broadcast_bench.prepare(workdir, producers)
        alone = await one_run(args, workdir, template, with_broadcast=False)
        print(f"  [burst] alone: {summary(alone)}", flush=True)
        beside = None
        if not args.burst_skip_broadcast:
            beside = await one_run(args, workdir, template, with_broadcast=True)
            print(f"  [burst] beside a broadcast: {summary(beside)}", flush=True)
    runs = [run for run in (alone, beside) if run is not None]
    checks = {
        "every_reply_in_order": all(r["users_complete_in_order"] == r["users"] for r in runs),
        "nothing_twice": all(r["users_doubled"] == 0 for r in runs),
    }
    if beside is not None:
        sent = beside["broadcast"]
        checks["broadcast_exactly_once"] = sent["lost"] == 0 and sent["doubled"] == 0
    return {"met": all(checks.values()), "checks": checks, "alone": alone, "beside": beside}


def summary(result: JSONDict) -> str:
    text = (
        f"{result['users_complete_in_order']}/{result['users']} users got every reply in order "
        f"({result['messages']} messages, {result['users_doubled']} doubled); last reply after "
        f"{result['last_reply_seconds']:.1f} s, least possible {result['least_seconds']:.1f} s "
        f"({result['share_of_limit']:.0%}); step p50 {result['step_p50']:.2f} s, "
        f"p99 {result['step_p99']:.2f} s; 429s {result['rejected_429']}"
    )
    sent = result.get("broadcast")
    if sent:
        text += (
            f"; broadcast {sent['delivered']:,}/{sent['recipients']:,} delivered, "
            f"{sent['lost']} lost, {sent['doubled']} doubled, "
            f"{sent['delivered_while_crowd']} of them while the crowd was answered"
        )
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument("--burst-users", type=int, default=300, help="new users at once")
    group.add_argument(
        "--burst-recipients", type=int, default=10_000, help="recipients of the broadcast"
    )
    group.add_argument("--burst-skip-broadcast", action="store_true", help="run 1 only")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.burst_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", metavar="PATH", help="also write the raw figures here")
    add_arguments(parser)
    args = parser.parse_args(argv)
    info = machine_info()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    started = time.perf_counter()
    result = asyncio.run(run(args))
    result["machine"] = info
    result["seconds"] = time.perf_counter() - started
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(f"== burst: {'met' if result['met'] else 'NOT met'} {result['checks']}", flush=True)
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())

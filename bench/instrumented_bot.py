"""`ocop-bot run` with stage timers, for diagnosis only (never in a counted run).

    BENCH_STAGES_PATH=/tmp/stages.json python -m bench.instrumented_bot

The bot's code is not changed: a few of its functions are wrapped at import
time, then `bot.cli.main(["run"])` runs as usual. At exit the distribution
of each stage's wall time is written as JSON:

* queued in the bot: from the getUpdates response that brought the update to
  the start of the bot's handler (the poller's task scheduling, and its wait
  for a free slot);
* handler: TelegramChannel.handle_update, all of it;
* answerCallbackQuery: the HTTP call that stops a button's spinner (a task
  of its own beside the handler);
* Dispatcher.handle: per-chat lock, the transaction(s), error handling;
* transaction: the body (user, conversation, router, buttons), the exit
  (flush + COMMIT), and the SQLite write lock, which a transaction takes at
  its first write (storage/db.py): the wait for it, and how long it is held
  (from BEGIN IMMEDIATE to the release as COMMIT is handed to the driver);
* aiosqlite round trip: one call handed to aiosqlite's worker thread until
  its result is back in the coroutine (queue, GIL hand-overs, SQLite), and
  how many such calls one transaction makes;
* send_replies: the sendMessage calls.

BENCH_SWITCH_INTERVAL=0.0005 also sets sys.setswitchinterval (default 5 ms),
to see how much of the above is threads waiting for the GIL.

BENCH_CPROFILE_PATH=/tmp/bot.prof runs the event-loop thread under cProfile
instead (deterministic; the aiosqlite worker thread is not in it) and writes
the stats there and a summary beside them (…-summary.txt): the profiled
time by layer (the project, PTB, HTTP client, SQLAlchemy, …) and by
function. With BENCH_PROFILE_TARGET=echo the echo bot (bench/echo_bot.py)
is profiled the same way, for comparison.
"""

from __future__ import annotations

import atexit
import contextvars
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import bench
from bench.common import percentile

now = time.perf_counter
samples: dict[str, list[float]] = defaultdict(list)
_arrived: dict[int, float] = {}
_calls: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("calls", default=None)


def _install() -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.channels import telegram as channel
    from bot.channels.telegram_polling import Poller
    from bot.core.dispatcher import Dispatcher
    from storage import sqlite_driver
    from storage.db import Database

    hand_over = Poller._hand_over

    async def timed_hand_over(self: Any, updates: list[Any]) -> None:
        arrived = now()
        for update in updates:
            _arrived[update["update_id"]] = arrived
        if updates:
            samples["getUpdates batch size"].append(len(updates))
        await hand_over(self, updates)

    Poller._hand_over = timed_hand_over  # type: ignore[method-assign]

    handle_update = channel.TelegramChannel.handle_update

    async def timed_handle_update(self: Any, update: Any) -> None:
        start = now()
        arrived = _arrived.pop(update["update_id"], None)
        if arrived is not None:
            samples["queued in the bot (getUpdates → handler)"].append(start - arrived)
        try:
            await handle_update(self, update)
        finally:
            samples["handler (handle_update)"].append(now() - start)

    channel.TelegramChannel.handle_update = timed_handle_update  # type: ignore[method-assign]

    answer = channel.TelegramChannel.acknowledge

    async def timed_answer(self: Any, *args: Any, **kwargs: Any) -> Any:
        start = now()
        try:
            return await answer(self, *args, **kwargs)
        finally:
            samples["answerCallbackQuery"].append(now() - start)

    channel.TelegramChannel.acknowledge = timed_answer  # type: ignore[method-assign]

    handle = Dispatcher.handle

    async def timed_handle(self: Any, *args: Any, **kwargs: Any) -> Any:
        start = now()
        try:
            return await handle(self, *args, **kwargs)
        finally:
            samples["Dispatcher.handle"].append(now() - start)

    Dispatcher.handle = timed_handle  # type: ignore[method-assign]

    execute = sqlite_driver._hand_over

    async def timed_execute(connection: Any, *args: Any) -> Any:
        start = now()
        try:
            return await execute(connection, *args)
        finally:
            samples["aiosqlite call round trip"].append(now() - start)
            calls = _calls.get()
            if calls is not None:
                calls[0] += 1

    sqlite_driver._hand_over = timed_execute

    class TimedWriter(sqlite_driver.WriterLock):
        """SQLite's writer, timed in the driver's threads: the wait for it and how long
        it is held (BEGIN IMMEDIATE → COMMIT or ROLLBACK)."""

        since = 0.0

        def acquire(self, owner: object) -> None:
            start = now()
            super().acquire(owner)
            self.since = now()
            samples["writer: wait (at the first write, in the thread)"].append(self.since - start)

        def release(self, owner: object) -> None:
            held = self._owner is owner
            super().release(owner)
            if held:
                samples["writer: held (BEGIN IMMEDIATE → COMMIT)"].append(now() - self.since)

    dbapi_init = sqlite_driver.OneHopDBAPI.__init__

    def timed_dbapi_init(self: Any) -> None:
        dbapi_init(self)
        self.writer = TimedWriter()

    sqlite_driver.OneHopDBAPI.__init__ = timed_dbapi_init  # type: ignore[method-assign]

    transaction = Database.transaction

    @asynccontextmanager
    async def timed_transaction(self: Any) -> AsyncIterator[AsyncSession]:
        calls = [0]
        token = _calls.set(calls)
        try:
            async with transaction(self) as session:
                entered = now()
                yield session
                body_done = now()
                samples["transaction: body (queries, router)"].append(body_done - entered)
            samples["transaction: exit (flush, COMMIT)"].append(now() - body_done)
            samples["aiosqlite calls per transaction"].append(calls[0])
        finally:
            _calls.reset(token)

    Database.transaction = timed_transaction  # type: ignore[method-assign]

    send_replies = channel.send_replies

    async def timed_send(*args: Any, **kwargs: Any) -> Any:
        start = now()
        try:
            return await send_replies(*args, **kwargs)
        finally:
            samples["send_replies (sendMessage)"].append(now() - start)

    channel.send_replies = timed_send


def summary() -> dict[str, dict[str, float]]:
    result: dict[str, dict[str, float]] = {}
    for stage, values in samples.items():
        if not values:
            continue
        result[stage] = {
            "count": len(values),
            "mean": sum(values) / len(values),
            "p50": percentile(values, 50),
            "p90": percentile(values, 90),
            "p99": percentile(values, 99),
            "max": max(values),
        }
    return result


def _dump() -> None:
    path = os.environ.get("BENCH_STAGES_PATH")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(summary(), out, indent=2, ensure_ascii=False)


def _short(path: str) -> str:
    path = path.split("site-packages/")[-1]
    root = str(bench.ROOT) + "/"
    return path.split(root)[-1]


# Layers of the stack, by where a function's file is (first match wins).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("the project (bot/, storage/)", ("/bot/", "/storage/")),
    ("python-telegram-bot", ("/telegram/",)),
    (
        "HTTP client (httpx, httpcore, h11, anyio)",
        ("/httpx/", "/httpcore/", "/h11/", "/anyio/", "/sniffio/", "/idna/"),
    ),
    ("SQLAlchemy", ("/sqlalchemy/",)),
    ("aiosqlite (hand-over to its thread)", ("/aiosqlite/",)),
    ("Babel (i18n)", ("/babel/",)),
    ("json", ("/json/",)),
    ("asyncio event loop", ("/asyncio/", "selectors.py")),
)


def _layer(file: str) -> str:
    for layer, markers in LAYERS:
        if any(marker in file for marker in markers):
            return layer
    return "other Python"


def profile_summary(stats: pstats.Stats, top: int = 40) -> str:
    """Shares of the profiled time: by layer, and by function (self time).

    A C function (file "~") is counted in the layer of its Python callers,
    in proportion to the time each caller spent in it; the wait in epoll is
    the loop being idle and is shown apart. Cumulative times are left out:
    cProfile counts every resumption of a coroutine as a call, so they are
    not meaningful here.
    """
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values()) or 1.0
    layers: dict[str, float] = defaultdict(float)
    rows = []
    for (file, line, name), (_cc, calls, tottime, _cumtime, callers) in raw.items():
        label = f"{_short(file)}:{line}:{name}"
        rows.append((label, calls, tottime))
        if "poll' of 'select.epoll" in name:
            layers["idle: waiting in epoll"] += tottime
        elif file == "~" and callers:
            weights = {caller: figures[2] for caller, figures in callers.items()}
            spread = sum(weights.values()) or 1.0
            for caller, weight in weights.items():
                layers[_layer(caller[0])] += tottime * weight / spread
        else:
            layers[_layer(file)] += tottime
    out = io.StringIO()
    out.write(f"profiled time {total:.1f} s (event-loop thread, cProfile)\n\n")
    out.write("self time by layer:\n")
    for layer, seconds in sorted(layers.items(), key=lambda item: item[1], reverse=True):
        out.write(f"  {seconds / total:6.1%}  {layer}\n")
    out.write(f"\nself time by function, top {top}:\n")
    for label, calls, tottime in sorted(rows, key=lambda r: r[2], reverse=True)[:top]:
        out.write(f"  {tottime / total:6.1%}  {calls:>9} calls  {label}\n")
    return out.getvalue()


def main() -> int:
    interval = os.environ.get("BENCH_SWITCH_INTERVAL")
    if interval:
        sys.setswitchinterval(float(interval))
    from bot import cli

    profile_path = os.environ.get("BENCH_CPROFILE_PATH")
    if not profile_path:
        _install()  # (not under cProfile: its wrappers would be in the profile)
        atexit.register(_dump)
        return cli.main(["run"])
    # CPU time of the event-loop thread, not wall time: on a shared machine a
    # function preempted by another process would otherwise look expensive.
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    try:
        if os.environ.get("BENCH_PROFILE_TARGET") == "echo":
            import asyncio

            from bench import echo_bot

            asyncio.run(echo_bot.main())
            return 0
        return cli.main(["run"])
    finally:
        profiler.disable()
        profiler.dump_stats(profile_path)
        summary_path = profile_path.removesuffix(".prof") + "-summary.txt"
        with open(summary_path, "w", encoding="utf-8") as out:
            out.write(profile_summary(pstats.Stats(profiler)))


if __name__ == "__main__":
    raise SystemExit(main())

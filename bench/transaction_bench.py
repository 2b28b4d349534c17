"""The dispatcher's per-update transaction, in process: CPU per update, statements per update.

    python -m bench.transaction_bench                       # this tree, SQLite
    python -m bench.transaction_bench --trees .,/work/main --rounds 5
    python -m bench.transaction_bench --database-url postgresql+asyncpg://postgres@127.0.0.1/test
    python -m bench.transaction_bench --profile /tmp/tx.prof

No network, no channel: `--users` producers (language vi, as in the closed
loop) walk the product registration form of bench/common.py (`PRODUCT`)
straight through `Dispatcher.handle` with Telegram's capabilities, on a
fresh database. First each user is walked `i mod 20` steps (not counted), so
the measured updates see the steady-state mix of steps, saves included; then
`--updates` updates are handled, one user after another in turn, and the
process CPU time (the event loop and aiosqlite's thread) and the event-loop
thread's own CPU time are divided by the updates (and, with `--concurrency 1`,
each update's event-loop CPU is kept by step of the form:
`loop_cpu_ms_by_step`, medians, 0 being /newproduct and 19 the save). A
second, shorter pass counts what one update costs the database layer: statements (by kind),
greenlet switches (SQLAlchemy's asyncio bridge) and, on SQLite, hand-overs
to aiosqlite's thread.

With `--trees A,B` each round runs every tree's code in a process of its
own (bot/ and storage/ of that tree, this tree's bench/), alternating the
order, and the medians are compared: CPU before and after a change, in one
run on one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import bench  # noqa: F401  (puts the repository root on sys.path)
from bench.common import add_producers

NAME = "transaction"
POSTGRES_URL = os.environ.get(
    "OCOP_BENCH_POSTGRES_URL",
    os.environ.get("OCOP_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--updates", type=int, default=1500, help="measured updates")
    parser.add_argument("--count-updates", type=int, default=300, help="updates counted")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="users whose updates are handled at once"
    )
    parser.add_argument(
        "--database-url",
        default="sqlite",
        help="'sqlite' (a fresh file) or a PostgreSQL URL (a fresh database on that server)",
    )
    parser.add_argument("--trees", default="", help="comma-separated checkouts to compare")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", metavar="PATH", help="cProfile the measured pass")
    parser.add_argument("--json", metavar="PATH", help="also write the figures here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", default="", help=argparse.SUPPRESS)


# --------------------------------------------------------------------------- one run


async def _fresh_url(spec: str, workdir: Path) -> tuple[str, Any]:
    """A migrated, empty database; returns its URL and a coroutine function dropping it."""
    from storage.db import upgrade

    if spec == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'ocop.db'}"
        await asyncio.to_thread(upgrade, url)

        async def nothing() -> None:
            return None

        return url, nothing
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(spec)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"ocop_txbench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = base.set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, url)

    async def drop() -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    return url, drop


class Walker:
    """Each user's place in the form and the last screen with buttons."""

    def __init__(self, runtime: Any) -> None:
        from bench.common import PRODUCT
        from bot.channels.telegram import CAPABILITIES

        self.runtime = runtime
        self.steps = PRODUCT.steps
        self.caps = CAPABILITIES
        self.place: dict[str, int] = {}
        self.screen: dict[str, list[Any]] = {}
        # The event loop's CPU seconds of each update, by step of the form, once
        # `timed` (the measured walk): which steps cost more than the others.
        self.timed = False
        self.by_step: dict[int, list[float]] = {}

    async def step(self, user_id: str) -> None:
        from bot.core.types import Incoming

        index = self.place.get(user_id, 0)
        step = self.steps[index]
        incoming = Incoming(channel="telegram", chat_id=user_id, user_id=user_id, user_name="B")
        if step.kind == "text":
            incoming.text = step.value
        else:
            incoming.callback = self._callback(user_id, step.value)
        began = time.thread_time()
        replies = await self.runtime.dispatcher.handle(incoming, self.caps)
        if self.timed:
            self.by_step.setdefault(index, []).append(time.thread_time() - began)
        text = "\n".join(reply.text for reply in replies)
        if step.expect not in text:
            raise AssertionError(f"step {index} ({step.value!r}): {text[:300]!r}")
        self.screen[user_id] = replies
        self.place[user_id] = (index + 1) % len(self.steps)

    def _callback(self, user_id: str, label: str) -> str:
        for exact in (True, False):
            for reply in self.screen[user_id]:
                for r, row in enumerate(reply.buttons):
                    for c, button in enumerate(row):
                        if button.label == label or (not exact and label in button.label):
                            data: str = reply.callback_data[r][c]
                            return data
        raise AssertionError(f"no button {label!r}")


async def _walk(walker: Walker, order: list[str], concurrency: int) -> None:
    """The updates of `order`, `concurrency` users at a time (each user's in turn)."""
    if concurrency <= 1:
        for user_id in order:
            await walker.step(user_id)
        return

    async def lane(lane_order: list[str]) -> None:
        for user_id in lane_order:
            await walker.step(user_id)

    users = sorted(set(order))
    lane_of = {user_id: i % concurrency for i, user_id in enumerate(users)}
    lanes: list[list[str]] = [[] for _ in range(concurrency)]
    for user_id in order:
        lanes[lane_of[user_id]].append(user_id)
    await asyncio.gather(*(lane(lane_order) for lane_order in lanes))


async def _run_one(args: argparse.Namespace) -> dict[str, Any]:
    import greenlet

    from bot.config import load_settings
    from bot.runtime import build_runtime

    with tempfile.TemporaryDirectory(prefix="txbench-") as tmp:
        workdir = Path(tmp)
        url, drop = await _fresh_url(args.database_url, workdir)
        try:
            settings = load_settings(
                environ={"OCOP_DATABASE_URL": url, "OCOP_MEDIA_DIR": str(workdir / "media")}
            )
            runtime = await build_runtime(settings, migrate=False)
            try:
                user_ids = [str(7_000_001 + i) for i in range(args.users)]
                async with runtime.db.transaction() as session:
                    await add_producers(session, user_ids)
                walker = Walker(runtime)
                for i, user_id in enumerate(user_ids):  # spread over the steps
                    for _ in range(i % len(walker.steps)):
                        await walker.step(user_id)
                for user_id in user_ids:  # warm every cache once more
                    await walker.step(user_id)

                order = [user_ids[i % len(user_ids)] for i in range(args.updates)]
                profiler = None
                if args.profile:
                    import cProfile

                    profiler = cProfile.Profile(time.thread_time)  # the event loop's CPU
                cpu, thread = time.process_time(), time.thread_time()
                wall = time.perf_counter()
                if profiler is not None:
                    profiler.enable()
                walker.timed = args.concurrency <= 1  # one at a time: each update's own CPU
                await _walk(walker, order, args.concurrency)
                walker.timed = False
                if profiler is not None:
                    profiler.disable()
                cpu, thread = time.process_time() - cpu, time.thread_time() - thread
                wall = time.perf_counter() - wall
                if profiler is not None:
                    profiler.dump_stats(args.profile)

                # What one update costs the database layer.
                statements: Counter[str] = Counter()
                switches = 0

                def count(statement: str) -> None:
                    statements[statement.lstrip().split(None, 1)[0].upper()] += 1
                    if os.environ.get("TXBENCH_SQL"):
                        print(" ".join(statement.split())[:150], file=sys.stderr)

                # Statements as they reach the DBAPI cursor: those SQLAlchemy executes,
                # those a unit runs there itself (storage/db.py `Prepared`), and those
                # read on the event loop (storage/sqlite_driver.py `LoopReader`).
                from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_cursor

                from storage import sqlite_driver

                cursor_classes: list[Any] = [AsyncAdapt_asyncpg_cursor]
                if hasattr(sqlite_driver, "OneHopCursor"):
                    cursor_classes.append(sqlite_driver.OneHopCursor)
                methods = [(cls, m) for cls in cursor_classes for m in ("execute", "executemany")]
                if hasattr(sqlite_driver, "LoopReader"):  # reads on the event loop itself
                    methods.append((sqlite_driver.LoopReader, "fetch_one"))
                patched: list[tuple[Any, str, Any]] = []
                for cls, method in methods:
                    original_method = cls.__dict__.get(method) or getattr(cls, method)

                    def counting(self: Any, sql: Any, *rest: Any, _o: Any = original_method) -> Any:
                        count(str(sql))
                        return _o(self, sql, *rest)

                    patched.append((cls, method, cls.__dict__.get(method)))
                    setattr(cls, method, counting)

                def trace(what: str, _targets: Any) -> None:
                    nonlocal switches
                    if what in ("switch", "throw"):
                        switches += 1

                import aiosqlite

                # Every trip to aiosqlite's thread: the driver's own hand-over where it
                # has one, else aiosqlite's (the same arguments).
                owner: Any = sqlite_driver
                name = "_hand_over"
                if not hasattr(sqlite_driver, name):
                    owner, name = aiosqlite.Connection, "_execute"
                handovers = 0
                original = getattr(owner, name)

                async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
                    nonlocal handovers
                    handovers += 1
                    return await original(self, fn, *args, **kwargs)

                setattr(owner, name, counted)
                previous = greenlet.settrace(trace)
                try:
                    for user_id in order[: args.count_updates]:
                        await walker.step(user_id)
                finally:
                    greenlet.settrace(previous)
                    setattr(owner, name, original)
                    for cls, method, before in patched:
                        if before is None:
                            delattr(cls, method)
                        else:
                            setattr(cls, method, before)
            finally:
                await runtime.close()
        finally:
            await drop()
    n, counted = args.updates, args.count_updates
    import storage.db

    return {
        "tree": os.path.dirname(os.path.dirname(storage.db.__file__)),
        "database": "sqlite" if args.database_url == "sqlite" else "postgresql",
        "updates": n,
        "cpu_ms_per_update": 1000 * cpu / n,
        "loop_cpu_ms_per_update": 1000 * thread / n,
        "wall_ms_per_update": 1000 * wall / n,
        "statements_per_update": sum(statements.values()) / counted,
        "statements_by_kind": {k: v / counted for k, v in sorted(statements.items())},
        "greenlet_switches_per_update": switches / counted,
        "aiosqlite_handovers_per_update": handovers / counted,
        # Median event-loop CPU of one update at each step of the form (0: /newproduct,
        # the last: the save), with --concurrency 1.
        "loop_cpu_ms_by_step": {
            str(step): round(1000 * statistics.median(times), 3)
            for step, times in sorted(walker.by_step.items())
        },
    }


# --------------------------------------------------------------------------- A/B


def _child(tree: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "bench.transaction_bench",
        "--child",
        "--tree",
        tree,
        "--users",
        str(args.users),
        "--updates",
        str(args.updates),
        "--count-updates",
        str(args.count_updates),
        "--database-url",
        args.database_url,
        "--concurrency",
        str(args.concurrency),
    ]
    here = Path(__file__).resolve().parents[1]
    done = subprocess.run(command, cwd=here, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{tree}: {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _compare(args: argparse.Namespace) -> dict[str, Any]:
    trees = [str(Path(t).resolve()) for t in args.trees.split(",") if t]
    runs: dict[str, list[dict[str, Any]]] = {tree: [] for tree in trees}
    for round_ in range(args.rounds):
        for tree in trees if round_ % 2 == 0 else trees[::-1]:
            result = _child(tree, args)
            runs[tree].append(result)
            print(
                f"round {round_ + 1} {tree}: {result['cpu_ms_per_update']:.3f} CPU-ms "
                f"(loop {result['loop_cpu_ms_per_update']:.3f}), "
                f"{result['statements_per_update']:.2f} statements, "
                f"{result['greenlet_switches_per_update']:.1f} switches, "
                f"{result['aiosqlite_handovers_per_update']:.2f} aiosqlite hand-overs",
                flush=True,
            )
    summary: dict[str, Any] = {}
    for tree, results in runs.items():
        summary[tree] = {
            key: statistics.median(r[key] for r in results)
            for key in (
                "cpu_ms_per_update",
                "loop_cpu_ms_per_update",
                "wall_ms_per_update",
                "statements_per_update",
                "greenlet_switches_per_update",
                "aiosqlite_handovers_per_update",
            )
        }
        summary[tree]["statements_by_kind"] = results[-1]["statements_by_kind"]
        steps = results[-1].get("loop_cpu_ms_by_step", {})
        summary[tree]["loop_cpu_ms_by_step"] = {
            step: statistics.median(r["loop_cpu_ms_by_step"][step] for r in results)
            for step in steps
        }
    print(f"\nmedians of {args.rounds} rounds, {args.updates} updates each ({args.database_url}):")
    for tree, figures in summary.items():
        print(
            f"  {tree}: {figures['cpu_ms_per_update']:.3f} CPU-ms/update "
            f"(event loop {figures['loop_cpu_ms_per_update']:.3f}), "
            f"{figures['statements_per_update']:.2f} statements "
            f"{figures['statements_by_kind']}, "
            f"{figures['greenlet_switches_per_update']:.1f} greenlet switches, "
            f"{figures['aiosqlite_handovers_per_update']:.2f} aiosqlite hand-overs"
        )
        if figures["loop_cpu_ms_by_step"]:
            by_step = ", ".join(f"{k}: {v:.2f}" for k, v in figures["loop_cpu_ms_by_step"].items())
            print(f"    event-loop CPU-ms by step of the form: {by_step}")
    ratios: dict[str, float] = {}
    if len(trees) == 2:
        a, b = (summary[t]["cpu_ms_per_update"] for t in trees)
        per_round = statistics.median(
            second["cpu_ms_per_update"] / first["cpu_ms_per_update"]
            for first, second in zip(runs[trees[0]], runs[trees[1]], strict=True)
        )
        ratios = {"of_medians": b / a, "median_per_round": per_round}
        print(
            f"  CPU {trees[1]} / {trees[0]}: {b / a:.3f} (ratio of the medians), "
            f"{per_round:.3f} (median of the rounds' ratios)"
        )
    return {"rounds": runs, "medians": summary, "ratios": ratios}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.transaction_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.database_url == "postgresql":
        args.database_url = POSTGRES_URL
    if args.child:
        if args.tree:
            sys.path.insert(0, str(Path(args.tree).resolve()))
        result = asyncio.run(_run_one(args))
        print(json.dumps(result))
        return 0
    if args.trees:
        figures = _compare(args)
    else:
        figures = asyncio.run(_run_one(args))
        print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Memory: the bot process's resident set after 10,000 distinct users.

Each of 10,000 new Telegram users has one exchange with the bot: /start,
answered with the welcome menu in the app's language (`--memory-steps 2`
also presses "❓ Hướng dẫn" and gets the help). A fixed number of users are in
conversation at a time; the next user starts when one finishes. The bot's
RSS (psutil) is read right after start (polling, idle: the baseline), every
half second during the run (peak), at every 1,000 users, and at the end
after a short idle.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    FIRST_CONTACT,
    BenchAPI,
    BotProcess,
    Driver,
    Script,
    Sim,
    bot_command,
    copy_database,
    mib,
    prepare_database,
)

NAME = "memory"
FIRST_ID = 7_000_001
TARGET_BYTES = 150 * 2**20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument("--memory-users", type=int, default=10_000)
    group.add_argument("--memory-concurrency", type=int, default=50)
    group.add_argument(
        "--memory-steps",
        type=int,
        choices=(1, 2),
        default=1,
        help="1: /start → welcome menu; 2: also open the help",
    )
    group.add_argument(
        "--memory-limit", type=float, default=300.0, help="seconds at most for the users"
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    script = Script(FIRST_CONTACT.name, FIRST_CONTACT.steps[: args.memory_steps])
    with tempfile.TemporaryDirectory(prefix="ocop-bench-memory-") as tmp:
        workdir = Path(tmp)
        async with BenchAPI() as api:
            template = await prepare_database(workdir, api, [])
            db_path = copy_database(template, workdir / "memory.db")
            proc = BotProcess("memory-bot", bot_command(), api, workdir, db_path)
            await proc.start()
            try:
                await asyncio.sleep(1.0)
                baseline = proc.rss()
                driver = Driver(api, script, closed=True)
                users = args.memory_users
                next_id = FIRST_ID
                finished = 0
                checkpoints: list[tuple[int, int]] = []
                all_done = asyncio.Event()
                loop = asyncio.get_running_loop()

                def begin() -> None:
                    nonlocal next_id
                    sim = driver.add(next_id, remaining=len(script.steps))
                    next_id += 1
                    loop.call_soon(driver.send, sim)

                def on_finished(sim: Sim) -> None:
                    nonlocal finished
                    finished += 1
                    del driver.sims[sim.user.id]  # keep the bench's own memory flat
                    if finished % 1000 == 0:
                        checkpoints.append((finished, proc.rss()))
                    if next_id < FIRST_ID + users:
                        begin()
                    elif finished + len(driver.errors) >= users:
                        all_done.set()

                driver.on_finished = on_finished
                driver.running = True
                peak = baseline
                started = time.perf_counter()
                cut_off = min(started + args.memory_limit, args.deadline - args.reserve - 10)
                for _ in range(min(args.memory_concurrency, users)):
                    begin()
                while not all_done.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(all_done.wait(), 0.5)
                    peak = max(peak, proc.rss())
                    api.trim()
                    if driver.errors and driver.in_flight == 0 and next_id >= FIRST_ID + users:
                        break
                    if time.perf_counter() > cut_off:
                        print(
                            f"  [{NAME}] time budget reached after {finished} users",
                            flush=True,
                        )
                        break
                elapsed = time.perf_counter() - started
                await asyncio.sleep(1.0)
                final = proc.rss()
                peak = max(peak, final)
            finally:
                code = await proc.stop()
    met = final < TARGET_BYTES and not driver.errors and finished >= users
    per_user = (final - baseline) / max(finished, 1)
    return {
        "name": NAME,
        "users": finished,
        "steps_per_user": len(script.steps),
        "users_seconds": elapsed,
        "updates_per_s": finished * len(script.steps) / elapsed,
        "rss_baseline": baseline,
        "rss_final": final,
        "rss_peak": peak,
        "bytes_per_user": per_user,
        "checkpoints": checkpoints,
        "errors": driver.errors[:5],
        "error_count": len(driver.errors),
        "log_problems": proc.log_problems()[:5],
        "exit_code": code,
        "target": f"RSS < {mib(TARGET_BYTES)}",
        "met": met,
        "summary": (
            f"memory, {finished} of {users} users × {len(script.steps)} update(s) in "
            f"{elapsed:.0f} s: RSS after start "
            f"{mib(baseline)}, after the users {mib(final)} (peak {mib(peak)}, "
            f"{per_user / 1024:.1f} KiB per user; target < {mib(TARGET_BYTES)}) "
            f"{'MET' if met else 'MISSED'}; checkpoints "
            + ", ".join(f"{n}: {mib(rss)}" for n, rss in checkpoints)
            + (f"; {len(driver.errors)} error(s)" if driver.errors else "")
        ),
    }

"""Closed loop: 200 producers register products at once; updates per second.

Each simulated producer (pre-registered, language vi) sends /newproduct and
then the next answer of the product form as soon as the reply carrying the
next step's keyboard arrives, 20 updates per product, and starts the next
product after "💾 Lưu". The bare python-telegram-bot echo bot gets the same
200 users × 20 steps as plain texts on its own fake server.

First the producers are spread evenly over the 20 steps of the form
(producer i is walked through i mod 20 steps; not counted), so that every
window sees the steady-state mix of steps, saves included. Then the load
alternates between the bot and the echo bot in short windows (bot, echo,
bot, echo, …). Each window starts a fresh process on that side's fake
server and database (the users go on where they paused: the conversation
state is in the database), lets the users run, warms up, counts the
updates answered in a fixed time, then pauses the users, lets the updates
in flight drain and stops the process. Short alternating windows put a bot
window and its echo window close together in time, so the noise of the
shared machine hits both alike. (Fresh processes, because PTB's HTTP
connection pool keeps state between windows that makes a reused echo bot
slower each time.) Reported: the median of the windows for each, the ratio
of the medians, the median of the per-pair ratios, and the CPU time each
process spends per update (less sensitive to the noise).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from bench import profile
from bench.common import (
    ECHO,
    PRODUCT,
    BenchAPI,
    BotProcess,
    CpuMeter,
    Driver,
    bot_command,
    copy_database,
    echo_command,
    fmt_ms,
    instrumented_command,
    median,
    percentile,
    prepare_database,
    settle_machine,
)

NAME = "closed_loop"
FIRST_ID = 5_000_001
TARGET_RATIO = 0.80


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument("--closed-users", type=int, default=200)
    group.add_argument("--closed-warmup", type=float, default=3.0, help="seconds per window")
    group.add_argument("--closed-window", type=float, default=6.0, help="counted seconds")
    group.add_argument(
        "--closed-repeats", type=int, default=3, help="bot/echo window pairs (at least 3 run)"
    )
    group.add_argument(
        "--closed-echo-transport",
        choices=("httpx", "aiohttp"),
        default="httpx",
        help="the echo bot's HTTP client: PTB's default (httpx, the bare baseline) or the "
        "bot's own (bot/channels/telegram_http.py), for a like-for-like comparison",
    )
    group.add_argument(
        "--closed-budget",
        type=float,
        default=130.0,
        help="seconds; pairs after the third start only while within it",
    )


@dataclass
class Side:
    """One kind's fake server, database and users, kept for the whole benchmark;
    each window runs a fresh process on them."""

    kind: str
    api: BenchAPI
    db_path: Path
    driver: Driver
    workdir: Path
    command: list[str]
    extra_env: dict[str, str]
    proc: BotProcess | None = None
    windows: int = 0

    async def start(self) -> BotProcess:
        self.windows += 1
        self.proc = BotProcess(
            f"{self.kind}-{self.windows}",
            self.command,
            self.api,
            self.workdir,
            self.db_path,
            self.extra_env,
        )
        await self.proc.start()
        return self.proc

    async def stop(self, grace: float = 3.0) -> list[str]:
        if self.proc is None:
            return []
        await self.proc.stop(grace)
        problems = self.proc.log_problems()[:5]
        self.proc = None
        return problems


async def _make_side(
    stack: AsyncExitStack,
    kind: str,
    workdir: Path,
    template: Path,
    args: argparse.Namespace,
    diag: str | None = None,
) -> Side:
    api = await stack.enter_async_context(BenchAPI())
    db_path = copy_database(template, workdir / f"{kind}-{diag or 'counted'}.db")
    command = bot_command() if kind == "bot" else echo_command()
    extra_env: dict[str, str] = {}
    if kind == "echo":
        extra_env["BENCH_ECHO_TRANSPORT"] = args.closed_echo_transport
    out = Path(args.profile or ".") / f"{NAME}-{kind}"
    if diag and diag.startswith("stages"):
        out.parent.mkdir(parents=True, exist_ok=True)
        command = instrumented_command()
        extra_env["BENCH_STAGES_PATH"] = str(out.with_name(f"{out.name}-{diag}.json"))
        if diag == "stages-fast-switch":
            extra_env["BENCH_SWITCH_INTERVAL"] = "0.0005"
    elif diag == "cprofile":  # the bot or the echo bot under cProfile
        out.parent.mkdir(parents=True, exist_ok=True)
        command = instrumented_command()
        extra_env["BENCH_CPROFILE_PATH"] = str(out.with_name(f"{out.name}-cprofile.prof"))
        extra_env["BENCH_PROFILE_TARGET"] = kind
    driver = Driver(api, PRODUCT if kind == "bot" else ECHO, closed=True)
    for i in range(args.closed_users):
        driver.add(FIRST_ID + i)
    side = Side(kind, api, db_path, driver, workdir, command, extra_env)
    stack.push_async_callback(side.stop, 60 if diag else 3)
    return side


async def _spread(side: Side, args: argparse.Namespace) -> float:
    """Advances user i by (i mod steps) steps, so the users are spread evenly over
    the form (saves included) before anything is counted; returns the seconds."""
    began = time.perf_counter()
    steps = len(side.driver.script.steps)
    for i, sim in enumerate(side.driver.sims.values()):
        sim.remaining = i % steps
    await side.start()
    side.driver.start_all()
    await side.driver.wait_quiet(limit=180)
    for sim in side.driver.sims.values():
        sim.remaining = None
    side.driver.running = False
    return time.perf_counter() - began


async def _window(
    side: Side, rep: int, args: argparse.Namespace, diag: str | None = None
) -> dict[str, Any]:
    """One counted window in a fresh process of the side (left running)."""
    proc = side.proc or await side.start()
    await settle_machine(max_wait=3.0)
    driver = side.driver
    first_record = len(driver.records)
    errors_before = len(driver.errors)
    driver.start_all()
    await asyncio.sleep(args.closed_warmup)
    assert proc.ps is not None
    meter = CpuMeter({"bot": proc.ps, "bench": psutil.Process()})
    start = time.perf_counter()
    if diag in ("pyspy", "pyspy-gil"):
        out = Path(args.profile) / f"{NAME}-{side.kind}-{diag}.txt"
        await profile.record(proc.pid, args.closed_window, out, gil=diag == "pyspy-gil")
    await asyncio.sleep(max(0.0, start + args.closed_window - time.perf_counter()))
    end = time.perf_counter()
    cpu = meter.stop()
    await driver.pause(limit=60)
    side.api.trim()
    window = [r for r in driver.records[first_record:] if start <= r.done < end]
    latencies = [r.latency for r in window]
    seconds = end - start
    return {
        "kind": side.kind,
        "rep": rep,
        "updates_per_s": len(window) / seconds,
        "updates": len(window),
        "handled": len(driver.records),  # in this process, warm-up and drain included
        "window_s": seconds,
        "products_saved": sum(1 for r in window if r.step == len(PRODUCT.steps) - 1)
        if side.kind == "bot"
        else None,
        "cpu_ms_per_update": cpu["bot"] * seconds / max(len(window), 1) * 1000,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "cpu": cpu,
        "errors": driver.errors[errors_before:][:5],
        "error_count": len(driver.errors) - errors_before,
    }


def _line(result: dict[str, Any]) -> str:
    return (
        f"{result['updates_per_s']:7.1f} updates/s, {result['cpu_ms_per_update']:5.1f} "
        f"CPU-ms/update, p50 {fmt_ms(result['p50'])}, p99 {fmt_ms(result['p99'])}; "
        f"cores: {result['kind']} {result['cpu']['bot']:.2f}, bench "
        f"{result['cpu']['bench']:.2f}, others {result['cpu']['others']:.2f}; "
        f"errors {result['error_count']}"
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ocop-bench-closed-") as tmp:
        workdir = Path(tmp)
        async with BenchAPI() as setup_api:  # only for the environment of `migrate`
            template = await prepare_database(
                workdir, setup_api, range(FIRST_ID, FIRST_ID + args.closed_users)
            )
        for kind, diag in args.diagnostic_runs:  # each in a process of its own
            async with AsyncExitStack() as stack:
                side = await _make_side(stack, kind, workdir, template, args, diag)
                if kind == "bot":
                    await _spread(side, args)
                result = await _window(side, 0, args, diag)
            print(
                f"  [{NAME}] diagnostic window ({diag}) {kind}: {_line(result)}; "
                f"{result['handled']} updates handled by the process "
                f"(not counted; see {args.profile})",
                flush=True,
            )
            stages = Path(args.profile) / f"{NAME}-{kind}-{diag}.json"
            if diag.startswith("stages") and stages.exists():
                table = profile.stages_table(stages)
                stages.with_suffix(".txt").write_text(table, encoding="utf-8")
                print(table, flush=True)
        if args.closed_repeats < 1:  # diagnostics only
            return _summary(runs, problems, args)
        async with AsyncExitStack() as stack:
            sides = [
                await _make_side(stack, kind, workdir, template, args) for kind in ("bot", "echo")
            ]
            spread_seconds = await _spread(sides[0], args)
            problems += await sides[0].stop()
            print(
                f"  [{NAME}] {args.closed_users} producers spread over the "
                f"{len(PRODUCT.steps)} steps of the form in {spread_seconds:.0f} s (not counted)",
                flush=True,
            )
            counted_from = time.perf_counter()
            pair_seconds = 0.0
            for rep in range(1, args.closed_repeats + 1):
                used = time.perf_counter() - counted_from
                late = time.perf_counter() + pair_seconds > args.deadline - args.reserve
                if rep > 3 and (used + pair_seconds > args.closed_budget or late):
                    print(f"  [{NAME}] time budget reached: {rep - 1} pairs", flush=True)
                    break
                pair_began = time.perf_counter()
                for side in sides:
                    # A fresh process each window (PTB's HTTP connection pool starts
                    # empty for both, as after a deployment) on the same fake server
                    # and database: the users go on where they paused.
                    result = await _window(side, rep, args)
                    problems += await side.stop()
                    runs.append(result)
                    print(f"  [{NAME}] pair {rep} {side.kind:4}: {_line(result)}", flush=True)
                pair_seconds = time.perf_counter() - pair_began
    return _summary(runs, problems, args)


def _summary(
    runs: list[dict[str, Any]], problems: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    bot = [r for r in runs if r["kind"] == "bot"]
    echo = [r for r in runs if r["kind"] == "echo"]
    bot_rate = median([r["updates_per_s"] for r in bot])
    echo_rate = median([r["updates_per_s"] for r in echo])
    pair_ratios = [b["updates_per_s"] / e["updates_per_s"] for b, e in zip(bot, echo, strict=True)]
    ratio = bot_rate / echo_rate
    bot_cpu = median([r["cpu_ms_per_update"] for r in bot])
    echo_cpu = median([r["cpu_ms_per_update"] for r in echo])
    errors = sum(r["error_count"] for r in runs)
    met = ratio >= TARGET_RATIO and errors == 0 and not problems
    return {
        "name": NAME,
        "runs": runs,
        "bot_updates_per_s": bot_rate,
        "echo_updates_per_s": echo_rate,
        "ratio": ratio,
        "pair_ratios": pair_ratios,
        "median_pair_ratio": median(pair_ratios),
        "bot_cpu_ms_per_update": bot_cpu,
        "echo_cpu_ms_per_update": echo_cpu,
        "others_cores": median([r["cpu"]["others"] for r in runs]),
        "log_problems": problems,
        "target": f"bot ≥ {TARGET_RATIO:.0%} of echo",
        "echo_transport": args.closed_echo_transport,
        "met": met,
        "summary": (
            f"closed loop, {args.closed_users} users, {len(bot)} pairs: bot {bot_rate:.1f} "
            f"updates/s, echo ({args.closed_echo_transport}) {echo_rate:.1f} updates/s "
            f"(medians), ratio {ratio:.2f} "
            f"(median of pair ratios {median(pair_ratios):.2f}; target ≥ {TARGET_RATIO:.2f}) "
            f"{'MET' if met else 'MISSED'}; CPU per update bot {bot_cpu:.1f} ms, echo "
            f"{echo_cpu:.1f} ms"
            + (f"; {errors} error(s)" if errors else "")
            + (f"; {len(problems)} logged problem(s)" if problems else "")
        ),
    }

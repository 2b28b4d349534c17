"""Closed loop: 200 producers register products at once; updates per second.

Each simulated producer (pre-registered, language vi) sends /newproduct and
then the next answer of the product form as soon as the reply carrying the
next step's keyboard arrives, 20 updates per product, and starts the next
product after "💾 Lưu". Two baselines get the same 200 users on fake servers
of their own: the bare python-telegram-bot echo bot (the same 20 steps as
plain texts, bench/echo_bot.py) and an aiogram 3 FSM bot walking the same
20-step form (bench/aiogram_bot.py). With `--closed-base DIR` the bot of
another checkout (main's, say) runs in the same rotation, for CPU per update
before and after a change.

First the producers are spread evenly over the 20 steps of the form
(producer i is walked through i mod 20 steps; not counted), so that every
window sees the steady-state mix of steps, saves included. Then the load
rotates between the kinds in short windows (bot, base, echo, aiogram, then
backwards). Each window starts a fresh process on that side's fake server
and database (the users go on where they paused: the conversation state is
in the database; the aiogram bot keeps its FSM in memory, so it is one
process throughout), lets the users run, warms up, counts the updates
answered in a fixed time, then pauses the users and lets the updates in
flight drain. With 2 CPUs or more the benchmark process (fake Bot API and
users) keeps to one CPU and the bots to another, so the load generator and
the bot never take turns on one core. Reported: the median of the windows
for each kind, the ratios of the medians and the median of the per-round
ratios, and the CPU time each process spends per update (its own CPU
seconds over the updates answered: less sensitive to the noise than
updates per second).
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
    ROOT,
    BenchAPI,
    BotProcess,
    CpuMeter,
    Driver,
    aiogram_command,
    bot_command,
    collector_paused,
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
TARGET_RATIO = 1.50  # the bot against the python-telegram-bot echo bot (issue 11)
KINDS = ("bot", "base", "echo", "aiogram")
LABELS = {
    "bot": "bot",
    "base": "bot at --closed-base",
    "echo": "PTB echo",
    "aiogram": "aiogram FSM",
}


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
        "--closed-echo-concurrency",
        type=int,
        default=4,
        help="the PTB echo bot's concurrent_updates (PTB's default is 1; 4 is its ceiling "
        "here, and at 256 httpx's pool costs several times the CPU per request: see "
        "BENCHMARKS.md)",
    )
    group.add_argument(
        "--closed-aiogram-concurrency",
        type=int,
        default=16,
        help="the aiogram bot's tasks_concurrency_limit (0: aiogram's default, no limit; "
        "16 is its ceiling here: see BENCHMARKS.md)",
    )
    group.add_argument(
        "--closed-base",
        metavar="DIR",
        type=lambda path: str(Path(path).resolve()),
        help="also run the bot of another checkout (e.g. a worktree of main, with its own "
        ".venv) in the same rotation, to compare CPU per update before and after a change",
    )
    group.add_argument(
        "--closed-no-aiogram", action="store_true", help="leave out the aiogram FSM baseline"
    )
    group.add_argument(
        "--closed-no-pin",
        action="store_true",
        help="let the processes float: by default (2 cores or more) the benchmark process "
        "(fake Bot API and users) keeps to CPU 0 and the bot under test to CPU 1",
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
    each window runs a fresh process on them (one process throughout if `persistent`:
    the aiogram bot keeps its FSM in memory)."""

    kind: str
    api: BenchAPI
    db_path: Path
    driver: Driver
    workdir: Path
    command: list[str]
    extra_env: dict[str, str]
    cpus: set[int] | None = None
    cwd: Path = ROOT
    persistent: bool = False
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
            cpus=self.cpus,
            cwd=self.cwd,
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

    async def end_window(self) -> list[str]:
        return [] if self.persistent else await self.stop()


def _pinning(args: argparse.Namespace) -> tuple[set[int], set[int]] | None:
    """(the benchmark's CPUs, the bot's) when pinning applies: 2 CPUs or more."""
    cpus = sorted(os.sched_getaffinity(0))
    if getattr(args, "closed_no_pin", True) or len(cpus) < 2:
        return None
    return {cpus[0]}, {cpus[1]}


async def _make_side(
    stack: AsyncExitStack,
    kind: str,
    workdir: Path,
    template: Path,
    args: argparse.Namespace,
    diag: str | None = None,
    cpus: set[int] | None = None,
) -> Side:
    api = await stack.enter_async_context(BenchAPI())
    db_path = copy_database(template, workdir / f"{kind}-{diag or 'counted'}.db")
    extra_env: dict[str, str] = {}
    if kind == "echo":
        command = echo_command()
        extra_env["BENCH_ECHO_TRANSPORT"] = args.closed_echo_transport
        extra_env["BENCH_ECHO_CONCURRENT"] = str(getattr(args, "closed_echo_concurrency", 4))
    elif kind == "aiogram":
        command = aiogram_command()
        concurrent = getattr(args, "closed_aiogram_concurrency", 16)
        if concurrent:
            extra_env["BENCH_AIOGRAM_CONCURRENT"] = str(concurrent)
    elif kind == "base":
        base = args.closed_base  # made absolute by the argument parser
        # Run from its own tree: `python -m` imports from the working directory first.
        command = [f"{base}/.venv/bin/python", "-m", "bot.cli", "run"]
        extra_env["PYTHONPATH"] = base
    else:
        command = bot_command()
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
    driver = Driver(api, ECHO if kind == "echo" else PRODUCT, closed=True)
    for i in range(args.closed_users):
        driver.add(FIRST_ID + i)
    side = Side(
        kind,
        api,
        db_path,
        driver,
        workdir,
        command,
        extra_env,
        cpus=cpus,
        cwd=Path(args.closed_base) if kind == "base" else ROOT,
        persistent=kind == "aiogram",
    )
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
    with collector_paused():
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
        "bot_cpus": sorted(proc.ps.cpu_affinity()),  # where it was allowed to run
        "updates_per_s": len(window) / seconds,
        "updates": len(window),
        "handled": len(driver.records),  # in this process, warm-up and drain included
        "window_s": seconds,
        "products_saved": sum(1 for r in window if r.step == len(PRODUCT.steps) - 1)
        if side.kind != "echo"
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
        f"cores: {result['kind']} {result['cpu']['bot']:.2f} (on CPU "
        f"{','.join(map(str, result['bot_cpus']))}), bench "
        f"{result['cpu']['bench']:.2f}, others {result['cpu']['others']:.2f}; "
        f"errors {result['error_count']}"
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    problems: list[str] = []
    # Read once, before this process keeps to its own CPU: read after, the machine
    # would seem to have one CPU, and the bots would share the benchmark's.
    pins = _pinning(args)
    bot_cpus = pins[1] if pins else None
    with tempfile.TemporaryDirectory(prefix="ocop-bench-closed-") as tmp:
        workdir = Path(tmp)
        async with BenchAPI() as setup_api:  # only for the environment of `migrate`
            template = await prepare_database(
                workdir, setup_api, range(FIRST_ID, FIRST_ID + args.closed_users)
            )
        for kind, diag in args.diagnostic_runs:  # each in a process of its own
            async with AsyncExitStack() as stack:
                side = await _make_side(stack, kind, workdir, template, args, diag, bot_cpus)
                if kind != "echo":
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
        kinds = [
            kind
            for kind in KINDS
            if (kind != "base" or args.closed_base)
            and (kind != "aiogram" or not args.closed_no_aiogram)
        ]
        pinned_from = os.sched_getaffinity(0)
        if pins:
            os.sched_setaffinity(0, pins[0])
        async with AsyncExitStack() as stack:
            stack.callback(os.sched_setaffinity, 0, pinned_from)
            sides = [
                await _make_side(stack, kind, workdir, template, args, cpus=bot_cpus)
                for kind in kinds
            ]
            for side in sides:
                if side.kind == "echo":
                    continue
                spread_seconds = await _spread(side, args)
                problems += await side.end_window()
                print(
                    f"  [{NAME}] {LABELS[side.kind]}: {args.closed_users} producers spread "
                    f"over the {len(PRODUCT.steps)} steps of the form in {spread_seconds:.0f} s "
                    "(not counted)",
                    flush=True,
                )
            if pins:
                print(f"  [{NAME}] pinned: benchmark on CPU {pins[0]}, bots on CPU {pins[1]}")
            counted_from = time.perf_counter()
            round_seconds = 0.0
            for rep in range(1, args.closed_repeats + 1):
                used = time.perf_counter() - counted_from
                late = time.perf_counter() + round_seconds > args.deadline - args.reserve
                if rep > 3 and (used + round_seconds > args.closed_budget or late):
                    print(f"  [{NAME}] time budget reached: {rep - 1} rounds", flush=True)
                    break
                round_began = time.perf_counter()
                # Alternate the order so that no kind always follows the same one.
                for side in sides if rep % 2 else sides[::-1]:
                    # A fresh process each window (PTB's HTTP connection pool starts
                    # empty, as after a deployment) on the same fake server and
                    # database: the users go on where they paused.
                    result = await _window(side, rep, args)
                    problems += await side.end_window()
                    runs.append(result)
                    print(f"  [{NAME}] round {rep} {side.kind:7}: {_line(result)}", flush=True)
                round_seconds = time.perf_counter() - round_began
    return _summary(runs, problems, args)


def _summary(
    runs: list[dict[str, Any]], problems: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    kinds = [kind for kind in KINDS if any(r["kind"] == kind for r in runs)]
    by_kind = {kind: [r for r in runs if r["kind"] == kind] for kind in kinds}
    rate = {kind: median([r["updates_per_s"] for r in rs]) for kind, rs in by_kind.items()}
    cpu = {kind: median([r["cpu_ms_per_update"] for r in rs]) for kind, rs in by_kind.items()}

    def ratios(kind: str, other: str) -> list[float]:
        """Per-round ratios of two kinds' updates/s (windows of one round are adjacent)."""
        pairs = zip(by_kind.get(kind, []), by_kind.get(other, []), strict=False)
        return [a["updates_per_s"] / b["updates_per_s"] for a, b in pairs]

    def ratio(kind: str, other: str) -> float:
        return rate.get(kind, float("nan")) / rate.get(other, float("nan"))

    errors = sum(r["error_count"] for r in runs)
    vs_echo = ratio("bot", "echo")
    vs_aiogram = ratio("bot", "aiogram")
    met = (
        vs_echo >= TARGET_RATIO
        and (vs_aiogram >= 1.0 or "aiogram" not in rate)
        and errors == 0
        and not problems
    )
    rounds = len(by_kind.get("bot", []))
    figures = "; ".join(
        f"{LABELS[kind]} {rate[kind]:.1f} updates/s at {cpu[kind]:.2f} CPU-ms/update"
        for kind in kinds
    )
    return {
        "name": NAME,
        "runs": runs,
        "updates_per_s": rate,
        "cpu_ms_per_update": cpu,
        "bot_updates_per_s": rate.get("bot"),
        "echo_updates_per_s": rate.get("echo"),
        "ratio": vs_echo,
        "ratio_aiogram": vs_aiogram,
        "round_ratios_echo": ratios("bot", "echo"),
        "round_ratios_aiogram": ratios("bot", "aiogram"),
        "median_round_ratio": median(ratios("bot", "echo")),
        "bot_cpu_ms_per_update": cpu.get("bot"),
        "echo_cpu_ms_per_update": cpu.get("echo"),
        "others_cores": median([r["cpu"]["others"] for r in runs]),
        "log_problems": problems,
        "target": f"bot ≥ {TARGET_RATIO:.0%} of the PTB echo bot and ≥ the aiogram FSM bot",
        "echo_transport": args.closed_echo_transport,
        "met": met,
        "summary": (
            f"closed loop, {args.closed_users} users, {rounds} rounds (medians): {figures}; "
            f"bot/echo {vs_echo:.2f} (per round {median(ratios('bot', 'echo')):.2f}; target "
            f"≥ {TARGET_RATIO:.2f}), bot/aiogram {vs_aiogram:.2f} (per round "
            f"{median(ratios('bot', 'aiogram')):.2f}; target ≥ 1.00) {'MET' if met else 'MISSED'}"
            + (f"; {errors} error(s)" if errors else "")
            + (f"; {len(problems)} logged problem(s)" if problems else "")
        ),
    }

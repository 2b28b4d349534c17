"""Open loop: 100 updates/s from 1,000 producers; time from enqueue to the reply.

Arrivals follow a fixed timetable (update k is enqueued at t0 + k/rate),
whatever the bot answers. Each arrival is the next product-registration
step of the producer idle longest (a FIFO of producers whose last update
was answered), so no producer has two updates in flight; with 1,000
producers at 100/s each one gets an update every ~10 s. Latency is from
the moment the update is put in the fake's queue to the moment the reply
that carries the next step's keyboard reaches the fake server (a hook on
the fake's record of sendMessage). The first seconds are a warm-up and not
counted; updates still unanswered a few seconds after the last arrival
count with their age then, a lower bound of their latency (leaving them out
would flatter an overloaded bot). The same timetable is played against the
bare echo bot as the baseline, alternating bot / echo, each run a fresh
process (the bot on a fresh copy of the seeded database).

Every producer starts at /newproduct, so ~30 s at 100/s covers the first
three or four steps of each one's form (/newproduct, name, group, subgroup);
`--open-spread 20` first walks producer i through i mod 20 steps so that the
arrivals cover the whole form (≈9,500 extra updates: slow, not the default).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
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

NAME = "open_loop"
FIRST_ID = 6_000_001
TARGET_P99 = 0.100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument("--open-producers", type=int, default=1000)
    group.add_argument("--open-rate", type=float, default=100.0, help="updates per second")
    group.add_argument("--open-duration", type=float, default=30.0, help="measured seconds")
    group.add_argument("--open-warmup", type=float, default=2.0, help="seconds not counted")
    group.add_argument(
        "--open-drain", type=float, default=3.0, help="seconds to wait for the last replies"
    )
    group.add_argument("--open-repeats", type=int, default=3, help="bot/echo run pairs")
    group.add_argument(
        "--open-budget",
        type=float,
        default=270.0,
        help="seconds; pairs after the second start only while within it",
    )
    group.add_argument(
        "--open-spread",
        type=int,
        default=0,
        help="before the timetable, advance producer i by (i mod N) steps in a closed "
        "loop so the measured updates cover every step of the form (0: all start at "
        "/newproduct)",
    )


async def _timetable(driver: Driver, rate: float, seconds: float) -> dict[str, Any]:
    """Sends round(rate*seconds) updates on schedule; returns when the last is sent."""
    total = round(rate * seconds)
    loop_start = time.perf_counter() + 0.05
    lags: list[float] = []
    sent_at: list[float] = []
    no_idle = 0
    for k in range(total):
        due = loop_start + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        now = time.perf_counter()
        lags.append(now - due)
        if not driver.idle:
            no_idle += 1  # every producer is waiting for a reply: nothing to send
            continue
        driver.send(driver.idle.popleft())
        sent_at.append(now)
    return {"start": loop_start, "lags": lags, "no_idle": no_idle, "sent": len(sent_at)}


async def _one_run(
    kind: str,
    rep: int,
    workdir: Path,
    template: Path,
    args: argparse.Namespace,
    diag: str | None = None,
) -> dict[str, Any]:
    await settle_machine(max_wait=3.0)
    async with BenchAPI() as api:
        db_path = copy_database(template, workdir / f"{kind}-{rep}.db")
        command = bot_command() if kind == "bot" else echo_command()
        extra_env: dict[str, str] = {}
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
        proc = BotProcess(f"open-{kind}-{rep}", command, api, workdir, db_path, extra_env)
        await proc.start()
        try:
            driver = Driver(api, PRODUCT if kind == "bot" else ECHO, closed=False)
            for i in range(args.open_producers):
                driver.add(FIRST_ID + i)
            spread_seconds = 0.0
            if args.open_spread > 1:
                began = time.perf_counter()
                for i, sim in enumerate(driver.sims.values()):
                    sim.remaining = i % args.open_spread
                driver.closed = True
                driver.start_all()
                await driver.wait_quiet(limit=300)
                driver.running = False
                driver.closed = False
                for sim in driver.sims.values():
                    sim.remaining = None
                spread_seconds = time.perf_counter() - began
            driver.idle.clear()
            driver.idle.extend(sim for sim in driver.sims.values() if not sim.dead)
            driver.records.clear()
            api.trim()
            assert proc.ps is not None
            meter = CpuMeter({"bot": proc.ps, "bench": psutil.Process()})
            seconds = args.open_warmup + args.open_duration
            spy = None
            if diag in ("pyspy", "pyspy-gil"):
                spy = asyncio.ensure_future(
                    profile.record(
                        proc.pid,
                        seconds,
                        out.with_name(f"{out.name}-{diag}.txt"),
                        gil=diag == "pyspy-gil",
                    )
                )
            with collector_paused():
                plan = await _timetable(driver, args.open_rate, seconds)
            if spy is not None:
                await spy
            cpu = meter.stop()
            with contextlib.suppress(TimeoutError):
                await driver.wait_quiet(limit=args.open_drain)
            cutoff = time.perf_counter()
            counted_from = plan["start"] + args.open_warmup
            # Updates still unanswered count with their age at the cutoff: a lower
            # bound of their latency (leaving them out would flatter an overload).
            censored = [
                cutoff - sim.sent_at
                for sim in driver.sims.values()
                if sim.busy and sim.sent_at >= counted_from
            ]
            unanswered = driver.in_flight
        finally:
            code = await proc.stop(grace=60 if diag else 3)
    counted = [r for r in driver.records if r.done - r.latency >= counted_from]
    latencies = [r.latency for r in counted] + censored
    lags = plan["lags"]
    return {
        "kind": kind,
        "rep": rep,
        "answered": len(counted),
        "censored": len(censored),
        "sent": plan["sent"],
        "unanswered": unanswered,
        "no_idle_producer": plan["no_idle"],
        "p50": percentile(latencies, 50),
        "p90": percentile(latencies, 90),
        "p99": percentile(latencies, 99),
        "max": max(latencies) if latencies else float("nan"),
        "schedule_lag_p99": percentile(lags, 99),
        "schedule_lag_max": max(lags) if lags else float("nan"),
        "steps": sorted({r.step for r in counted}),
        "spread_seconds": spread_seconds,
        "cpu": cpu,
        "errors": driver.errors[:5],
        "error_count": len(driver.errors),
        "log_problems": proc.log_problems()[:5],
        "exit_code": code,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ocop-bench-open-") as tmp:
        workdir = Path(tmp)
        async with BenchAPI() as setup_api:
            template = await prepare_database(
                workdir, setup_api, range(FIRST_ID, FIRST_ID + args.open_producers)
            )
        runs: list[dict[str, Any]] = []
        for kind, diag in args.diagnostic_runs:
            result = await _one_run(kind, 0, workdir, template, args, diag)
            print(
                f"  [{NAME}] diagnostic run ({diag}) {kind}: p50 {fmt_ms(result['p50'])}, "
                f"p99 {fmt_ms(result['p99'])}, cpu bot {result['cpu']['bot']:.2f} "
                f"others {result['cpu']['others']:.2f} (not counted); see {args.profile}",
                flush=True,
            )
            stages = Path(args.profile) / f"{NAME}-{kind}-{diag}.json"
            if diag.startswith("stages") and stages.exists():
                table = profile.stages_table(stages)
                stages.with_suffix(".txt").write_text(table, encoding="utf-8")
                print(table, flush=True)
        counted_from = time.perf_counter()
        pair_seconds = 0.0
        for rep in range(1, args.open_repeats + 1):
            used = time.perf_counter() - counted_from
            late = time.perf_counter() + pair_seconds > args.deadline - args.reserve
            if rep > 2 and (used + pair_seconds > args.open_budget or late):
                print(f"  [{NAME}] time budget reached: {rep - 1} pairs", flush=True)
                break
            pair_began = time.perf_counter()
            for kind in ("bot", "echo"):
                result = await _one_run(kind, rep, workdir, template, args)
                runs.append(result)
                print(
                    f"  [{NAME}] run {rep} {kind:4}: {result['answered']} answered"
                    + (
                        f" + {result['censored']} unanswered (age as latency)"
                        if result["censored"]
                        else ""
                    )
                    + ", "
                    f"p50 {fmt_ms(result['p50'])}, p90 {fmt_ms(result['p90'])}, "
                    f"p99 {fmt_ms(result['p99'])}, max {fmt_ms(result['max'])}; "
                    f"unanswered {result['unanswered']}, no idle producer "
                    f"{result['no_idle_producer']}, schedule lag p99 "
                    f"{fmt_ms(result['schedule_lag_p99'])}; cpu bot {result['cpu']['bot']:.2f} "
                    f"bench {result['cpu']['bench']:.2f} others {result['cpu']['others']:.2f}; "
                    f"steps {result['steps'][0] if result['steps'] else '-'}–"
                    f"{result['steps'][-1] if result['steps'] else '-'}"
                    + (f", spread in {result['spread_seconds']:.0f} s" if args.open_spread else "")
                    + f"; errors {result['error_count']}, log problems "
                    f"{len(result['log_problems'])}",
                    flush=True,
                )
            pair_seconds = time.perf_counter() - pair_began
    bot = [r for r in runs if r["kind"] == "bot"]
    echo = [r for r in runs if r["kind"] == "echo"]
    figures = {
        kind: {q: median([r[q] for r in group]) for q in ("p50", "p90", "p99", "max")}
        for kind, group in (("bot", bot), ("echo", echo))
    }
    problems = sum(
        r["error_count"] + len(r["log_problems"]) + r["unanswered"] + r["no_idle_producer"]
        for r in runs
    )
    met = figures["bot"]["p99"] < TARGET_P99 and problems == 0
    return {
        "name": NAME,
        "runs": runs,
        "figures": figures,
        "target": f"bot p99 < {TARGET_P99 * 1000:.0f} ms",
        "met": met,
        "problems": problems,
        "summary": (
            f"open loop {args.open_rate:g}/s from {args.open_producers} producers, "
            f"{args.open_duration:g} s: bot p50 {fmt_ms(figures['bot']['p50'])} p99 "
            f"{fmt_ms(figures['bot']['p99'])}; echo p50 {fmt_ms(figures['echo']['p50'])} p99 "
            f"{fmt_ms(figures['echo']['p99'])} (target p99 < {TARGET_P99 * 1000:.0f} ms) "
            f"{'MET' if met else 'MISSED'}" + (f"; {problems} problem(s)" if problems else "")
        ),
    }

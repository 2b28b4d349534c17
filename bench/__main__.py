"""`python -m bench [NAME ...]`: run all benchmarks, or the named ones.

    python -m bench                  # closed_loop, open_loop, memory
    python -m bench closed_loop      # one of them
    python -m bench --list
    python -m bench --json out.json  # the raw figures as well
    python -m bench closed_loop --closed-repeats 0 --profile /tmp/prof
                                     # diagnostics only: stage timers, cProfile, py-spy

Every benchmark stops by itself; the whole suite takes about 8-9 minutes on
2 cores and never more than --suite-budget (580 s) plus a few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from types import ModuleType
from typing import Any

from bench import closed_loop, memory, open_loop, profile
from bench.common import machine_info

# Rough seconds each benchmark needs at the least; earlier ones keep this much
# of the suite's budget free for the later ones.
RESERVE = {"closed_loop": 120.0, "open_loop": 170.0, "memory": 200.0}

BENCHMARKS: dict[str, ModuleType] = {
    closed_loop.NAME: closed_loop,
    open_loop.NAME: open_loop,
    memory.NAME: memory,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    parser.add_argument("--list", action="store_true", help="name the benchmarks and exit")
    parser.add_argument("--json", metavar="PATH", help="also write the raw figures here")
    parser.add_argument(
        "--suite-budget",
        type=float,
        default=580.0,
        help="seconds for the whole run: optional repetitions are skipped, and the "
        "memory run cut short, to stay within it (default %(default)s)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="first do uncounted diagnostic runs (the bot with stage timers, the bot "
        "and the echo bot under cProfile and py-spy) and write what they find to DIR "
        "(see bench/profile.py and bench/instrumented_bot.py)",
    )
    parser.add_argument(
        "--profile-runs",
        metavar="LIST",
        default=",".join(f"{kind}:{diag}" for kind, diag in profile.DIAGNOSTIC_RUNS),
        help="which diagnostic runs --profile does (default: %(default)s)",
    )
    for module in BENCHMARKS.values():
        module.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.list:
        for name, module in BENCHMARKS.items():
            print(f"{name}: {(module.__doc__ or '').strip().splitlines()[0]}")
        return 0
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    args.diagnostic_runs = (
        [tuple(item.split(":", 1)) for item in args.profile_runs.split(",") if ":" in item]
        if args.profile
        else []
    )

    args.deadline = time.perf_counter() + args.suite_budget
    info = machine_info()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    print(f"command: {' '.join([sys.executable, '-m', 'bench', *(argv or sys.argv[1:])])}")
    results: dict[str, Any] = {"machine": info, "benchmarks": {}}
    began = time.perf_counter()
    for index, name in enumerate(names):
        # Time kept back for the benchmarks still to come.
        args.reserve = sum(RESERVE.get(later, 0.0) for later in names[index + 1 :])
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        result = asyncio.run(BENCHMARKS[name].run(args))
        result["wall_seconds"] = time.perf_counter() - started
        results["benchmarks"][name] = result
        print(f"   {result['summary']} ({result['wall_seconds']:.0f} s)", flush=True)
    results["seconds"] = time.perf_counter() - began
    print(f"== summary ({results['seconds']:.0f} s)")
    for name, result in results["benchmarks"].items():
        print(f"{name:12} {'met   ' if result['met'] else 'MISSED'} {result['summary']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2, ensure_ascii=False, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Labels: one label PNG, a 24-label A4 sheet, 10,000 serial stamps as PDF.

    python -m bench.labels_bench                 # all three, medians of several runs
    python -m bench.labels_bench --stamp-runs 1  # quicker

Targets (issue 3): a label PNG under 50 ms; a 24-label sheet under 1 s;
10,000 stamps under 30 s with peak memory under 300 MB. Each stamp run is a
fresh Python process, so its peak RSS (ru_maxrss) is the batch's own and not
what earlier runs left behind; the figure given is the whole process's peak,
imports included, and the growth over the warmed-up process beside it.

Also usable from bench/__main__.py: NAME, add_arguments(parser), run(args).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

NAME = "labels"
LABEL_TARGET_S = 0.050
SHEET_TARGET_S = 1.0
STAMPS_TARGET_S = 30.0
STAMPS_MEMORY_TARGET = 300 * 2**20
STAMPS = 10_000
PUBLIC_URL = "https://ocop.thainguyen.gov.vn"
NAME_VI = "Chè búp Tân Cương đặc biệt loại một thượng hạng"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument("--label-runs", type=int, default=50, help="label PNGs timed (50)")
    group.add_argument("--sheet-runs", type=int, default=7, help="24-label sheets timed (7)")
    group.add_argument("--stamp-runs", type=int, default=3, help="10,000-stamp batches (3)")


def _timed(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def _label_figures(runs: int) -> dict[str, Any]:
    from bench.common import median, percentile
    from bot.labels.label import LabelContent, render_label_png
    from bot.labels.sizes import DEFAULT_LABEL_SIZES
    from bot.labels.urls import product_url

    content = LabelContent(NAME_VI, "7K3M9P", 4, product_url(PUBLIC_URL, "7K3M9P"))
    figures: dict[str, Any] = {}
    for size in DEFAULT_LABEL_SIZES:
        (cold,) = _timed(lambda size=size: render_label_png(content, size), 1)  # type: ignore[misc]
        times = _timed(lambda size=size: render_label_png(content, size), runs)  # type: ignore[misc]
        figures[size.id] = {
            "first_s": cold,
            "median_s": median(times),
            "p95_s": percentile(times, 95),
            "runs": runs,
        }
    return figures


def _sheet_figures(runs: int) -> dict[str, Any]:
    from bench.common import median
    from bot.labels.label import LabelContent
    from bot.labels.sheet import fill_sheet, render_sheet_pdf
    from bot.labels.sizes import DEFAULT_SHEET_LAYOUTS
    from bot.labels.urls import product_url

    layout = next(layout for layout in DEFAULT_SHEET_LAYOUTS if layout.per_page == 24)
    one = LabelContent(NAME_VI, "7K3M9P", 4, product_url(PUBLIC_URL, "7K3M9P"))
    # The worst case: 24 different products, 24 QR codes and text layouts.
    mixed = [
        LabelContent(
            f"{NAME_VI} {n}", f"7K3M{n:02d}", 1 + n % 5, product_url(PUBLIC_URL, f"7K3M{n:02d}")
        )
        for n in range(24)
    ]
    render_sheet_pdf(fill_sheet(one, layout), layout)  # fonts loaded, as in a running bot
    same = _timed(lambda: render_sheet_pdf(fill_sheet(one, layout), layout), runs)
    different = _timed(lambda: render_sheet_pdf(mixed, layout), runs)
    return {
        "layout": layout.id,
        "one_product_median_s": median(same),
        "24_products_median_s": median(different),
        "pdf_bytes": len(render_sheet_pdf(mixed, layout)),
        "runs": runs,
    }


def _child_stamps(count: int, layout_id: str) -> dict[str, Any]:
    """In a fresh process: one batch, its time and the process's peak memory."""
    import psutil

    from bot.labels.sizes import DEFAULT_SHEET_LAYOUTS
    from bot.labels.stamps import render_stamps_pdf, stamp_batch

    layout = next(layout for layout in DEFAULT_SHEET_LAYOUTS if layout.id == layout_id)
    details = {
        "product_name": NAME_VI,
        "code": "7K3M9P",
        "lot": "L2025-11-A",
        "production_date": date(2025, 11, 1),
        "expiry_date": date(2026, 11, 1),
        "public_url": PUBLIC_URL,
    }
    render_stamps_pdf(stamp_batch(1, **details), layout)  # type: ignore[arg-type]
    warm_rss = psutil.Process().memory_info().rss
    started, cpu_started = time.perf_counter(), time.process_time()
    pdf = render_stamps_pdf(stamp_batch(count, **details), layout)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    # CPU seconds beside wall seconds: on a shared machine the gap is other people's work.
    cpu_seconds = time.process_time() - cpu_started
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss": peak_rss,
        "growth": peak_rss - warm_rss,
        "pdf_bytes": len(pdf),
        "pages": -(-count // layout.per_page),
    }


def _stamp_figures(runs: int, layout_id: str = "3x8") -> dict[str, Any]:
    from bench.common import median

    results = []
    for _ in range(runs):
        command = [
            sys.executable,
            "-m",
            "bench.labels_bench",
            "--child-stamps",
            str(STAMPS),
            layout_id,
        ]
        output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=600)
        results.append(json.loads(output.stdout.strip().splitlines()[-1]))
    return {
        "stamps": STAMPS,
        "layout": layout_id,
        "median_s": median([r["seconds"] for r in results]),
        "median_cpu_s": median([r["cpu_seconds"] for r in results]),
        "median_peak_rss": median([r["peak_rss"] for r in results]),
        "median_growth": median([r["growth"] for r in results]),
        "pdf_bytes": results[0]["pdf_bytes"],
        "pages": results[0]["pages"],
        "runs": runs,
        "each": results,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench.common import mib, settle_machine

    await settle_machine()
    labels = _label_figures(args.label_runs)
    sheet = _sheet_figures(args.sheet_runs)
    await settle_machine()
    stamps = _stamp_figures(args.stamp_runs)
    slowest_label = max(f["median_s"] for f in labels.values())
    slowest_sheet = max(sheet["one_product_median_s"], sheet["24_products_median_s"])
    met = (
        slowest_label < LABEL_TARGET_S
        and slowest_sheet < SHEET_TARGET_S
        and stamps["median_s"] < STAMPS_TARGET_S
        and stamps["median_peak_rss"] < STAMPS_MEMORY_TARGET
    )
    label_text = ", ".join(f"{k} {v['median_s'] * 1000:.1f} ms" for k, v in labels.items())
    summary = (
        f"label PNG {label_text} (target < 50 ms); "
        f"24-label sheet {sheet['one_product_median_s'] * 1000:.0f} ms one product, "
        f"{sheet['24_products_median_s'] * 1000:.0f} ms 24 products (target < 1 s); "
        f"{STAMPS:,} stamps {stamps['median_s']:.1f} s ({stamps['median_cpu_s']:.1f} s CPU), "
        f"peak RSS {mib(stamps['median_peak_rss'])} "
        f"(+{mib(stamps['median_growth'])} over the warm process), "
        f"{mib(stamps['pdf_bytes'])} PDF, {stamps['pages']} pages (target < 30 s, < 300 MB)"
    )
    return {"met": met, "summary": summary, "labels": labels, "sheet": sheet, "stamps": stamps}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child-stamps"]:
        print(json.dumps(_child_stamps(int(argv[1]), argv[2])))
        return 0
    from bench.common import machine_info

    parser = argparse.ArgumentParser(prog="python -m bench.labels_bench", description=__doc__)
    add_arguments(parser)
    parser.add_argument("--json", metavar="PATH", help="also write the raw figures here")
    args = parser.parse_args(argv)
    info = machine_info()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    result = asyncio.run(run(args))
    print(f"{NAME}: {'met' if result['met'] else 'MISSED'}: {result['summary']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"machine": info, NAME: result}, out, indent=2, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Reminder scheduler: 100,000 producers and their pending jobs; one pass over the due ones.

    python -m bench.scheduler_bench                          # SQLite and PostgreSQL
    python -m bench.scheduler_bench --databases sqlite --producers 20000

Each producer has a user, one product and a nudge series about it (the
0/1/3/7/14-day schedule): day 0 already sent, the rest pending. For `--due`
producers the day-1 nudge is due now (a tenth of them have since completed
their product, so it is dropped); for everyone else it is due in 12 hours.
That is about 500,000 jobs, 400,000 of them pending, in `scheduled_jobs`.

Printed: the plan of the due-jobs query (SQLite EXPLAIN QUERY PLAN,
PostgreSQL EXPLAIN ANALYZE, both showing ix_scheduled_jobs_due), the time
of the sweep (planning) over all products, of one batch, and of one whole
pass: lease, check, cap and queue every due job in the outbox. Target: the
whole pass in under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import bench  # noqa: F401  (puts the repository root on sys.path)
from bench.common import machine_info

NAME = "scheduler"
TARGET_SECONDS = 2.0
NOW = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)  # 10:00 in Vietnam: not quiet hours
POSTGRES_URL = os.environ.get(
    "OCOP_BENCH_POSTGRES_URL",
    os.environ.get("OCOP_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
)
CHUNK = 5_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument("--producers", type=int, default=100_000)
    group.add_argument("--due", type=int, default=10_000, help="day-1 nudges due now")
    group.add_argument("--batch", type=int, default=1000, help="jobs leased per transaction")
    group.add_argument("--databases", default="sqlite,postgresql")


# --------------------------------------------------------------------------- data


async def _insert(session: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(table), rows[start : start + CHUNK])


async def seed(db: Any, producers: int, due: int) -> dict[str, int]:
    """Users, producers, products, photos and jobs, in multi-row INSERTs."""
    from storage.models import Photo, Producer, Product, ScheduledJob, User

    created = NOW - dt.timedelta(days=30)
    async with db.transaction() as session:
        await _insert(
            session,
            User,
            [
                {
                    "id": n,
                    "channel": "telegram",
                    "external_id": str(10_000_000 + n),
                    "display_name": f"Producer {n}",
                    "language": "vi" if n % 5 else "en",
                    "role": "user",
                    "reminders_off": {},
                    "notices_opt_out": False,
                    "created_at": created,
                }
                for n in range(1, producers + 1)
            ],
        )
        await _insert(
            session,
            Producer,
            [
                {
                    "id": n,
                    "user_id": n,
                    "name": f"HTX Số {n}",
                    "name_folded": f"htx so {n}",
                    "kind": "cooperative",
                    "representative": "Nguyễn Văn A",
                    "phone": "+84912345678",
                    "province_code": 19,
                    "ward_code": 5503,
                    "address": "Xóm 1",
                    "latitude": 21.5,
                    "longitude": 105.7,
                    "tax_code": "4600123456",
                    "show_phone": False,
                    "created_at": created,
                    "updated_at": created,
                }
                for n in range(1, producers + 1)
            ],
        )
        await _insert(
            session,
            Product,
            [
                {
                    "id": n,
                    "code": f"B{n:07d}",
                    "producer_id": n,
                    "name": f"Sản phẩm {n}",
                    "name_folded": f"san pham {n}",
                    "group": "handicrafts",  # no food-safety certificate needed: photos decide
                    "subgroup": "handicraft_goods",
                    "description": "Mô tả",
                    "story": "Câu chuyện",
                    "price_vnd": 100_000,
                    "unit": "cái",
                    "net_amount": 100,
                    "net_unit": "g",
                    "package_weight_g": 150,
                    "length_mm": 100,
                    "width_mm": 100,
                    "height_mm": 100,
                    "review_status": "approved",
                    "created_at": created,
                    "updated_at": created,
                }
                for n in range(1, producers + 1)
            ],
        )
        completed = range(1, due + 1, 10)  # these filled their gap since: dropped as complete
        await _insert(
            session,
            Photo,
            [
                {
                    "product_id": n,
                    "sha256": f"{n:032d}{k:032d}",
                    "mime": "image/jpeg",
                    "width": 800,
                    "height": 800,
                    "size_bytes": 1000,
                    "position": k,
                    "created_at": created,
                }
                for n in completed
                for k in range(3)
            ],
        )
        jobs: list[dict[str, Any]] = []
        for n in range(1, producers + 1):
            start = (
                NOW - dt.timedelta(days=1, minutes=1 + n % 60)
                if n <= due
                else NOW - dt.timedelta(hours=12)
            )
            for day in (0, 1, 3, 7, 14):
                key = f"incomplete_product:{n}::d{day}:{n}"
                jobs.append(
                    {
                        "kind": "incomplete_product",
                        "user_id": n,
                        "subject_id": n,
                        "series": "",
                        "step": f"d{day}",
                        "due_at": start + dt.timedelta(days=day),
                        "status": "done" if day == 0 else "pending",
                        "outcome": "queued" if day == 0 else None,
                        "dedupe_key": key,
                        "created_at": start,
                        "done_at": start if day == 0 else None,
                    }
                )
        await _insert(session, ScheduledJob, jobs)
    return {"jobs": len(jobs), "pending": len(jobs) - producers, "completed": len(completed)}


# --------------------------------------------------------------------------- one database


async def explain(db: Any, batch: int) -> str:
    from sqlalchemy import text

    from storage.jobs import due_query

    query = due_query(NOW, batch).with_for_update(skip_locked=True)
    async with db.engine.connect() as connection:
        sql = str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        if db.is_sqlite:
            rows = await connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
            plan = "\n".join(f"{row[0]}|{row[1]}|{row[3]}" for row in rows)
        else:
            rows = await connection.execute(text(f"EXPLAIN ANALYZE {sql}"))
            plan = "\n".join(row[0] for row in rows)
        await connection.rollback()
    return f"{sql}\n--\n{plan}"


async def run_one(url: str, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import func, select, text

    from bot.config import ReminderSettings, load_settings
    from bot.i18n import Catalogs
    from bot.scheduler import SchedulerService
    from storage.db import Database
    from storage.models import OutboxMessage

    db = Database(url)
    await db.migrate()
    began = time.perf_counter()
    counts = await seed(db, args.producers, args.due)
    seeded = time.perf_counter() - began
    if not db.is_sqlite:
        async with db.engine.connect() as connection:
            await connection.execute(text("COMMIT"))
            await connection.execute(text("ANALYZE"))
    else:
        async with db.transaction() as session:
            await session.execute(text("ANALYZE"))
    plan = await explain(db, args.batch)

    settings = load_settings(environ={"OCOP_DATABASE_URL": url})
    reminders = dataclasses.replace(ReminderSettings(), batch_size=args.batch)
    settings = dataclasses.replace(settings, reminders=reminders)
    catalogs = Catalogs(settings.default_language, settings.timezone)
    scheduler = SchedulerService(db, settings, lambda: NOW, catalogs=catalogs, max_batches=10_000)

    began = time.perf_counter()
    planned = await scheduler.sweep(NOW)
    sweep = time.perf_counter() - began

    began = time.perf_counter()
    report = await scheduler.run_once()
    pass_seconds = time.perf_counter() - began
    async with db.transaction() as session:
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
    await db.dispose()
    return {
        "database": "SQLite" if db.is_sqlite else "PostgreSQL",
        "seed_seconds": seeded,
        **counts,
        "plan": plan,
        "sweep_seconds": sweep,
        "sweep_planned": planned,
        "pass_seconds": pass_seconds,
        "queued": report.queued,
        "dropped": dict(report.dropped),
        "deferred": report.deferred,
        "outbox_rows": queued,
        "per_second": report.handled / pass_seconds if pass_seconds else 0.0,
        "batch": args.batch,
        "met": pass_seconds < TARGET_SECONDS,
    }


# --------------------------------------------------------------------------- databases


async def _postgres(args: argparse.Namespace) -> dict[str, Any]:
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = (
        make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    name = f"ocop_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(admin, timeout=5)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    try:
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        return await run_one(url, args)
    finally:
        connection = await asyncpg.connect(admin, timeout=5)
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results = []
    for database in args.databases.split(","):
        if database == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
                results.append(await run_one(url, args))
        elif database == "postgresql":
            results.append(await _postgres(args))
        print_result(results[-1])
    met = all(result["met"] for result in results)
    summary = "; ".join(
        f"{r['database']}: {r['queued'] + sum(r['dropped'].values()):,} due jobs in "
        f"{r['pass_seconds']:.2f} s"
        for r in results
    )
    return {"results": results, "met": met, "summary": summary}


def print_result(result: dict[str, Any]) -> None:
    print(f"--- {result['database']}")
    print(
        f"seeded {result['jobs']:,} jobs ({result['pending']:,} pending) in "
        f"{result['seed_seconds']:.1f} s"
    )
    print("due-jobs query and its plan:")
    print(result["plan"])
    print(
        f"sweep over every product: {result['sweep_seconds']:.2f} s, "
        f"{result['sweep_planned']} new jobs"
    )
    print(
        f"one pass: {result['pass_seconds']:.2f} s for "
        f"{result['queued'] + sum(result['dropped'].values()) + result['deferred']:,} due jobs "
        f"(batches of {result['batch']}): queued {result['queued']:,}, "
        f"dropped {result['dropped']}, "
        f"deferred {result['deferred']}; {result['per_second']:,.0f} jobs/s; "
        f"outbox rows {result['outbox_rows']:,}; "
        f"{'met' if result['met'] else 'MISSED'} (target < {TARGET_SECONDS:.0f} s)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scheduler_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    info = machine_info()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    command = [sys.executable, "-m", "bench.scheduler_bench", *(argv or sys.argv[1:])]
    print(f"command: {' '.join(command)}")
    result = asyncio.run(run(args))
    print(f"== {result['summary']}: {'met' if result['met'] else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

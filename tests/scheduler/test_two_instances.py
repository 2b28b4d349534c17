"""Two scheduler instances on one database: every reminder is queued and sent exactly once.

Each instance has its own engine and connection pool, as two processes
would; their passes run at the same time with small batches, so they
contend for the same due jobs (FOR UPDATE SKIP LOCKED on PostgreSQL, the
single writer on SQLite). The outbox worker then delivers everything to a
recording sender, which must see each message once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.config import ReminderSettings
from bot.runtime import Runtime
from bot.scheduler import PassReport, SchedulerService
from bot.scheduler.kinds import CAPPED
from storage.db import Database
from storage.models import OutboxMessage, ScheduledJob
from tests.conftest import Clock
from tests.outbox.conftest import FakeSender, make_worker
from tests.scheduler.conftest import COMPLETE_PRODUCT, RATED, add_training, officer, producer

PRODUCERS = 60
CAP = 2
EXPIRING = {**RATED, "cert_expiry": dt.date(2026, 12, 10)}  # its 30-day reminder is due


@pytest.fixture
async def instances(runtime: Runtime, clock: Clock) -> AsyncIterator[list[SchedulerService]]:
    reminders = dataclasses.replace(ReminderSettings(), batch_size=7, weekly_cap=CAP)
    settings = dataclasses.replace(runtime.settings, reminders=reminders)
    databases = [Database(settings.database_url) for _ in range(2)]
    yield [
        SchedulerService(db, settings, clock, catalogs=runtime.app.catalogs, instance=f"s{n}")
        for n, db in enumerate(databases)
    ]
    for db in databases:
        await db.dispose()


async def test_two_instances_queue_and_send_each_reminder_once(
    runtime: Runtime, clock: Clock, instances: list[SchedulerService]
) -> None:
    minh = await officer(runtime, "9001")
    for n in range(PRODUCERS):
        # incomplete profile and product; every third with a certificate expiring soon
        products = [{"photos": 0}, EXPIRING if n % 3 == 0 else COMPLETE_PRODUCT]
        await producer(runtime, clock, str(5000 + n), products=products, profile={"address": ""})
    clock.advance(hours=24)
    await add_training(runtime, clock, minh, capacity=PRODUCERS)

    reports: list[PassReport] = []
    for _ in range(6):  # day 0, then on through the nudges' and reminders' days
        reports += await asyncio.gather(*(instance.run_once() for instance in instances))
        clock.advance(days=1, hours=3)

    async with runtime.db.transaction() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        done = list(
            await session.scalars(select(ScheduledJob).where(ScheduledJob.outcome == "queued"))
        )
    keys = Counter(row.dedupe_key for row in rows)
    assert keys and max(keys.values()) == 1
    assert sorted(keys) == sorted(f"reminder:{job.dedupe_key}" for job in done)
    by_instance = [sum(r.queued for r in reports[n::2]) for n in range(2)]
    assert sum(by_instance) == len(rows)
    if not runtime.db.is_sqlite:  # SQLite's single writer may let one instance do it all
        assert min(by_instance) > 0  # both did part of the work
    kinds = Counter(job.kind for job in done)
    assert kinds["invite"] == PRODUCERS and kinds["expiry_officer"] == PRODUCERS // 3
    # The weekly cap held although two instances served the same users at once.
    capped = Counter(job.user_id for job in done if job.kind in CAPPED)
    assert max(capped.values()) <= CAP

    sender = FakeSender()
    worker = make_worker(runtime, sender, clock)
    for _ in range(20):
        await worker.run_once()
    sent = Counter((chat, message.text) for chat, message in sender.sent)
    assert len(sender.sent) == len(rows) and max(sent.values()) == 1


async def test_the_weekly_cap_holds_when_two_instances_serve_one_user_at_once(
    runtime: Runtime, clock: Clock, instances: list[SchedulerService]
) -> None:
    """Batches of one job, five nudges due per user: without the users' row locks the two
    instances would each count the same week's nudges and together exceed the cap."""
    for instance in instances:
        instance.config = dataclasses.replace(instance.config, batch_size=1)
    for n in range(20):
        await producer(runtime, clock, str(5000 + n), products=[{"photos": 0}] * 5)
    clock.advance(hours=24)
    await instances[0].sweep()
    for _ in range(4):  # a pass ends early where the other holds the user: the next goes on
        await asyncio.gather(*(instance.run_once() for instance in instances))
    async with runtime.db.transaction() as session:
        done = list(
            await session.scalars(select(ScheduledJob).where(ScheduledJob.outcome == "queued"))
        )
    per_user = Counter(job.user_id for job in done)
    assert len(per_user) == 20 and set(per_user.values()) == {CAP}

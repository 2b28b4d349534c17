"""What is waiting: open outbox and inbox rows and due reminder jobs, read for the metrics
page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import inbox, jobs, outbox
from storage.models import OutboxMessage, ScheduledJob
from storage.states.delivery import OutboxStatus


@dataclass(frozen=True)
class Backlog:
    outbox: dict[OutboxStatus, int] = field(default_factory=dict)  # open rows by status
    oldest_due_job: dt.datetime | None = None  # a pending reminder job due the longest
    inbox: dict[str, int] = field(default_factory=dict)  # open webhook updates by status


async def backlog(session: AsyncSession, now: dt.datetime) -> Backlog:
    """Three index scans (ix_outbox_due, ix_scheduled_jobs_due, ix_inbox_open): cheap at
    scrape time."""
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(outbox.OPEN))
        .group_by(OutboxMessage.status)
    )
    counts = {status: 0 for status in outbox.OPEN}
    counts.update({status: int(count) for status, count in rows})
    oldest = await session.scalar(
        select(func.min(ScheduledJob.due_at)).where(
            ScheduledJob.status == jobs.PENDING, ScheduledJob.due_at <= now
        )
    )
    return Backlog(
        counts, jobs.aware(oldest) if oldest is not None else None, await inbox.depth(session)
    )

"""Scheduled jobs: reminders waiting for their time, leased by scheduler passes.

A job is pending until a pass takes it; the pass then queues its message
in the outbox and marks it done, or drops it (it no longer makes sense),
or moves its `due_at` on (quiet hours, the weekly cap) — all in the
pass's one transaction. So a job and the outbox row it became are
committed together or not at all: after a crash nothing is half done, and
the row lock the lease takes is the only lease needed (the outbox worker
needs lease columns because its work, the API call, happens outside any
transaction; this work never does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import OutboxMessage, ScheduledJob, User
from storage.states.delivery import OutboxKind, OutboxStatus
from storage.states.jobs import JobKind, JobStatus

PENDING = JobStatus.PENDING
DONE = JobStatus.DONE
DROPPED = JobStatus.DROPPED
QUEUED = "queued"  # the outcome of a done job: its message is in the outbox

_QUIET = {"synchronize_session": False}
_CHUNK = 500  # values in one IN (…): well under every driver's parameter limit


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands times back without their zone; they are stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class NewJob:
    kind: JobKind
    user_id: int
    subject_id: int
    step: str
    due_at: dt.datetime
    series: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject_id}:{self.series}:{self.step}:{self.user_id}"


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


async def existing_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(keys):
        found.update(
            await session.scalars(
                select(ScheduledJob.dedupe_key).where(ScheduledJob.dedupe_key.in_(chunk))
            )
        )
    return found


async def add_jobs(session: AsyncSession, jobs: Sequence[NewJob], now: dt.datetime) -> int:
    """Schedules the jobs not scheduled before (by their dedupe key); returns how many.

    Two planners racing on one key make the later INSERT fail on the unique
    key; its transaction rolls back and its work is done again next time.
    """
    unique = {job.key: job for job in jobs}
    known = await existing_keys(session, list(unique))
    fresh = [job for key, job in unique.items() if key not in known]
    rows = [
        {
            "kind": job.kind,
            "user_id": job.user_id,
            "subject_id": job.subject_id,
            "series": job.series,
            "step": job.step,
            "due_at": job.due_at,
            "status": PENDING,
            "dedupe_key": job.key,
            "created_at": now,
        }
        for job in fresh
    ]
    for chunk in _chunks(rows):
        await session.execute(insert(ScheduledJob), list(chunk))
    return len(rows)


async def reopen(session: AsyncSession, jobs: Sequence[NewJob], now: dt.datetime) -> int:
    """Schedules the jobs, giving dropped ones with the same key another chance."""
    keys = [job.key for job in jobs]
    if keys:
        await session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.dedupe_key.in_(keys), ScheduledJob.status == DROPPED)
            .values(status=PENDING, outcome=None, done_at=None)
            .execution_options(**_QUIET)
        )
    return await add_jobs(session, jobs, now)


async def drop_pending(
    session: AsyncSession,
    kinds: Sequence[str],
    subject_id: int,
    outcome: str,
    now: dt.datetime,
    *,
    user_id: int | None = None,
) -> int:
    """Drops a subject's pending jobs (a training cancelled, an answer changed)."""
    query = (
        update(ScheduledJob)
        .where(
            ScheduledJob.kind.in_(kinds),
            ScheduledJob.subject_id == subject_id,
            ScheduledJob.status == PENDING,
        )
        .values(status=DROPPED, outcome=outcome, done_at=now)
        .execution_options(**_QUIET)
    )
    if user_id is not None:
        query = query.where(ScheduledJob.user_id == user_id)
    result = await session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


# --- leasing ------------------------------------------------------------------


class DueJob(NamedTuple):
    """A leased job: plain columns, not an ORM object (a pass handles thousands)."""

    id: int
    kind: JobKind
    user_id: int
    subject_id: int
    series: str
    step: str
    dedupe_key: str
    # A later job of the same series (kind, subject, series, user) is due too:
    # after downtime only the latest reminder of a schedule goes, not a burst.
    superseded: bool


class Recipient(NamedTuple):
    """What a pass needs of a job's user."""

    id: int
    channel: str
    external_id: str
    language: str | None
    role: str
    province_code: int | None
    blocked_at: dt.datetime | None
    reminders_off: dict[str, Any] | None
    # The account the person's reminders go to (storage/people.py): channel,
    # external_id and blocked_at above are that account's; the rest the person's.
    account_id: int


def due_query(now: dt.datetime, limit: int) -> Select[*tuple[Any, ...]]:
    """Pending jobs due by `now`, oldest first, with their users: a range scan of
    ix_scheduled_jobs_due, the users by primary key, and for each job a look
    (ix_scheduled_jobs_subject) for a later one of its series also due."""
    later = aliased(ScheduledJob)
    account = aliased(User)  # where the person's reminders go
    superseded = exists().where(
        later.kind == ScheduledJob.kind,
        later.subject_id == ScheduledJob.subject_id,
        later.series == ScheduledJob.series,
        later.user_id == ScheduledJob.user_id,
        later.status == PENDING,
        later.due_at <= now,
        later.id > ScheduledJob.id,
    )
    return (
        select(
            ScheduledJob.id,
            ScheduledJob.kind,
            ScheduledJob.user_id,
            ScheduledJob.subject_id,
            ScheduledJob.series,
            ScheduledJob.step,
            ScheduledJob.dedupe_key,
            superseded.label("superseded"),
            User.id,
            account.channel,
            account.external_id,
            User.language,
            User.role,
            User.province_code,
            account.blocked_at,
            User.reminders_off,
            account.id,
        )
        .join(User, User.id == ScheduledJob.user_id)
        .join(account, account.id == func.coalesce(User.deliver_to_id, User.id))
        .where(ScheduledJob.status == PENDING, ScheduledJob.due_at <= now)
        .order_by(ScheduledJob.due_at)
        .limit(limit)
    )


async def lease_due(
    session: AsyncSession, now: dt.datetime, limit: int
) -> list[tuple[DueJob, Recipient]]:
    """Takes up to `limit` due jobs, with their users' rows, for this transaction.

    FOR UPDATE OF both SKIP LOCKED (PostgreSQL): each instance takes jobs no
    other transaction holds, without waiting, and keeps them until it
    commits; locking the users too means one user's reminders are counted
    against the weekly cap by one instance at a time (jobs whose user is
    held elsewhere are skipped, for the next pass). SQLite has no row locks:
    there FOR UPDATE takes its single writer (storage/db.py) for the pass.
    """
    query = due_query(now, limit).with_for_update(skip_locked=True, of=[ScheduledJob, User])
    return [
        (DueJob._make((*row[:7], bool(row[7]))), Recipient._make(row[8:]))
        for row in await session.execute(query)
    ]


async def recent_sends(
    session: AsyncSession, user_ids: Sequence[int], kinds: Sequence[str], since: dt.datetime
) -> dict[int, list[dt.datetime]]:
    """When each user was sent reminders of `kinds` since `since`, oldest first.

    Kind and outcome are checked here rather than in SQL, which leaves the
    planner one fitting index, ix_scheduled_jobs_user_done, with or without
    statistics (SQLite has none until ANALYZE).
    """
    sent: dict[int, list[dt.datetime]] = {}
    for chunk in _chunks(list(user_ids)):
        rows = await session.execute(
            select(
                ScheduledJob.user_id, ScheduledJob.done_at, ScheduledJob.kind, ScheduledJob.outcome
            ).where(ScheduledJob.user_id.in_(chunk), ScheduledJob.done_at >= since)
        )
        for user_id, done_at, kind, outcome in rows:
            if done_at is not None and kind in kinds and outcome == QUEUED:
                sent.setdefault(user_id, []).append(aware(done_at))
    for times in sent.values():
        times.sort()
    return sent


async def settle(
    session: AsyncSession,
    *,
    queued: Sequence[int],
    dropped: dict[str, list[int]],
    deferred: dict[int, dt.datetime],
    now: dt.datetime,
) -> None:
    """Records what a pass did with its jobs: a few UPDATEs whatever their number."""
    outcomes = {QUEUED: list(queued), **dropped}
    for outcome, ids in outcomes.items():
        status = DONE if outcome == QUEUED else DROPPED
        for chunk in _chunks(ids):
            await session.execute(
                update(ScheduledJob)
                .where(ScheduledJob.id.in_(chunk))
                .values(status=status, outcome=outcome, done_at=now)
                .execution_options(**_QUIET)
            )
    if deferred:
        await session.execute(
            update(ScheduledJob),
            [{"id": job_id, "due_at": due} for job_id, due in deferred.items()],
        )


# --- into the outbox -----------------------------------------------------------

REMINDER = OutboxKind.REMINDER  # the outbox kind of every reminder


class Reminder(NamedTuple):
    """One message for the outbox, and the job it comes from."""

    job_id: int
    user: Recipient
    dedupe_key: str
    payload: dict[str, Any]


async def queue_reminders(
    session: AsyncSession, reminders: Sequence[Reminder], now: dt.datetime
) -> int:
    """Outbox rows in a few multi-row INSERTs (Core: no ORM objects to build).

    The same rows `storage.outbox.enqueue` writes one at a time; a key
    already queued is skipped (the pass that queued it committed its job
    with it, so this is a safety net, not the guarantee).
    """
    known: set[str] = set()
    for chunk in _chunks([reminder.dedupe_key for reminder in reminders]):
        known.update(
            await session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(chunk))
            )
        )
    rows = [
        {
            "kind": REMINDER,
            "user_id": reminder.user.account_id,
            "channel": reminder.user.channel,
            "chat_id": reminder.user.external_id,  # private chats: the chat is the user
            "payload": reminder.payload,
            "dedupe_key": reminder.dedupe_key,
            "status": OutboxStatus.PENDING,
            "not_before": now,
            "attempts": 0,
            "created_at": now,
        }
        for reminder in reminders
        if reminder.dedupe_key not in known
    ]
    table = cast(Table, OutboxMessage.__table__)
    for chunk in _chunks(rows):
        await session.execute(table.insert(), list(chunk))
    return len(rows)


# --- planning -------------------------------------------------------------------


async def subjects_with_series(
    session: AsyncSession, kind: JobKind, subject_ids: Sequence[int]
) -> set[tuple[int, str]]:
    """(subject, series) pairs that already have jobs of `kind`."""
    found: set[tuple[int, str]] = set()
    for chunk in _chunks(list(subject_ids)):
        rows = await session.execute(
            select(ScheduledJob.subject_id, ScheduledJob.series)
            .where(ScheduledJob.kind == kind, ScheduledJob.subject_id.in_(chunk))
            .distinct()
        )
        found.update((int(subject), str(series)) for subject, series in rows)
    return found


async def jobs_of(
    session: AsyncSession, *, kind: JobKind | None = None, user_id: int | None = None
) -> list[ScheduledJob]:
    """Jobs in the order they were scheduled (tests, the bench, support)."""
    query = select(ScheduledJob).order_by(ScheduledJob.id)
    if kind is not None:
        query = query.where(ScheduledJob.kind == kind)
    if user_id is not None:
        query = query.where(ScheduledJob.user_id == user_id)
    return list(await session.scalars(query))

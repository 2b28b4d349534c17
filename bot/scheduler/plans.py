"""Planners: which reminders to schedule, and when.

Trainings plan their jobs as things happen (an invitation is sent, someone
says "Going"); gaps and expiring certificates are found by `sweep`, a few
set-based queries run every `sweep_minutes`. A series once planned is never
planned again (its dedupe keys exist), so "then no more" holds and a sweep
may run any number of times, on any number of instances.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.config import ReminderSettings
from bot.scheduler import kinds
from bot.scheduler.gaps import product_incomplete, profile_incomplete
from storage import jobs
from storage.audience import DELIVERABLE_CHANNELS
from storage.jobs import NewJob
from storage.models import Producer, Product, ScheduledJob, Training, User
from storage.states.jobs import JobKind
from storage.states.roles import Role

OFFICER = Role.OFFICER
EXPIRED_LOOKBACK_DAYS = 30  # a certificate that expired longer ago than this gets no notice


# --- schedules: pure ------------------------------------------------------------


def nudges(
    kind: JobKind, user_id: int, subject_id: int, first_seen: dt.datetime, days: Sequence[int]
) -> list[NewJob]:
    """A gap's nudges: when first seen, then after each of `days`."""
    return [
        NewJob(kind, user_id, subject_id, f"d{day}", first_seen + dt.timedelta(days=day))
        for day in sorted(days)
    ]


def expiry_due(expiry: dt.date, days_before: int, hour: int, tz: ZoneInfo) -> dt.datetime:
    """`days_before` 0 stands for "has expired": the day after the last valid day."""
    day = expiry - dt.timedelta(days=days_before) if days_before else expiry + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz).astimezone(dt.UTC)


def expiry_reminders(
    kind: JobKind,
    user_id: int,
    product_id: int,
    expiry: dt.date,
    config: ReminderSettings,
    tz: ZoneInfo,
    now: dt.datetime,
) -> list[NewJob]:
    """The reminders still ahead, and of those already past only the latest (it says how
    many days are left when it goes): a certificate first seen 20 days before its
    expiry gets the 30-day reminder now, not the 90-day one too."""
    steps = sorted(config.expiry_days, key=lambda days: expiry_due(expiry, days, 0, tz))
    due = {days: expiry_due(expiry, days, config.expiry_hour, tz) for days in steps}
    past = [days for days in steps if due[days] <= now]
    keep = past[-1:] + [days for days in steps if due[days] > now]
    series = expiry.isoformat()
    return [NewJob(kind, user_id, product_id, f"{days}d", due[days], series) for days in keep]


def training_reminders(
    user_id: int, training: Training, hours: Sequence[int], now: dt.datetime
) -> list[NewJob]:
    """Reminders before the start that are still ahead (one who says "Going" an hour before
    needs no reminder a day before)."""
    starts = jobs.aware(training.starts_at)
    planned = []
    for before in sorted(hours, reverse=True):
        due = starts - dt.timedelta(hours=before)
        if due > now:
            planned.append(NewJob(kinds.TRAINING, user_id, training.id, f"{before}h", due))
    return planned


# --- planning as things happen ---------------------------------------------------


async def plan_invitations(
    session: AsyncSession, training: Training, user_ids: Sequence[int], now: dt.datetime
) -> int:
    """An invitation job per invitee, due now (quiet hours and choices apply when it goes)."""
    planned = [NewJob(kinds.INVITE, user_id, training.id, "inv", now) for user_id in user_ids]
    return await jobs.add_jobs(session, planned, now)


async def plan_training(
    session: AsyncSession,
    training: Training,
    user_id: int,
    config: ReminderSettings,
    now: dt.datetime,
) -> int:
    """Reminders for one who is now going (again: reminders dropped before come back)."""
    return await jobs.reopen(
        session, training_reminders(user_id, training, config.training_hours, now), now
    )


async def unplan_training(
    session: AsyncSession, training_id: int, user_id: int | None, outcome: str, now: dt.datetime
) -> int:
    """Drops the reminders of one user (no longer going), or everyone's (cancelled)."""
    return await jobs.drop_pending(
        session, kinds.TRAINING_KINDS, training_id, outcome, now, user_id=user_id
    )


# --- the sweep ---------------------------------------------------------------------


async def sweep(
    session: AsyncSession, config: ReminderSettings, tz: ZoneInfo, now: dt.datetime
) -> int:
    """Plans nudges for new gaps and reminders for certificates nearing expiry."""
    return (
        await _sweep_profiles(session, config, now)
        + await _sweep_products(session, config, now)
        + await _sweep_expiry(session, config, tz, now)
    )


def _no_series(kind: JobKind, subject: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    return ~exists().where(ScheduledJob.kind == kind, ScheduledJob.subject_id == subject)


def _reachable() -> list[ColumnElement[bool]]:
    own = and_(User.blocked_at.is_(None), User.channel.in_(DELIVERABLE_CHANNELS))
    # A person with linked accounts is reached on the one their notices go to (the
    # verdict checks that account when the reminder is due: storage/people.py).
    return [or_(own, User.deliver_to_id.is_not(None))]


async def _sweep_profiles(session: AsyncSession, config: ReminderSettings, now: dt.datetime) -> int:
    settled = now - dt.timedelta(hours=config.incomplete_grace_hours)
    rows = await session.execute(
        select(Producer.id, User.id)
        .join(User, User.id == Producer.user_id)
        .where(
            *_reachable(),
            Producer.created_at <= settled,
            profile_incomplete(),
            _no_series(kinds.INCOMPLETE_PROFILE, Producer.id),
        )
    )
    planned = [
        job
        for producer_id, user_id in rows
        for job in nudges(
            kinds.INCOMPLETE_PROFILE, user_id, producer_id, now, config.incomplete_days
        )
    ]
    return await jobs.add_jobs(session, planned, now)


async def _sweep_products(session: AsyncSession, config: ReminderSettings, now: dt.datetime) -> int:
    settled = now - dt.timedelta(hours=config.incomplete_grace_hours)
    rows = await session.execute(
        select(Product.id, User.id)
        .join(Producer, Producer.id == Product.producer_id)
        .join(User, User.id == Producer.user_id)
        .where(
            *_reachable(),
            Product.created_at <= settled,
            product_incomplete(),
            _no_series(kinds.INCOMPLETE_PRODUCT, Product.id),
        )
    )
    planned = [
        job
        for product_id, user_id in rows
        for job in nudges(
            kinds.INCOMPLETE_PRODUCT, user_id, product_id, now, config.incomplete_days
        )
    ]
    return await jobs.add_jobs(session, planned, now)


async def _sweep_expiry(
    session: AsyncSession, config: ReminderSettings, tz: ZoneInfo, now: dt.datetime
) -> int:
    """Certificates expiring within the longest reminder's reach (or lately expired) whose
    current expiry date has no reminders yet: a renewed certificate starts a new series."""
    today = now.astimezone(tz).date()
    reach = max(config.expiry_days, default=0) + 1
    rows = (
        await session.execute(
            select(Product.id, Product.cert_expiry, Producer.user_id, Producer.province_code)
            .join(Producer, Producer.id == Product.producer_id)
            .where(
                Product.cert_expiry >= today - dt.timedelta(days=EXPIRED_LOOKBACK_DAYS),
                Product.cert_expiry <= today + dt.timedelta(days=reach),
            )
        )
    ).all()
    if not rows:
        return 0
    ids = [row[0] for row in rows]
    planned_before = await jobs.subjects_with_series(session, kinds.EXPIRY, ids)
    planned_before |= await jobs.subjects_with_series(session, kinds.EXPIRY_OFFICER, ids)
    officers = await _officers(session, {row[3] for row in rows})
    planned: list[NewJob] = []
    for product_id, expiry, user_id, province in rows:
        if expiry is None or (product_id, expiry.isoformat()) in planned_before:
            continue
        recipients = [(kinds.EXPIRY, user_id)] if user_id is not None else []
        recipients += [(kinds.EXPIRY_OFFICER, officer) for officer in officers.get(province, [])]
        for kind, recipient in recipients:
            planned += expiry_reminders(kind, recipient, product_id, expiry, config, tz, now)
    return await jobs.add_jobs(session, planned, now)


async def _officers(session: AsyncSession, provinces: set[int]) -> dict[int, list[int]]:
    rows = await session.execute(
        select(User.province_code, User.id).where(
            User.role == OFFICER, User.province_code.in_(provinces), *_reachable()
        )
    )
    found: dict[int, list[int]] = {}
    for province, user_id in rows:
        if province is not None:
            found.setdefault(province, []).append(user_id)
    return found

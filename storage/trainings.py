"""Trainings (lớp tập huấn), invitations, answers, the waiting list, attendance.

Answers to one training are serialised by locking its row (SELECT … FOR
UPDATE, a no-op on SQLite, whose single writer serialises them anyway), so
two producers pressing "Going" for the last seat at once cannot both get it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Producer, Training, TrainingInvite, User
from storage.states.trainings import InviteStatus, TrainingStatus

# The states (storage/states/trainings.py) under the names callers use.
OPEN = TrainingStatus.OPEN
CANCELLED = TrainingStatus.CANCELLED

INVITED = InviteStatus.INVITED
GOING = InviteStatus.GOING
NOT_GOING = InviteStatus.NOT_GOING
WAITING = InviteStatus.WAITING
ATTENDED = InviteStatus.ATTENDED
ABSENT = InviteStatus.ABSENT
REGISTERED = (GOING, ATTENDED, ABSENT)  # who took a seat
_CHUNK = 500


async def create_training(
    session: AsyncSession,
    *,
    officer_id: int | None,
    province_code: int | None,
    topic: str,
    starts_at: dt.datetime,
    place: str | None,
    url: str | None,
    capacity: int,
    audience: dict[str, Any],
    now: dt.datetime,
) -> Training:
    training = Training(
        officer_id=officer_id,
        province_code=province_code,
        topic=topic,
        starts_at=starts_at,
        place=place,
        url=url,
        capacity=capacity,
        audience=audience,
        status=OPEN,
        created_at=now,
    )
    session.add(training)
    await session.flush()
    return training


async def invite_users(
    session: AsyncSession, training: Training, user_ids: Sequence[int], now: dt.datetime
) -> int:
    """One invitation per user, in a few multi-row INSERTs; returns how many."""
    rows = [
        {"training_id": training.id, "user_id": user_id, "status": INVITED, "created_at": now}
        for user_id in dict.fromkeys(user_ids)
    ]
    for start in range(0, len(rows), _CHUNK):
        await session.execute(insert(TrainingInvite), rows[start : start + _CHUNK])
    return len(rows)


async def get_training(session: AsyncSession, training_id: int) -> Training | None:
    return await session.get(Training, training_id)


async def lock_training(session: AsyncSession, training_id: int) -> Training | None:
    """The training, its row locked until commit: answers to it go one at a time."""
    query = select(Training).where(Training.id == training_id).with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def trainings_in(
    session: AsyncSession, province_code: int | None, *, since: dt.datetime, limit: int = 20
) -> list[Training]:
    """Trainings starting after `since`, soonest first: one province's, or all (None)."""
    query = select(Training).where(Training.starts_at >= since)
    if province_code is not None:
        query = query.where(Training.province_code == province_code)
    return list(await session.scalars(query.order_by(Training.starts_at).limit(limit)))


async def invite_of(session: AsyncSession, training_id: int, user_id: int) -> TrainingInvite | None:
    return await session.scalar(
        select(TrainingInvite).where(
            TrainingInvite.training_id == training_id, TrainingInvite.user_id == user_id
        )
    )


async def get_invite(session: AsyncSession, invite_id: int) -> TrainingInvite | None:
    return await session.get(TrainingInvite, invite_id)


async def counts(session: AsyncSession, training_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(TrainingInvite.status, func.count())
        .where(TrainingInvite.training_id == training_id)
        .group_by(TrainingInvite.status)
    )
    return {status: int(count) for status, count in rows}


@dataclass(frozen=True)
class Answer:
    status: InviteStatus  # the invite's status after the answer
    changed: bool
    promoted: TrainingInvite | None = None  # moved up from the waiting list


async def answer(
    session: AsyncSession,
    training: Training,
    invite: TrainingInvite,
    going: bool,
    now: dt.datetime,
) -> Answer:
    """Going takes a seat, or a place on the waiting list when the course is full;
    not going frees the seat for the first one waiting. Lock the training first."""
    before = invite.status
    if going:
        if before in (GOING, WAITING):
            return Answer(before, changed=False)
        taken = (await counts(session, training.id)).get(GOING, 0)
        if taken < training.capacity:
            invite.status, invite.position = GOING, None
        else:
            last = await session.scalar(
                select(func.max(TrainingInvite.position)).where(
                    TrainingInvite.training_id == training.id
                )
            )
            invite.status, invite.position = WAITING, int(last or 0) + 1
    else:
        if before == NOT_GOING:
            return Answer(before, changed=False)
        invite.status, invite.position = NOT_GOING, None
    invite.responded_at = now
    await session.flush()
    promoted = await _move_up(session, training, now) if before == GOING and not going else None
    return Answer(invite.status, changed=True, promoted=promoted)


async def _move_up(
    session: AsyncSession, training: Training, now: dt.datetime
) -> TrainingInvite | None:
    """The first one waiting takes the seat just freed, if anyone waits."""
    first = await session.scalar(
        select(TrainingInvite)
        .where(TrainingInvite.training_id == training.id, TrainingInvite.status == WAITING)
        .order_by(TrainingInvite.position, TrainingInvite.id)
        .limit(1)
    )
    if first is not None:
        first.status, first.position, first.responded_at = GOING, None, now
        await session.flush()
    return first


async def waiting_place(session: AsyncSession, invite: TrainingInvite) -> int:
    """1 for the first in the waiting list."""
    ahead = await session.scalar(
        select(func.count()).where(
            TrainingInvite.training_id == invite.training_id,
            TrainingInvite.status == WAITING,
            TrainingInvite.position < (invite.position or 0),
        )
    )
    return int(ahead or 0) + 1


async def upcoming_for(
    session: AsyncSession, user_id: int, now: dt.datetime
) -> list[tuple[Training, TrainingInvite]]:
    """The user's invitations to open trainings that have not started, soonest first."""
    rows = await session.execute(
        select(Training, TrainingInvite)
        .join(TrainingInvite, TrainingInvite.training_id == Training.id)
        .where(
            TrainingInvite.user_id == user_id,
            Training.status == OPEN,
            Training.starts_at > now,
        )
        .order_by(Training.starts_at)
    )
    return [(training, invite) for training, invite in rows]


async def registrants(session: AsyncSession, training_id: int) -> list[tuple[TrainingInvite, str]]:
    """Who took a seat (going, attended, absent) with the name to show: the entity's."""
    rows = await session.execute(
        select(TrainingInvite, func.coalesce(Producer.name, User.display_name))
        .join(User, User.id == TrainingInvite.user_id)
        .outerjoin(Producer, Producer.user_id == User.id)
        .where(TrainingInvite.training_id == training_id, TrainingInvite.status.in_(REGISTERED))
        .order_by(TrainingInvite.id)
    )
    return [(invite, str(name)) for invite, name in rows]


async def close_attendance(session: AsyncSession, training_id: int) -> int:
    """Those still "going" when the officer finishes the register were absent."""
    result = await session.execute(
        update(TrainingInvite)
        .where(TrainingInvite.training_id == training_id, TrainingInvite.status == GOING)
        .values(status=ABSENT)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def holding_seats(session: AsyncSession, training_id: int) -> list[TrainingInvite]:
    """Invitations of those going or waiting: who must hear of a cancellation."""
    return list(
        await session.scalars(
            select(TrainingInvite).where(
                TrainingInvite.training_id == training_id,
                TrainingInvite.status.in_((GOING, WAITING)),
            )
        )
    )

"""Does a due reminder still make sense? Either the message to send, or why it is dropped.

Everything a batch of jobs is about is loaded in a few queries (`load`);
`decide` is then a pure function of one job, its user and those records,
checked at the moment of sending rather than when the job was planned:
after downtime, a reminder about a training that has started or a field
that was filled is dropped, not sent late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.scheduler import kinds, messages
from bot.scheduler.gaps import gap_flags, gaps_of, keys_of, profile_gaps
from bot.scheduler.messages import ProductFacts
from storage import trainings as store
from storage.audience import DELIVERABLE_CHANNELS
from storage.jobs import DueJob, Recipient, aware
from storage.models import Producer, Product, Training, TrainingInvite
from storage.states.roles import Role

_PRODUCT_KINDS = (kinds.INCOMPLETE_PRODUCT, kinds.EXPIRY, kinds.EXPIRY_OFFICER)
_CHUNK = 500


@dataclass(frozen=True)
class Drop:
    outcome: str  # recorded on the job: why it was not sent


@dataclass
class Subjects:
    trainings: dict[int, Training] = field(default_factory=dict)
    invites: dict[tuple[int, int], TrainingInvite] = field(default_factory=dict)
    products: dict[int, ProductFacts] = field(default_factory=dict)
    producers: dict[int, Producer] = field(default_factory=dict)


def _ids(jobs: Sequence[DueJob], wanted: Sequence[str]) -> list[int]:
    return sorted({job.subject_id for job in jobs if job.kind in wanted})


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]


async def load(session: AsyncSession, jobs: Sequence[DueJob]) -> Subjects:
    found = Subjects()
    users = sorted({job.user_id for job in jobs})
    for chunk in _chunks(_ids(jobs, kinds.TRAINING_KINDS)):
        for training in await session.scalars(select(Training).where(Training.id.in_(chunk))):
            found.trainings[training.id] = training
        for user_chunk in _chunks(users):
            invites = select(TrainingInvite).where(
                TrainingInvite.training_id.in_(chunk), TrainingInvite.user_id.in_(user_chunk)
            )
            for invite in await session.scalars(invites):
                found.invites[(invite.training_id, invite.user_id)] = invite
    for chunk in _chunks(_ids(jobs, _PRODUCT_KINDS)):
        products = (
            select(
                Product.id,
                Product.code,
                Product.name,
                Product.cert_expiry,
                Producer.user_id,
                Producer.name,
                Producer.province_code,
                *gap_flags(),
            )
            .join(Producer, Producer.id == Product.producer_id)
            .where(Product.id.in_(chunk))
        )
        for row in await session.execute(products):
            found.products[row[0]] = ProductFacts._make((*row[:7], keys_of(row[7:])))
    for chunk in _chunks(_ids(jobs, (kinds.INCOMPLETE_PROFILE,))):
        for producer in await session.scalars(select(Producer).where(Producer.id.in_(chunk))):
            found.producers[producer.id] = producer
    return found


def decide(
    job: DueJob,
    user: Recipient,
    subjects: Subjects,
    t: Translator,
    now: dt.datetime,
) -> Drop | dict[str, Any]:
    """The payload to queue for `job`, or a Drop naming why it no longer makes sense."""
    if job.superseded:
        return Drop("superseded")  # a later reminder of the same schedule is due too
    if user.blocked_at is not None:
        return Drop("blocked")
    if user.channel not in DELIVERABLE_CHANNELS:
        return Drop("unreachable")
    if kinds.is_off(user.reminders_off, kinds.PREFERENCE_OF[job.kind]):
        return Drop("off")
    if job.kind in kinds.TRAINING_KINDS:
        return _training(job, subjects, t, now)
    if job.kind == kinds.INCOMPLETE_PROFILE:
        producer = subjects.producers.get(job.subject_id)
        if producer is None or producer.user_id != job.user_id:
            return Drop("gone")
        gaps = profile_gaps(producer)
        return messages.incomplete_profile(t, producer, gaps) if gaps else Drop("complete")
    product = subjects.products.get(job.subject_id)
    if product is None:
        return Drop("gone")
    if job.kind == kinds.INCOMPLETE_PRODUCT:
        if product.owner_id != job.user_id:
            return Drop("gone")
        gaps = gaps_of(product.id, product.gaps)
        return messages.incomplete_product(t, product, gaps) if gaps else Drop("complete")
    return _expiry(job, user, product, t, now)


def _training(
    job: DueJob, subjects: Subjects, t: Translator, now: dt.datetime
) -> Drop | dict[str, Any]:
    training = subjects.trainings.get(job.subject_id)
    if training is None:
        return Drop("gone")
    if training.status == store.CANCELLED:
        return Drop("cancelled")
    if aware(training.starts_at) <= now:
        return Drop("started")
    invite = subjects.invites.get((training.id, job.user_id))
    if job.kind == kinds.INVITE:
        if invite is None or invite.status != store.INVITED:
            return Drop("answered")  # they answered from /trainings before it went
        return messages.invitation(t, training)
    if invite is None or invite.status != store.GOING:
        return Drop("not_going")
    return messages.training_reminder(t, training, now)


def _expiry(
    job: DueJob, user: Recipient, product: ProductFacts, t: Translator, now: dt.datetime
) -> Drop | dict[str, Any]:
    if product.cert_expiry is None or product.cert_expiry.isoformat() != job.series:
        return Drop("renewed")  # the certificate changed since this was planned
    officer = job.kind == kinds.EXPIRY_OFFICER
    if officer and (user.role != Role.OFFICER or user.province_code != product.province_code):
        return Drop("not_officer")
    if not officer and product.owner_id != job.user_id:
        return Drop("gone")
    return messages.expiry(t, product, now.astimezone(t.tz).date(), officer=officer)

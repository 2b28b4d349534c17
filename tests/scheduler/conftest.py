"""Scheduler fixtures: the handlers joined, a scheduler on the test's clock, what was queued.

Every test runs on SQLite and on PostgreSQL (tests/conftest.py) with the
injected clock, which starts on Monday 23/11/2026 at 10:00 in Vietnam.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.config import ReminderSettings
from bot.runtime import Runtime
from bot.scheduler import SchedulerService, plans
from storage import trainings as store
from storage.audience import Audience, recipients
from storage.jobs import REMINDER
from storage.models import OutboxMessage, Photo, Producer, Product, ScheduledJob, User
from storage.users import get_or_create_user
from tests.conftest import Clock
from tests.outbox.conftest import TAN_CUONG, THAI_NGUYEN, add_officer, add_producer

VIETNAM = dt.timezone(dt.timedelta(hours=7))


def local(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> dt.datetime:
    """A time in Vietnam, as UTC: local(24, 7) is 07:00 on 24/11/2026."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=VIETNAM).astimezone(dt.UTC)


def make_scheduler(
    runtime: Runtime, clock: Clock, instance: str = "s1", **changes: Any
) -> SchedulerService:
    reminders = dataclasses.replace(ReminderSettings(), **changes)
    settings = dataclasses.replace(runtime.settings, reminders=reminders)
    return SchedulerService(
        runtime.db, settings, clock, catalogs=runtime.app.catalogs, instance=instance
    )


@pytest.fixture
def scheduler(runtime: Runtime, clock: Clock) -> SchedulerService:
    return make_scheduler(runtime, clock)


async def reminders_to(runtime: Runtime, user_id: int) -> list[OutboxMessage]:
    """Reminders queued for the user, oldest first."""
    async with runtime.db.transaction() as session:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.user_id == user_id, OutboxMessage.kind == REMINDER)
            .order_by(OutboxMessage.id)
        )
        return list(await session.scalars(query))


async def texts_to(runtime: Runtime, user_id: int) -> list[str]:
    return [str(row.payload["text"]) for row in await reminders_to(runtime, user_id)]


async def jobs(runtime: Runtime, **where: Any) -> list[ScheduledJob]:
    async with runtime.db.transaction() as session:
        query = select(ScheduledJob).order_by(ScheduledJob.id)
        for name, value in where.items():
            query = query.where(getattr(ScheduledJob, name) == value)
        return list(await session.scalars(query))


async def set_user(runtime: Runtime, user_id: int, **values: Any) -> None:
    async with runtime.db.transaction() as session:
        user = await session.get(User, user_id)
        assert user is not None
        for name, value in values.items():
            setattr(user, name, value)


async def user_id_of(runtime: Runtime, external_id: str, channel: str = "telegram") -> int:
    async with runtime.db.transaction() as session:
        return (await get_or_create_user(session, channel, external_id, "x")).id


# --- producers and products, stored directly -------------------------------------

COMPLETE_PROFILE: dict[str, Any] = {
    "address": "Xóm Hồng Thái 2",
    "latitude": 21.5942,
    "longitude": 105.7675,
    "tax_code": "4600123456",
}
# tests.helpers.PRODUCT_COLUMNS lacks only photos and the food-safety certificate.
COMPLETE_PRODUCT: dict[str, Any] = {"photos": 3, "certs": ["food_safety"]}


async def producer(
    runtime: Runtime,
    clock: Clock,
    external_id: str,
    *,
    products: list[dict[str, Any]] | None = None,
    profile: dict[str, Any] | None = None,
    language: str = "vi",
    province: int = THAI_NGUYEN,
    ward: int = TAN_CUONG,
) -> tuple[int, list[int]]:
    """A producer's user (Telegram) and products, all created at the clock's time."""
    user_id = await add_producer(
        runtime,
        external_id,
        products=products or [],
        language=language,
        province=province,
        ward=ward,
    )
    async with runtime.db.transaction() as session:
        found = await session.scalar(select(Producer).where(Producer.user_id == user_id))
        assert found is not None
        for name, value in (COMPLETE_PROFILE if profile is None else profile).items():
            setattr(found, name, value)
        found.created_at = clock()
        await session.execute(
            update(Product).where(Product.producer_id == found.id).values(created_at=clock())
        )
        ids = list(
            await session.scalars(
                select(Product.id).where(Product.producer_id == found.id).order_by(Product.id)
            )
        )
    return user_id, ids


async def officer(runtime: Runtime, external_id: str, province: int = THAI_NGUYEN) -> int:
    return (await add_officer(runtime, external_id, province)).id


async def change_product(runtime: Runtime, product_id: int, **values: Any) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(update(Product).where(Product.id == product_id).values(**values))


async def add_photos(runtime: Runtime, product_id: int, count: int) -> None:
    async with runtime.db.transaction() as session:
        for n in range(count):
            session.add(
                Photo(
                    product_id=product_id,
                    sha256=f"{product_id:032d}{n + 50:032d}",
                    mime="image/jpeg",
                    width=800,
                    height=800,
                    size_bytes=1000,
                    position=n,
                )
            )


# --- trainings and certificates --------------------------------------------------

TRAINING_START = local(5, 8, 30, month=12)  # Saturday 05/12/2026 08:30 in Vietnam
RATED: dict[str, Any] = {
    **COMPLETE_PRODUCT,
    "stars": 4,
    "cert_number": "1234/QĐ-UBND",
    "cert_date": dt.date(2024, 3, 1),
    "cert_expiry": dt.date(2027, 3, 1),
    "review_status": "approved",
}


async def add_training(
    runtime: Runtime,
    clock: Clock,
    officer_id: int,
    *,
    starts_at: dt.datetime = TRAINING_START,
    capacity: int = 1,
    province: int = THAI_NGUYEN,
) -> int:
    """A training of `province`'s producers, created as the flow's last step does."""
    async with runtime.db.transaction() as session:
        training = await store.create_training(
            session,
            officer_id=officer_id,
            province_code=province,
            topic="Bán hàng trên sàn TMĐT",
            starts_at=starts_at,
            place="Hội trường UBND xã Tân Cương",
            url=None,
            capacity=capacity,
            audience=Audience(province=province, essential=True).to_json(),
            now=clock(),
        )
        query = recipients(Audience(province=province, essential=True)).subquery()
        invited = list(await session.scalars(select(query.c.id)))
        await store.invite_users(session, training, invited, clock())
        await plans.plan_invitations(session, training, invited, clock())
        return training.id

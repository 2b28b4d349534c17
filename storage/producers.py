"""Producers (OCOP entities): saving the registration and reading profiles."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.text import fold
from storage.db import Prepared, Unit
from storage.models import Producer

PROFILE_FIELDS = (
    "name",
    "kind",
    "representative",
    "phone",
    "province_code",
    "ward_code",
    "address",
    "latitude",
    "longitude",
    "tax_code",
    "show_phone",
    "story",
)


async def producer_of_user(session: AsyncSession, user_id: int) -> Producer | None:
    return await session.scalar(select(Producer).where(Producer.user_id == user_id))


_PRODUCERS = cast(Table, Producer.__table__)
_PRODUCER_ID = Prepared(select(_PRODUCERS.c.id).where(_PRODUCERS.c.user_id == bindparam("user_id")))


async def producer_id_of_user(unit: Unit, user_id: int) -> int | None:
    """The id of the user's producer profile, read as the chat's rows are: a step
    that only needs to know the profile exists (starting a product, saving it)
    opens no ORM session for it. A profile the unit has written counts
    (`save_producer` flushes); the step's other changes stay unwritten until the
    conversation's save."""
    row = await unit.fetch_one(_PRODUCER_ID, {"user_id": user_id})
    return None if row is None else int(row[0])


async def save_producer(session: AsyncSession, user_id: int, fields: dict[str, Any]) -> Producer:
    """Creates the user's producer profile, or updates the given fields of it."""
    producer = await producer_of_user(session, user_id)
    if producer is None:
        producer = Producer(user_id=user_id, address="", show_phone=False)
        session.add(producer)
    for key, value in fields.items():
        if key not in PROFILE_FIELDS:
            raise KeyError(key)
        setattr(producer, key, value)
    producer.name_folded = fold(producer.name)
    await session.flush()
    return producer

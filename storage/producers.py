"""Producers (OCOP entities): saving the registration and reading profiles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.text import fold
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

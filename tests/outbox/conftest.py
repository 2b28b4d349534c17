"""Outbox fixtures: a database with producers to reach, a sender that records, a fast worker.

`FakeSender` stands in for a channel: it records every send and edit and
answers each chat with scripted outcomes (sent by default). Tests that need
the real Bot API path use `TelegramSender` against the fake Bot API instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import OutboxSettings, SendLimits, Settings
from bot.outbox.sender import Buttons, Outcome, Outgoing
from bot.outbox.worker import OutboxWorker
from bot.runtime import Runtime
from storage import outbox
from storage.audience import Audience, recipients
from storage.models import Broadcast, Listing, OutboxMessage, Photo, User
from storage.producers import save_producer
from storage.products import create_product
from storage.users import get_or_create_user
from tests.conftest import Clock
from tests.helpers import PRODUCER_FIELDS, PRODUCT_COLUMNS

THAI_NGUYEN, TAN_CUONG = 19, 5503  # from tests.helpers.PRODUCER_FIELDS
LAM_DONG = 68


@dataclass
class FakeSender:
    """Records sends and edits; `script[chat]` lists outcomes to answer that chat with."""

    channel: str = "telegram"
    sent: list[tuple[str, Outgoing]] = field(default_factory=list)
    edits: list[tuple[str, str, str, Buttons]] = field(default_factory=list)
    script: dict[str, list[Outcome]] = field(default_factory=dict)
    delay: float = 0.0  # seconds each send takes, as a platform's answer would

    async def send(self, chat_id: str, message: Outgoing) -> Outcome:
        if self.delay:
            await asyncio.sleep(self.delay)
        planned = self.script.get(chat_id)
        outcome = planned.pop(0) if planned else Outcome.sent(str(len(self.sent) + 1))
        if outcome.kind in ("sent", "unknown"):
            self.sent.append((chat_id, message))
        return outcome

    async def edit(self, chat_id: str, message_id: str, text: str, buttons: Buttons) -> Outcome:
        self.edits.append((chat_id, message_id, text, buttons))
        return Outcome.sent(message_id)

    def chats(self) -> list[str]:
        return [chat for chat, _message in self.sent]


def fast(settings: Settings, **changes: Any) -> Settings:
    """Settings whose worker paces far above the test's message count."""
    limits = SendLimits(rate_per_second=1000.0, per_chat_per_second=1000.0)
    return dataclasses.replace(
        settings,
        outbox=dataclasses.replace(OutboxSettings(), **changes),
        telegram_limits=limits,
    )


def make_worker(
    runtime: Runtime, sender: Any, clock: Clock, worker_id: str = "w1", **changes: Any
) -> OutboxWorker:
    return OutboxWorker(
        runtime.db,
        sender,
        fast(runtime.settings, **changes),
        clock,
        catalogs=runtime.app.catalogs,
        worker_id=worker_id,
    )


async def add_producer(
    runtime: Runtime,
    external_id: str,
    *,
    province: int = THAI_NGUYEN,
    ward: int = TAN_CUONG,
    kind: str = "cooperative",
    language: str = "vi",
    channel: str = "telegram",
    products: list[dict[str, Any]] | None = None,
) -> int:
    """A producer's user with products; each product dict may name photos, listings, certs."""
    async with runtime.db.transaction() as session:
        user = await get_or_create_user(session, channel, external_id, "Producer")
        user.language = language
        fields = dict(
            PRODUCER_FIELDS, name=f"HTX {external_id}", province_code=province, ward_code=ward
        )
        producer = await save_producer(session, user.id, {**fields, "kind": kind})
        for spec in products or []:
            columns = dict(spec)
            photos = columns.pop("photos", 0)
            live_on = columns.pop("live_on", [])
            certs = [(kind_of, "X-1", None) for kind_of in columns.pop("certs", [])]
            product = await create_product(
                session, producer.id, {**PRODUCT_COLUMNS, **columns}, certs
            )
            for position in range(photos):
                session.add(
                    Photo(
                        product_id=product.id,
                        sha256=f"{product.id:032d}{position:032d}",
                        mime="image/jpeg",
                        width=800,
                        height=800,
                        size_bytes=1000,
                        position=position,
                    )
                )
            for marketplace in live_on:
                session.add(Listing(product_id=product.id, marketplace=marketplace, status="live"))
        await session.flush()
        return user.id


async def add_officer(
    runtime: Runtime, external_id: str = "9001", province: int | None = THAI_NGUYEN
) -> User:
    async with runtime.db.transaction() as session:
        user = await get_or_create_user(session, "telegram", external_id, "Officer")
        user.role, user.province_code, user.language = "officer", province, "en"
        await session.flush()
        return user


async def queue(
    runtime: Runtime,
    clock: Clock,
    audience: Audience,
    *,
    officer: User | None = None,
    text: str = "Thông báo tập huấn",
    start: dt.datetime | None = None,
) -> Broadcast:
    """A confirmed broadcast, queued the way the confirm screen does (progress row first)."""
    async with runtime.db.transaction() as session:
        draft = await outbox.create_draft(
            session,
            officer_id=officer.id if officer else None,
            province_code=audience.province,
            text=text,
            audience=audience.to_json(),
            essential=audience.essential,
            now=clock(),
        )
        if officer is not None:
            stop = ("⛔ Stop", f"broadcast:cancel:{draft.id}")
            await outbox.enqueue(
                session,
                officer,
                outbox.payload("progress 0%", [[stop]]),
                kind=outbox.PROGRESS,
                broadcast_id=draft.id,
                not_before=start or clock(),
            )
        messages = {
            "vi": outbox.payload("", [[("🔕 Tắt", "notices:off")]]),
            "en": outbox.payload("", [[("🔕 Off", "notices:off")]]),
        }
        await outbox.queue_broadcast(
            session,
            draft,
            recipients(audience),
            messages,
            default_language="vi",
            not_before=start or clock(),
            now=clock(),
        )
        return draft


async def rows(runtime: Runtime, **where: Any) -> list[OutboxMessage]:
    async with runtime.db.transaction() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(await session.scalars(query))


async def statuses(runtime: Runtime, broadcast_id: int) -> dict[str, int]:
    async with runtime.db.transaction() as session:
        return await outbox.broadcast_counts(session, broadcast_id)


async def user(runtime: Runtime, user_id: int) -> User:
    async with runtime.db.transaction() as session:
        found = await session.get(User, user_id)
        assert found is not None
        return found


async def broadcast(runtime: Runtime, broadcast_id: int) -> Broadcast:
    async with runtime.db.transaction() as session:
        found = await session.get(Broadcast, broadcast_id)
        assert found is not None
        return found


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


@pytest.fixture
async def producers(runtime: Runtime) -> AsyncIterator[list[int]]:
    """Five producers of Thái Nguyên with one plain product each."""
    ids = [await add_producer(runtime, str(1000 + n), products=[{}]) for n in range(5)]
    yield ids

"""The people of the officer tests, stored directly, and what to read back about them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.core.context import Context
from bot.handlers.routes import Router
from bot.runtime import Runtime
from storage.models import AuditEntry, Conversation, OutboxMessage, User
from storage.producers import save_producer
from storage.users import get_or_create_user
from tests.helpers import PRODUCER_FIELDS, Chat, make_product, make_user

ADMIN_ID = "9001"
THAI_NGUYEN = 19
LAM_DONG = 68
DA_LAT_WARD = 24781  # Phường Xuân Hương - Đà Lạt, Lâm Đồng


@dataclass
class People:
    officer: Chat  # Thái Nguyên
    other_officer: Chat  # Lâm Đồng
    hoa: Chat  # producer in Thái Nguyên
    lan: Chat  # producer in Lâm Đồng
    tea: int  # Hoa's product, pending review
    coffee: int  # Lan's product, pending review


async def make_officer(
    runtime: Runtime, chat: Chat, province_code: int, *, language: str = "en"
) -> int:
    async with runtime.db.transaction() as session:
        user = await get_or_create_user(session, chat.channel, chat.user_id, "Officer")
        user.language = language
        user.role = "officer"
        user.province_code = province_code
        return user.id


async def setup_people(runtime: Runtime) -> People:
    officer, other = Chat(runtime, user_id="7001"), Chat(runtime, user_id="7002")
    await make_officer(runtime, officer, THAI_NGUYEN)
    await make_officer(runtime, other, LAM_DONG)
    hoa, lan = Chat(runtime, user_id="1001"), Chat(runtime, user_id="1002")
    await make_user(runtime, hoa, language="vi")
    await make_user(runtime, lan, language="en", producer=False)
    async with runtime.db.transaction() as session:
        user = await get_or_create_user(session, lan.channel, lan.user_id, "Lan")
        fields = dict(
            PRODUCER_FIELDS,
            name="HTX Cà Phê Cầu Đất",
            province_code=LAM_DONG,
            ward_code=DA_LAT_WARD,
        )
        await save_producer(session, user.id, fields)
    tea = await make_product(runtime, hoa, name="Chè búp Tân Cương")
    coffee = await make_product(
        runtime, lan, name="Cà phê Arabica Cầu Đất", subgroup="coffee_cocoa"
    )
    return People(officer, other, hoa, lan, tea, coffee)


async def audit(runtime: Runtime, action: str | None = None) -> list[AuditEntry]:
    async with runtime.db.transaction() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list(await session.scalars(query))


async def outbox(runtime: Runtime) -> list[OutboxMessage]:
    async with runtime.db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def user_of(runtime: Runtime, chat: Chat) -> User:
    async with runtime.db.transaction() as session:
        user = await session.scalar(
            select(User).where(User.channel == chat.channel, User.external_id == chat.user_id)
        )
        assert user is not None
        return user


def buttons_of(message: OutboxMessage) -> list[tuple[str, str]]:
    rows: list[list[dict[str, Any]]] = message.payload["buttons"]
    return [(button["label"], button["action"]) for row in rows for button in row]


async def craft(chat: Chat, action: str) -> None:
    """Puts `action` behind button 0 of the chat's screen, as if the server had offered it.

    A crafted callback can only pick among the actions stored with the
    conversation; this stores one, so tests can prove each handler checks
    role and province itself rather than trusting what the screen offered.
    """
    async with chat.runtime.db.transaction() as session:
        conversation = await session.get(Conversation, (chat.channel, chat.user_id))
        if conversation is None:
            user = await get_or_create_user(session, chat.channel, chat.user_id, "Test User")
            conversation = Conversation(
                channel=chat.channel, chat_id=chat.user_id, user_id=user.id, data={}, drafts={}
            )
            session.add(conversation)
        conversation.token = "CRFT"
        conversation.actions = {"list": [action], "numbers": {}, "free_text": False}


@asynccontextmanager
async def context(chat: Chat, **incoming: Any) -> AsyncIterator[Context]:
    """What a handler gets for one update from `chat`, inside one transaction."""
    runtime = chat.runtime
    router = runtime.dispatcher.router
    assert isinstance(router, Router)
    async with runtime.db.unit() as unit:
        await unit.connect()
        session = unit.session
        user = await get_or_create_user(session, chat.channel, chat.user_id, "Test User")
        if runtime.settings.is_admin(chat.channel, chat.user_id):
            user.role = "admin"
        conversation = await session.get(Conversation, (chat.channel, chat.user_id))
        if conversation is None:
            conversation = Conversation(
                channel=chat.channel, chat_id=chat.user_id, user_id=user.id, data={}, drafts={}
            )
            session.add(conversation)
        yield Context(
            app=runtime.app,
            unit=unit,
            incoming=chat.incoming(**incoming),
            caps=chat.caps,
            user=user,
            conversation=conversation,
            t=runtime.app.catalogs.translator(user.language),
            navigate=router.dispatch_action,  # as the router sets it
        )

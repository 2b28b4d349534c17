"""People on two channels: a Telegram producer and the console standing in for a second app."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.runtime import Runtime
from storage.models import OutboxMessage, User
from storage.users import get_or_create_user
from tests.helpers import CONSOLE, Chat, text_of


def code_in(text: str) -> str:
    """The link code a /link screen shows ("ABCD-EFGH")."""
    match = re.search(r"/link ([0-9A-Z]{4}-[0-9A-Z]{4})", text)
    assert match, text
    return match[1]


async def new_code(chat: Chat) -> str:
    return code_in(text_of(await chat.say("/link")))


def console(runtime: Runtime, user_id: str = "local") -> Chat:
    return Chat(runtime, CONSOLE, user_id=user_id, language="en")


async def account(runtime: Runtime, channel: str, external_id: str) -> User:
    async with runtime.db.transaction() as session:
        return await get_or_create_user(session, channel, external_id, "x")


async def queued(runtime: Runtime) -> list[OutboxMessage]:
    async with runtime.db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

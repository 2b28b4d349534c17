"""Driving a conversation through the dispatcher, as a channel would, without a network.

`Chat` is one user in one chat on one channel: it says text, presses buttons
by their label (a callback on Telegram, the menu number or /command on the
console) and remembers the last screen. Setup helpers put a registered
producer and products straight into the database so flow tests start where
they mean to.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.channels import console, telegram
from bot.core.dispatcher import NAV_COMMANDS
from bot.core.types import Button, Capabilities, Incoming, Reply
from bot.runtime import Runtime
from storage.models import Conversation, Product
from storage.producers import producer_of_user, save_producer
from storage.products import create_product
from storage.users import get_or_create_user

CONSOLE = console.CAPABILITIES
TELEGRAM = telegram.CAPABILITIES

# A producer in Xã Tân Cương, Thái Nguyên (codes from `vietnam-provinces`).
# Tests of one engine's own behaviour run on that engine only (the `database_url`
# fixture is parametrized over both).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRESQL_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

PRODUCER_FIELDS: dict[str, Any] = {
    "name": "HTX Chè Tân Cương",
    "kind": "cooperative",
    "representative": "Nguyễn Thị Hoa",
    "phone": "+84912345678",
    "province_code": 19,
    "ward_code": 5503,
    "address": "",
    "latitude": None,
    "longitude": None,
    "tax_code": None,
    "show_phone": False,
}

PRODUCT_COLUMNS: dict[str, Any] = {
    "name": "Chè búp Tân Cương",
    "group": "food",
    "subgroup": "tea",
    "stars": None,
    "cert_number": None,
    "cert_date": None,
    "cert_expiry": None,
    "description": "Chè búp một tôm hai lá, sao tay.",
    "story": "Ba thế hệ làm chè.",
    "price_vnd": 125_000,
    "unit": "hộp",
    "net_amount": 200,
    "net_unit": "g",
    "package_weight_g": 260,
    "length_mm": 200,
    "width_mm": 80,
    "height_mm": 80,
    "shelf_life": "P12M",
    "ingredients": "100% búp chè",
    "growing_area_code": None,
    "gtin": None,
}


def text_of(replies: list[Reply]) -> str:
    """Everything the user reads, replies joined by blank lines."""
    return "\n\n".join(reply.text for reply in replies)


def labels(replies: list[Reply]) -> list[str]:
    """Every button label on the screen, in order."""
    return [button.label for reply in replies for row in reply.buttons for button in row]


@dataclass
class Chat:
    """One user talking to the dispatcher in one private chat."""

    runtime: Runtime
    caps: Capabilities = TELEGRAM
    user_id: str = "1001"
    language: str | None = None  # the client's language hint
    screen: list[Reply] = field(default_factory=list)

    @property
    def channel(self) -> str:
        return "telegram" if self.caps.inline_buttons else "console"

    def incoming(self, **parts: Any) -> Incoming:
        return Incoming(
            channel=self.channel,
            chat_id=self.user_id,
            user_id=self.user_id,
            user_name="Test User",
            language=self.language,
            **parts,
        )

    async def send(self, incoming: Incoming) -> list[Reply]:
        self.screen = await self.runtime.dispatcher.handle(incoming, self.caps)
        return self.screen

    async def say(self, text: str) -> list[Reply]:
        """Types `text`."""
        return await self.send(self.incoming(text=text))

    async def callback(self, data: str) -> list[Reply]:
        """Sends raw callback data, as a (possibly stale or crafted) button press."""
        return await self.send(self.incoming(callback=data))

    def find(self, label: str) -> tuple[Reply, int, int, Button]:
        """The button on the current screen whose label is or contains `label`."""
        found = [
            (reply, r, c, button)
            for reply in self.screen
            for r, row in enumerate(reply.buttons)
            for c, button in enumerate(row)
            if button.label == label
        ] or [
            (reply, r, c, button)
            for reply in self.screen
            for r, row in enumerate(reply.buttons)
            for c, button in enumerate(row)
            if label in button.label
        ]
        if not found:
            raise AssertionError(f"no button {label!r} in {labels(self.screen)}")
        return found[0]

    def callback_for(self, label: str) -> str:
        reply, row, column, _button = self.find(label)
        return reply.callback_data[row][column]

    async def press(self, label: str) -> list[Reply]:
        """Presses a button the way the channel offers it."""
        reply, row, column, button = self.find(label)
        if self.caps.inline_buttons:
            return await self.callback(reply.callback_data[row][column])
        if button.action in NAV_COMMANDS:
            return await self.say(NAV_COMMANDS[button.action])
        number = re.search(rf"^(\d+)\. {re.escape(button.label)}$", reply.text, re.MULTILINE)
        if number is None:
            raise AssertionError(f"{button.label!r} is not numbered in {reply.text!r}")
        return await self.say(number[1])

    @property
    def text(self) -> str:
        return text_of(self.screen)


async def say(runtime: Runtime, text: str, caps: Capabilities = TELEGRAM) -> list[Reply]:
    """One typed message from the default test user."""
    return await Chat(runtime, caps).say(text)


async def make_user(
    runtime: Runtime, chat: Chat, *, language: str = "en", producer: bool = True
) -> int:
    """The chat's user with a chosen language and, unless told otherwise, a producer profile."""
    async with runtime.db.transaction() as session:
        user = await get_or_create_user(session, chat.channel, chat.user_id, "Test User")
        user.language = language
        if producer:
            fields = dict(PRODUCER_FIELDS, name=f"HTX {chat.user_id}")
            await save_producer(session, user.id, fields)
        return user.id


async def make_product(
    runtime: Runtime,
    chat: Chat,
    *,
    certifications: Sequence[tuple[str, str, dt.date | None]] = (),
    **columns: Any,
) -> int:
    """A product of the chat's producer (see `make_user`), stored directly; returns its id."""
    async with runtime.db.transaction() as session:
        user = await get_or_create_user(session, chat.channel, chat.user_id, "Test User")
        producer = await producer_of_user(session, user.id)
        assert producer is not None, "make_user(..., producer=True) first"
        product = await create_product(
            session, producer.id, {**PRODUCT_COLUMNS, **columns}, certifications
        )
        return product.id


async def load_product(runtime: Runtime, product_id: int) -> Product | None:
    async with runtime.db.transaction() as session:
        return await session.scalar(
            select(Product)
            .where(Product.id == product_id)
            .options(selectinload(Product.certifications), selectinload(Product.photos))
        )


async def conversation(runtime: Runtime, chat: Chat) -> Conversation | None:
    """Where the chat stands, read fresh from the database."""
    async with runtime.db.transaction() as session:
        return await session.get(Conversation, (chat.channel, chat.user_id))

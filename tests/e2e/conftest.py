"""End-to-end fixtures: the real Telegram channel against the loopback fake Bot API.

`bot` runs the whole stack as in production — settings from config.toml and
the environment, `build_runtime`, `TelegramChannel` long-polling over real
HTTP — against `testkit.fake_bot_api.FakeBotAPI`, on the SQLite or PostgreSQL
database of the test's parameter. `bot.restart()` is the real "process
restarted" path: the channel stops, the runtime closes, and fresh ones are
built on the same database and media folder.

Waiting without sleeping: the channel records each update's id once it has
finished with the update, replies sent included (`_MarkingChannel`). A
driving helper sends an update, waits for that record (with a timeout) and
then collects everything the fake recorded for the chat since the previous
step (`api.settle(chat, quiet=0)`), so each helper returns exactly what the
user saw in answer to that one update.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from bot.channels.telegram import TelegramChannel
from bot.config import SendLimits, Settings, load_settings
from bot.core.dispatcher import Dispatcher
from bot.runtime import Runtime, build_runtime
from storage.models import Product
from storage.products import product_by_code
from testkit.fake_bot_api import FakeBotAPI, FakeUser, button_texts
from tests.conftest import Clock

Output = dict[str, Any]
UNLIMITED = SendLimits(rate_per_second=1e6, per_chat_per_second=1e6)
UPDATE_TIMEOUT = 15.0  # seconds an update may take, PostgreSQL on a busy CI machine included


class Screen(list[Output]):
    """The bot's outputs in answer to one update, as the user sees them."""

    @property
    def texts(self) -> list[str]:
        return [output["text"] or "" for output in self]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def last(self) -> Output:
        assert self, "the bot sent nothing"
        return self[-1]

    @property
    def buttons(self) -> list[str]:
        """Inline buttons of every message, in order."""
        return [label for output in self for label in inline_buttons(output)]

    def message_with(self, label: str) -> Output:
        """The last message carrying an inline button `label`."""
        for output in reversed(self):
            if label in inline_buttons(output):
                return output
        raise AssertionError(f"no button {label!r} in {self.buttons} ({self.texts})")

    def __repr__(self) -> str:  # readable assertion messages: texts and buttons only
        return "\n---\n".join(
            f"{t!r} {inline_buttons(o)}" for t, o in zip(self.texts, self, strict=True)
        )

    __str__ = __repr__


def inline_buttons(output: Output) -> list[str]:
    markup = output.get("reply_markup") or {}
    return button_texts(output) if "inline_keyboard" in markup else []


def reply_keyboard(output: Output) -> dict[str, Any] | None:
    """The reply keyboard (share phone/location keys) or its removal, if any."""
    markup = output.get("reply_markup") or {}
    return None if "inline_keyboard" in markup else markup or None


# ("send" | "press" | "key", text, button or key label, text expected in the answer); a
# "key" is one of the keys shown under a share-phone/location key, tapped (it sends its label).
Step = tuple[str, str, str]
PRODUCT_NAME = "Chè búp Tân Cương đặc biệt"
PRODUCT_STEPS_EN: list[Step] = [
    ("send", PRODUCT_NAME, "Which product group?"),
    ("press", "Food", "Which subgroup?"),
    ("press", "Tea and tea products", "How many OCOP stars"),
    ("press", "⭐⭐⭐⭐ 4 stars", "decision number?"),
    ("send", "1234/QĐ-UBND", "Decision date"),
    ("send", "20/05/2024", "Product description"),
    ("send", "Chè búp một tôm hai lá, sao tay trên chảo gang.", "The product's story"),
    ("send", "Ba thế hệ làm chè trên đồi Tân Cương.", "Selling price"),
    ("send", "125.000", "Unit of sale"),
    ("press", "box", "Net weight"),
    ("send", "200 g", "Weight with packaging"),
    ("send", "260 g", "Package size"),
    ("send", "20x8x8", "Shelf life"),
    ("send", "12 months", "Ingredients"),
    ("send", "100% búp chè trung du", "Any other certifications"),
    ("press", "VietGAP", "Any other certifications"),
    ("press", "✔️ Done", "VietGAP: certificate number"),
    ("send", "VG-123 31/12/2027", "Growing-area code"),
    ("send", "VN-TN-001", "GTIN-13"),
    ("send", "8930000000019", "press “Save”"),
    ("press", "💾 Save", "is saved"),
]


def step_index(answer: str) -> int:
    """Where `answer` is given in PRODUCT_STEPS_EN."""
    return next(
        i for i, (_kind, value, _expected) in enumerate(PRODUCT_STEPS_EN) if value == answer
    )


@dataclass
class Chat:
    """One Telegram user in a private chat with the bot; every helper returns a Screen."""

    harness: E2E
    user: FakeUser

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def api(self) -> FakeBotAPI:
        return self.harness.api

    async def send(self, text: str) -> Screen:
        return await self.harness.answer(self.id, self.api.send_text(self.user, text))

    async def press(self, label: str, message: Output | None = None) -> Screen:
        """Presses `label` on `message`, by default the newest message that has it."""
        target = message if message is not None else self.newest_with(label)
        return await self.harness.answer(self.id, self.api.press(self.user, target, label))

    async def press_data(self, message: Output, data: str) -> Screen:
        return await self.harness.answer(self.id, self.api.press_data(self.user, message, data))

    async def contact(self, phone: str, *, own: bool = True) -> Screen:
        return await self.harness.answer(self.id, self.api.send_contact(self.user, phone, own=own))

    async def location(self, latitude: float, longitude: float) -> Screen:
        update = self.api.send_location(self.user, latitude, longitude)
        return await self.harness.answer(self.id, update)

    async def photo(self, data: bytes) -> Screen:
        return await self.harness.answer(self.id, self.api.send_photo(self.user, data))

    async def document(self, data: bytes, file_name: str, mime_type: str) -> Screen:
        update = self.api.send_document(self.user, data, file_name=file_name, mime_type=mime_type)
        return await self.harness.answer(self.id, update)

    def share_keys(self) -> list[str]:
        """The reply-keyboard keys (share phone / location) the user sees under the chat now.

        A reply keyboard stays until the bot removes it or sends another; this reads the
        bot's messages only, so it holds while the user has not tapped a key.
        """
        keys: list[str] = []
        for output in self.api.sent(self.id):
            markup = reply_keyboard(output) or {}
            if "keyboard" in markup:
                keys = button_texts(markup)
            elif markup.get("remove_keyboard"):
                keys = []
        return keys

    async def key(self, label: str) -> Screen:
        """Taps a key of the reply keyboard under the chat: Telegram sends its label as text."""
        assert label in self.share_keys(), f"no key {label!r} in {self.share_keys()}"
        return await self.send(label)

    def newest_with(self, label: str) -> Output:
        for output in reversed(self.api.sent(self.id)):
            if label in inline_buttons(output):
                return output
        raise AssertionError(f"no message in chat {self.id} has a button {label!r}")

    # --- longer paths that several tests walk -------------------------------

    async def start_in_english(self) -> Screen:
        """/start; a client in another language switches with the first answer's button."""
        screen = await self.send("/start")
        if "🇬🇧 English" in screen.buttons:
            screen = await self.press("🇬🇧 English")
            assert "English it is" in screen.text, screen
        assert "Welcome to OCOP Assistant" in screen.text, screen
        return screen

    async def register(self, name: str = "HTX Chè Tân Cương Xanh") -> Screen:
        """Registers a producer in English from the main menu, typing the phone number."""
        await self.press("📝 Register my OCOP entity")
        return await self.walk(
            [
                ("send", name, "What kind of entity"),
                ("press", "Cooperative", "Full name of the representative"),
                ("send", "Nguyễn Thị Hoa", "Contact phone number"),
                ("send", "0912 345 678", "Which province"),
                ("send", "Thai Nguyen", "Which commune"),
                ("send", "Tan Cuong", "Street address"),
                ("press", "⏭ Skip", "Share the location"),
                ("key", "⏭ Skip", "Tax code"),
                ("press", "⏭ Skip", "Show your phone number"),
                ("press", "Yes", "Your business's story"),
                ("press", "⏭ Skip", "press “Save”"),
                ("press", "💾 Save", "You're registered"),
            ]
        )

    async def walk(self, steps: list[Step]) -> Screen:
        """Answers steps one after another, checking what each answer brings up."""
        screen = Screen()
        for kind, value, expected in steps:
            if kind == "key":
                screen = await self.key(value)
            else:
                screen = await (self.send(value) if kind == "send" else self.press(value))
            assert expected in screen.text, f"after {kind} {value!r}, no {expected!r} in:\n{screen}"
        return screen

    async def add_product(self, name: str = PRODUCT_NAME) -> str:
        """Adds a complete-but-for-photos food product in English; returns its code."""
        await self.press("➕ New product")
        screen = await self.walk([("send", name, "Which product group?"), *PRODUCT_STEPS_EN[1:]])
        match = re.search(r"Product code: (\w+)", screen.text)
        assert match, screen
        return match[1]

    async def add_photos(self, seeds: range) -> Screen:
        """From the "created" screen or a product's photos screen: sends photos, then Done."""
        await self.press("📷 Add photos")
        for seed in seeds:
            screen = await self.photo(picture(seed))
            assert "saved" in screen.text, screen
        return await self.press("✔️ Done")


class _MarkingChannel(TelegramChannel):
    """The production channel, telling the harness when it is done with an update."""

    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        handled: Callable[[int], Awaitable[None]],
    ) -> None:
        super().__init__(settings, dispatcher)
        self.handled = handled

    async def handle_update(self, payload: Mapping[str, Any]) -> None:
        try:
            await super().handle_update(payload)
        finally:  # failed or ignored updates too
            await self.handled(int(payload["update_id"]))


@dataclass
class E2E:
    """The bot under test: fake Bot API, runtime and channel, restartable."""

    api: FakeBotAPI
    database_url: str
    media_dir: Path
    clock: Clock
    runtime: Runtime = field(init=False)
    channel: TelegramChannel = field(init=False)
    settings: Settings = field(init=False)
    running: bool = False
    starts: int = 0  # processes started so far: 1 + restarts
    _handled: set[int] = field(default_factory=set, repr=False)
    _progress: asyncio.Condition = field(default_factory=asyncio.Condition, repr=False)

    async def start(self) -> None:
        self.settings = load_settings(
            environ={
                "OCOP_DATABASE_URL": self.database_url,
                "OCOP_MEDIA_DIR": str(self.media_dir),
                "OCOP_TELEGRAM_TOKEN": self.api.token,
                "OCOP_TELEGRAM_API_URL": self.api.base_url,
                "OCOP_TELEGRAM_FILE_URL": self.api.file_base_url,
            }
        )
        if self.api.rate_limit is None:  # a fake without flood limits: none in the bot either
            self.settings = dataclasses.replace(self.settings, telegram_limits=UNLIMITED)
        self.runtime = await build_runtime(self.settings, migrate=False, clock=self.clock)
        self.channel = _MarkingChannel(self.settings, self.runtime.dispatcher, self._mark_handled)
        self.channel.poll_timeout = 1
        await self.channel.start()
        self.running = True
        self.starts += 1

    async def stop(self) -> None:
        if self.running:
            self.running = False
            await self.channel.stop()
            await self.runtime.close()

    async def restart(self) -> None:
        """What a redeploy does: stop the process's parts, build fresh ones on the same data."""
        await self.stop()
        await self.start()

    async def _mark_handled(self, update_id: int) -> None:
        async with self._progress:
            self._handled.add(update_id)
            self._progress.notify_all()

    async def handled(self, update: dict[str, Any]) -> None:
        """Waits until the bot has handled `update` and sent all its replies."""
        update_id = int(update["update_id"])
        try:
            async with asyncio.timeout(UPDATE_TIMEOUT), self._progress:
                await self._progress.wait_for(lambda: update_id in self._handled)
        except TimeoutError:
            raise AssertionError(
                f"update {update_id} not handled within {UPDATE_TIMEOUT}s; "
                f"{self.api.pending_update_count} update(s) not fetched; "
                f"last Bot API errors: {self.api.errors[-3:]}"
            ) from None

    async def answer(self, chat_id: int, update: dict[str, Any]) -> Screen:
        await self.handled(update)
        return Screen(await self.api.settle(chat_id, quiet=0))

    def chat(self, user_id: int, first_name: str = "Hoa", language: str | None = "en") -> Chat:
        return Chat(self, self.api.user(user_id, first_name, language))

    async def producer(self, user_id: int, name: str = "HTX Chè Tân Cương Xanh") -> Chat:
        """A user who chose English and registered `name`, at the main menu."""
        chat = self.chat(user_id)
        await chat.start_in_english()
        await chat.register(name)
        return chat

    async def product(self, code: str) -> Product:
        """The stored product, read straight from the database."""
        async with self.runtime.db.transaction() as session:
            product = await product_by_code(session, code)
        assert product is not None, f"no product {code}"
        return product

    async def product_count(self) -> int:
        async with self.runtime.db.transaction() as session:
            return int(await session.scalar(select(func.count()).select_from(Product)) or 0)


@pytest.fixture
async def bot(database_url: str, tmp_path: Path, clock: Clock) -> AsyncIterator[E2E]:
    async with FakeBotAPI() as api:
        harness = E2E(api, database_url, tmp_path / "media", clock)
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()


# --- pictures ----------------------------------------------------------------


def picture(seed: int, size: tuple[int, int] = (1000, 800), image_format: str = "JPEG") -> bytes:
    """A real image with distinct content per seed (so no two are duplicates)."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(50, 300), y + rng.randrange(50, 300)), fill=colour)
    out = io.BytesIO()
    image.save(out, image_format, **({"quality": 90} if image_format == "JPEG" else {}))
    return out.getvalue()


def oversized_jpeg(total_bytes: int) -> bytes:
    """A valid JPEG padded after its end marker to `total_bytes` (decoders ignore the tail)."""
    data = picture(999, (900, 900))
    return data + b"\0" * (total_bytes - len(data))


@pytest.fixture(autouse=True)
def _every_action_routed(every_action_routed: list[str]) -> None:
    """Each button a screen shows in these tests has a route (tests/actions.py)."""

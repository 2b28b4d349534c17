"""End-to-end fixtures on the Zalo Bot Platform: the real channel over HTTP against the
loopback fake (testkit/fake_zalo_bot.py), with the web app serving the file links.

The bot runs as in production: settings from config.toml and the environment,
`build_runtime`, `ZaloBotChannel` long-polling (one update per getUpdates, 408
when idle). A helper sends an update, waits until the channel has handled it
(its replies sent) and returns what the fake recorded for that chat since the
step before. After every test, every message the bot sent is checked: no text
over 2,000 characters, no buttons or keyboards, only text and photo URLs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import unused_port

from bot.channels.zalo_bot import ZaloBotChannel
from bot.channels.zalo_bot_sender import ZaloBotSender
from bot.config import SendLimits, Settings, load_settings
from bot.outbox.attachments import AttachmentStore
from bot.outbox.worker import OutboxWorker
from bot.runtime import Runtime, build_runtime
from bot.web import create_app
from testkit.fake_zalo_bot import FakeZaloBot, ZaloUser
from tests.conftest import Clock
from tests.e2e.conftest import PRODUCT_NAME, PRODUCT_STEPS_EN, Step

Output = dict[str, Any]
UNLIMITED = SendLimits(
    rate_per_second=1e6, per_chat_per_second=1e6, max_text=2000, max_caption=0, buttons=False
)
UPDATE_TIMEOUT = 15.0
ADMIN = "zadmin"
ALLOWED_KEYS = {"method", "chat_id", "text", "photo", "caption", "message_id"}
MENU_LINE = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


class Screen(list[Output]):
    @property
    def texts(self) -> list[str]:
        return [str(output.get("text") or "") for output in self]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    def __repr__(self) -> str:
        return "\n---\n".join(
            f"{o['method']}: {t!r}" for t, o in zip(self.texts, self, strict=True)
        )

    __str__ = __repr__


@dataclass
class ZaloChat:
    harness: ZaloE2E
    user: ZaloUser

    @property
    def id(self) -> str:
        return self.user.id

    async def send(self, text: str) -> Screen:
        return await self.harness.answer(self.id, await self.harness.api.send_text(self.user, text))

    async def photo(self, data: bytes) -> Screen:
        return await self.harness.answer(
            self.id, await self.harness.api.send_image(self.user, data)
        )

    async def sticker(self) -> Screen:
        return await self.harness.answer(self.id, await self.harness.api.send_sticker(self.user))

    def choice(self, label: str) -> str:
        """What to type for the entry `label` of the newest menu that has it: its number,
        or its /command for Back, Skip, Later, Cancel."""
        for output in reversed(self.harness.api.sent(self.id)):
            text = str(output.get("text") or "")
            for number, entry in MENU_LINE.findall(text):
                if entry == label:
                    return str(number)
            nav = re.search(rf"(/\w+) {re.escape(label)}(?: ·|$)", text, re.MULTILINE)
            if nav:
                return nav[1]
        raise AssertionError(f"no menu entry {label!r} in chat {self.id}")

    async def press(self, label: str) -> Screen:
        return await self.send(self.choice(label))

    async def walk(self, steps: list[Step]) -> Screen:
        screen = Screen()
        for kind, value, expected in steps:
            screen = await (self.send(value) if kind == "send" else self.press(value))
            assert expected in screen.text, f"after {kind} {value!r}, no {expected!r} in:\n{screen}"
        return screen

    async def start_in_english(self) -> Screen:
        screen = await self.send("/start")
        if "🇬🇧 English" in screen.text:
            screen = await self.press("🇬🇧 English")
        assert "Welcome to OCOP Assistant" in screen.text, screen
        return screen

    async def register(self, name: str = "HTX Chè Tân Cương Xanh") -> Screen:
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
                ("press", "⏭ Skip", "Tax code"),
                ("press", "⏭ Skip", "Show your phone number"),
                ("press", "Yes", "Your business's story"),
                ("press", "⏭ Skip", "press “Save”"),
                ("press", "💾 Save", "You're registered"),
            ]
        )

    async def add_product(self, name: str = PRODUCT_NAME) -> str:
        await self.press("➕ New product")
        screen = await self.walk([("send", name, "Which product group?"), *PRODUCT_STEPS_EN[1:]])
        match = re.search(r"Product code: (\w+)", screen.text)
        assert match, screen
        return match[1]


@dataclass
class ZaloE2E:
    api: FakeZaloBot
    database_url: str
    media_dir: Path
    clock: Clock
    web_port: int = field(default_factory=unused_port)
    runtime: Runtime = field(init=False)
    channel: ZaloBotChannel = field(init=False)
    settings: Settings = field(init=False)
    running: bool = False
    _handled: set[str] = field(default_factory=set, repr=False)
    _progress: asyncio.Condition = field(default_factory=asyncio.Condition, repr=False)
    _web: web.AppRunner | None = None

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def environ(self) -> dict[str, str]:
        return {
            "OCOP_DATABASE_URL": self.database_url,
            "OCOP_MEDIA_DIR": str(self.media_dir),
            "OCOP_ZALO_BOT_TOKEN": self.api.token,
            "OCOP_ZALO_BOT_API_URL": self.api.base_url,
            "OCOP_PUBLIC_URL": self.public_url,
            "OCOP_FILE_LINK_SECRET": "test-file-link-secret",
            "OCOP_ADMINS": f"zalo_bot:{ADMIN}",
        }

    async def start(self) -> None:
        settings = load_settings(environ=self.environ())
        zalo = dataclasses.replace(settings.zalo_bot, limits=UNLIMITED, poll_timeout=1)
        self.settings = dataclasses.replace(settings, zalo_bot=zalo)
        self.runtime = await build_runtime(self.settings, migrate=False, clock=self.clock)
        app = create_app(
            self.settings,
            self.runtime.db,
            self.runtime.app.catalogs,
            self.runtime.app.media,
            self.clock,
            cache_seconds=0,
            prerender=False,
        )
        self._web = web.AppRunner(app, access_log=None)
        await self._web.setup()
        await web.TCPSite(self._web, "127.0.0.1", self.web_port).start()
        self.channel = ZaloBotChannel(self.settings, self.runtime.dispatcher)
        self._watch(self.channel)
        await self.channel.connect()
        await self.channel.start_polling()
        self.running = True

    def _watch(self, channel: ZaloBotChannel) -> None:
        """Marks each update handled once the channel is done with it (replies sent)."""
        take = channel.take

        def watched(payload: Any) -> Any:
            task = take(payload)
            key = channel.update_key(payload) or ""
            if task is None:
                asyncio.get_running_loop().create_task(self._mark(key))
            else:
                task.add_done_callback(lambda _: asyncio.ensure_future(self._mark(key)))
            return task

        channel.take = watched  # type: ignore[method-assign]

    async def _mark(self, key: str) -> None:
        async with self._progress:
            self._handled.add(key)
            self._progress.notify_all()

    async def stop(self) -> None:
        if self.running:
            self.running = False
            await self.channel.stop()
            if self._web is not None:
                await self._web.cleanup()
            await self.runtime.close()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def answer(self, chat: str, update: dict[str, Any]) -> Screen:
        key = str(update["message"]["message_id"])
        try:
            async with asyncio.timeout(UPDATE_TIMEOUT), self._progress:
                await self._progress.wait_for(lambda: key in self._handled)
        except TimeoutError:
            raise AssertionError(
                f"update {key} not handled in {UPDATE_TIMEOUT}s; errors: {self.api.errors[-3:]}"
            ) from None
        return Screen(self.api.take_new(chat))

    def chat(self, user_id: str, name: str = "Hoa") -> ZaloChat:
        return ZaloChat(self, self.api.user(user_id, name))

    async def deliver(self) -> int:
        """One pass of the outbox worker through the Zalo Bot sender; returns messages sent."""
        sender = ZaloBotSender(
            self.channel.api,
            AttachmentStore(self.runtime.app.media),
            self.channel.links,
            self.settings.zalo_bot.limits,
        )
        worker = OutboxWorker(
            self.runtime.db,
            sender,
            self.settings,
            self.clock,
            catalogs=self.runtime.app.catalogs,
            worker_id="zalo-e2e",
        )
        return await worker.run_once()

    async def fetch(self, url: str) -> tuple[int, bytes, str]:
        """GETs a link the bot sent, from the running web app."""
        assert url.startswith(self.public_url), url
        async with aiohttp.ClientSession() as session, session.get(url) as answer:
            return answer.status, await answer.read(), answer.headers.get("Content-Type", "")


def check_every_output(api: FakeZaloBot) -> None:
    """What the user can see on Zalo: text up to 2,000 characters and photos by URL."""
    for output in api.outputs:
        assert output["method"] in ("sendMessage", "sendPhoto"), output
        assert set(output) <= ALLOWED_KEYS, f"more than text or a photo URL: {output}"
        assert 0 < len(output["text"]) <= 2000 or output["method"] == "sendPhoto", output
    assert not [e for e in api.errors if e["method"] in ("sendMessage", "sendPhoto")], api.errors


@pytest.fixture
async def zalo(database_url: str, tmp_path: Path, clock: Clock) -> AsyncIterator[ZaloE2E]:
    async with FakeZaloBot() as api:
        harness = ZaloE2E(api, database_url, tmp_path / "media", clock)
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()
        check_every_output(api)

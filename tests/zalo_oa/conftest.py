"""Zalo OA fixtures: the real channel, web app and outbox against the loopback fake.

`oa` runs what `ocop-bot run` starts for an Official Account (bot/cli.py's
`_start_zalo_oa`): tokens in the database, the webhook channel handled in
this process, the OA's outbox worker; and the web app on a real port. A
test POSTs signed events to /webhook/zalo_oa and reads what the fake
recorded. `oa.restart()` builds everything again on the same database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.webhook import InProcess
from bot.cli import ZaloOARunning, _start_zalo_oa, _stop_zalo_oa
from bot.config import SendLimits, Settings
from bot.core.channel_health import ChannelHealth
from bot.runtime import Runtime, build_runtime
from bot.web import create_app
from bot.web.webhooks import Webhooks
from testkit.fake_zalo_oa import FakeZaloOA, Sent
from tests.conftest import Clock

UNLIMITED = SendLimits(rate_per_second=1e6, per_chat_per_second=1e6, max_text=2000, max_caption=0)
ADMIN = "777000"  # a Telegram admin


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeZaloOA]:
    api = FakeZaloOA(clock=clock)
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
def oa_settings(settings: Settings, fake: FakeZaloOA) -> Settings:
    zalo = dataclasses.replace(
        settings.zalo_oa,
        api_url=fake.url,
        oauth_url=fake.url,
        app_id=fake.app_id,
        secret=fake.app_secret,
        webhook_secret=fake.oa_secret,
        refresh_token=fake.refresh_token,
        limits=UNLIMITED,
    )
    return dataclasses.replace(settings, zalo_oa=zalo, admins=(ADMIN,))


@dataclass
class OA:
    settings: Settings
    clock: Clock
    fake: FakeZaloOA
    runtime: Runtime = field(init=False)
    running: ZaloOARunning = field(init=False)
    health: ChannelHealth = field(init=False)
    handler: InProcess = field(init=False)
    client: TestClient[Any, Any] = field(init=False)
    _seen: dict[str, int] = field(default_factory=dict)

    async def start(self) -> None:
        self.runtime = await build_runtime(self.settings, migrate=False, clock=self.clock)
        self.health = ChannelHealth()
        self.running = await _start_zalo_oa(self.runtime, self.health)
        # Signatures are checked against the test's clock, as the fake signs with it.
        self.running.channel._wall_clock = lambda: self.clock().timestamp()
        # As `ocop-bot run` does: webhook updates handled in this process.
        self.handler = InProcess(self.runtime.dispatcher)
        webhooks = Webhooks(self.handler.receive)
        webhooks.add(self.running.channel)
        app = self.runtime.app
        web_app = create_app(
            self.settings,
            self.runtime.db,
            app.catalogs,
            app.media,
            self.clock,
            cache_seconds=0,
            channels=self.health,
            webhooks=webhooks,
        )
        self.client = TestClient(TestServer(web_app, host="127.0.0.1"))
        await self.client.start_server()

    async def stop(self) -> None:
        await self.client.close()
        await _stop_zalo_oa(self.running)
        await self.runtime.close()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        response = await self.client.post("/webhook/zalo_oa", data=body, headers=headers)
        await self.handler.drain()
        await self.running.channel.drain()
        return response.status

    async def send(self, event: str, user: str, **fields: Any) -> list[Sent]:
        """Posts a signed event from `user`; what the bot sent them in answer."""
        status = await self.post(*self.fake.event(event, user, **fields))
        assert status == 200
        return self.new(user)

    async def text(self, user: str, text: str) -> list[Sent]:
        return await self.send("user_send_text", user, text=text)

    async def tap(self, user: str, sent: Sent, label: str) -> list[Sent]:
        """Taps the button with this label: Zalo sends its payload as a hidden text."""
        button = next(b for b in sent.buttons if b["title"] == label)
        return await self.text(user, button["payload"])

    def new(self, user: str) -> list[Sent]:
        mine = self.fake.to(user)
        start = self._seen.get(user, 0)
        self._seen[user] = len(mine)
        return mine[start:]


@pytest.fixture
async def oa(oa_settings: Settings, clock: Clock, fake: FakeZaloOA) -> AsyncIterator[OA]:
    harness = OA(oa_settings, clock, fake)
    await harness.start()
    yield harness
    await harness.stop()


def assert_within_limits(fake: FakeZaloOA) -> None:
    """Nothing the bot sent broke Zalo's limits (the fake refuses what would)."""
    assert not [error for _, error in fake.refused if error == -201]
    for sent in fake.sent:
        assert len(sent.text) <= 2000
        assert len(sent.buttons) <= 5

"""Webhook mode in this process: the web app's POST /webhook/telegram stores updates in the
inbox, an InboxWorker handles them, replies go to the loopback fake Bot API."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.telegram import SECRET_HEADER, TelegramChannel
from bot.config import SendLimits, load_settings
from bot.inbox.intake import Intake
from bot.inbox.worker import InboxWorker
from bot.runtime import Runtime, build_runtime
from bot.web import create_app
from bot.web.webhooks import Webhooks
from testkit.fake_bot_api import FakeBotAPI
from tests.conftest import Clock

SECRET = "s3cret-for-tests_only"
PUBLIC_URL = "https://ocop.test"
UNLIMITED = SendLimits(rate_per_second=1e6, per_chat_per_second=1e6)


@dataclass
class WebhookBot:
    api: FakeBotAPI
    runtime: Runtime
    channel: TelegramChannel
    worker: InboxWorker
    client: TestClient[Any, Any]

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        response = await self.client.post("/webhook/telegram", json=update, headers=headers)
        return response.status


@pytest.fixture
async def webhook_bot(database_url: str, tmp_path: Path) -> AsyncIterator[WebhookBot]:
    async with FakeBotAPI() as api:
        settings = load_settings(
            environ={
                "OCOP_DATABASE_URL": database_url,
                "OCOP_MEDIA_DIR": str(tmp_path / "media"),
                "OCOP_TELEGRAM_TOKEN": api.token,
                "OCOP_TELEGRAM_API_URL": api.base_url,
                "OCOP_TELEGRAM_FILE_URL": api.file_base_url,
                "OCOP_PUBLIC_URL": PUBLIC_URL,
                "OCOP_WEBHOOK": "1",
                "OCOP_WEBHOOK_SECRET": SECRET,
            }
        )
        settings = dataclasses.replace(settings, telegram_limits=UNLIMITED)
        runtime = await build_runtime(settings, migrate=False)
        channel = TelegramChannel(settings, runtime.dispatcher)
        await channel.connect()
        worker = InboxWorker(runtime.db, runtime.dispatcher, {"telegram": channel}, settings.inbox)
        webhooks = Webhooks(Intake(runtime.db, worker.wake).receive)
        webhooks.add(channel)
        app = create_app(
            settings,
            runtime.db,
            runtime.app.catalogs,
            runtime.app.media,
            Clock(runtime.app.clock()),
            cache_seconds=0,
            prerender=False,
            webhooks=webhooks,
        )
        client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        await worker.start()
        try:
            yield WebhookBot(api, runtime, channel, worker, client)
        finally:
            await worker.stop()
            await client.close()
            await channel.close()
            await runtime.close()

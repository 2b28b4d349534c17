"""`ocop-bot run` as wired in bot/cli.py: the Zalo Bot channel alone, and beside Telegram,
each answering its own users; /readyz reports both."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import aiohttp

from bot.cli import _run
from bot.config import load_settings
from testkit.fake_bot_api import FakeBotAPI
from testkit.fake_zalo_bot import FakeZaloBot
from tests.conftest import Clock
from tests.zalo_bot.conftest import ZaloE2E


async def _ready(url: str) -> str:
    async with aiohttp.ClientSession() as session:
        for _ in range(150):
            await asyncio.sleep(0.1)
            try:
                async with session.get(f"{url}/readyz") as answer:
                    if answer.status == 200:
                        return await answer.text()
            except aiohttp.ClientConnectionError:
                continue
    raise AssertionError("never ready")


async def test_run_with_both_tokens_answers_on_telegram_and_on_zalo(
    database_url: str, tmp_path: Path, clock: Clock
) -> None:
    async with FakeZaloBot() as zalo_api, FakeBotAPI() as telegram_api:
        zalo = ZaloE2E(zalo_api, database_url, tmp_path / "media", clock)
        environ = {
            **zalo.environ(),
            "OCOP_TELEGRAM_TOKEN": telegram_api.token,
            "OCOP_TELEGRAM_API_URL": telegram_api.base_url,
            "OCOP_TELEGRAM_FILE_URL": telegram_api.file_base_url,
        }
        settings = load_settings(environ=environ)
        settings = dataclasses.replace(
            settings,
            web_port=zalo.web_port,
            zalo_bot=dataclasses.replace(settings.zalo_bot, poll_timeout=1),
            telegram_poll_timeout=1,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(_run(settings, False, stop))
        try:
            await _ready(zalo.public_url)
            telegram_api.send_text(telegram_api.user(4242, "Tam", "vi"), "/start")
            await zalo_api.send_text(zalo_api.user("z4242", "Tam"), "/start")
            await zalo_api.wait_for(1, within=20)
            on_telegram = await telegram_api.settle(4242, quiet=0.5)
            assert on_telegram and "OCOP" in (on_telegram[0]["text"] or "")
            assert "OCOP" in zalo_api.sent("z4242")[0]["text"]
            assert "1. " in zalo_api.sent("z4242")[0]["text"]  # numbered, not buttons
            assert zalo_api.calls.count("getMe") == 1
            assert "deleteWebhook" in zalo_api.calls  # polling: no webhook left behind
        finally:
            stop.set()
            await task

"""`ocop-bot run` with Telegram on the loopback fake Bot API: the bot's own polling loop
answers users, /readyz says ready, and a token revoked while it runs shows on /readyz."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import socket
from typing import Any

import aiohttp

from bot import cli
from bot.config import SendLimits, Settings
from testkit.fake_bot_api import FakeBotAPI

UNLIMITED = SendLimits(rate_per_second=1e6, per_chat_per_second=1e6)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def readyz(http: aiohttp.ClientSession, base: str) -> tuple[int, dict[str, Any]]:
    try:
        async with http.get(base + "/readyz") as response:
            return response.status, await response.json()
    except aiohttp.ClientConnectionError:
        return 0, {}


async def test_run_polls_answers_and_reports_a_revoked_token(settings: Settings) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with FakeBotAPI() as api:
        settings = dataclasses.replace(
            settings,
            telegram_token=api.token,
            telegram_api_url=api.base_url,
            telegram_file_url=api.file_base_url,
            telegram_poll_timeout=1,
            telegram_limits=UNLIMITED,
            web_port=port,
            public_url=base,
        )
        stop = asyncio.Event()
        run = asyncio.create_task(cli._run(settings, demo=False, stop=stop))
        try:
            async with aiohttp.ClientSession() as http, asyncio.timeout(20):
                while (await readyz(http, base))[0] != 200:  # noqa: ASYNC110 - polls the web app
                    await asyncio.sleep(0.1)
                lan = api.user(7001, "Lan", "vi")
                api.send_text(lan, "/start")
                welcome = await api.replies(7001, timeout=10)
                assert welcome[0]["text"]  # answered through getUpdates and sendMessage
                api.token = "123456:REVOKED"  # BotFather revoked it: 401 from now on
                while (status_body := await readyz(http, base))[0] == 200:  # noqa: ASYNC110 - polls the web app
                    await asyncio.sleep(0.1)
            status, body = status_body
            assert status == 503
            assert body["checks"]["channel:telegram"] == "token rejected"
            assert not run.done()  # the web app and the rest stay up
        finally:
            stop.set()
            await run


def test_a_started_process_takes_its_start_up_heap_out_of_collections() -> None:
    """`ocop-bot run` and `work`, once started, freeze what start-up built: later full
    collections walk only what updates made since, and the young generation is
    collected far less often than CPython's default."""
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        cli._settle_heap()
        assert gc.get_freeze_count() > 10_000  # the modules, the ORM, the catalogs
        assert gc.get_count()[0] < 100  # and what was garbage went first
        assert gc.get_threshold() == cli.GC_THRESHOLDS
        assert cli.GC_THRESHOLDS[0] > 10 * 700
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)

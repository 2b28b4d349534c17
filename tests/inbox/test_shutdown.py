"""SIGTERM in webhook mode, on a real process: nothing new is taken, the updates in hand
are finished (their replies sent), and the process exits 0 within the 10 s grace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage import inbox
from storage.db import Database
from storage.models import InboxUpdate
from testkit.fake_bot_api import FakeBotAPI
from testkit.webhook_processes import BotProcess

SLOW = 2.0  # seconds each sendMessage takes: the replies are in flight at SIGTERM


class SlowBotAPI(FakeBotAPI):
    async def _send_message(self, params: Any, uploads: Any) -> Any:
        await asyncio.sleep(SLOW)
        return await super()._send_message(params, uploads)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def statuses(db: Database) -> dict[str, str]:
    async with db.read() as session:
        rows = await session.execute(select(InboxUpdate.update_key, InboxUpdate.status))
        return {key: status for key, status in rows}


async def test_sigterm_finishes_the_updates_in_hand_takes_no_more_and_exits_0(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    async with SlowBotAPI() as api:
        bot = BotProcess(api, database_url, tmp_path, workers=0)
        try:
            await bot.start()
            lan, hoa = api.user(301, "Lan", "vi"), api.user(302, "Hoa", "vi")
            in_hand = [api.send_text(lan, "/start"), api.send_text(hoa, "/start")]
            waiting = api.send_text(lan, "/register")  # behind Lan's /start
            for update in [*in_hand, waiting]:
                assert await bot.post(update) == 200
            keys = [str(update["update_id"]) for update in in_hand]
            async with asyncio.timeout(30):
                while [(await statuses(db)).get(key) for key in keys] != [inbox.SENDING] * 2:  # noqa: ASYNC110 - polls the database
                    await asyncio.sleep(0.05)

            started = time.monotonic()
            assert await bot.terminate(timeout=15) == 0
            assert time.monotonic() - started < 10 + 2  # the grace, and the exit itself

            rows = await statuses(db)
            assert [rows[key] for key in keys] == [inbox.SENT, inbox.SENT]
            assert rows[str(waiting["update_id"])] == inbox.PENDING  # left for the next start
            assert "Trợ lý OCOP" in api.sent(lan.id)[0]["text"]
            assert "Trợ lý OCOP" in api.sent(hoa.id)[0]["text"]
        finally:
            await bot.close()

"""Several worker processes on one PostgreSQL database, as a province runs them:
`ocop-bot run --webhook --workers 3`, updates POSTed concurrently, some twice, one worker
killed with SIGKILL half-way. Every update is handled once, each chat's replies arrive in
order and none twice, and no conversation is split in two.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from storage import inbox
from testkit.fake_bot_api import FakeBotAPI, FakeUser, button_texts
from testkit.webhook_processes import SCRIPT, BotProcess
from tests.conftest import _asyncpg_dsn
from tests.helpers import POSTGRESQL_ONLY

CHATS = 500
TWICE = 0.1  # the share of updates delivered a second time
Seen = tuple[str, tuple[str, ...]]  # a message as the user sees it: text, buttons


def seen(output: dict[str, Any]) -> Seen:
    return (output.get("text") or output.get("caption") or "", tuple(button_texts(output)))


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


async def query(url: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


async def finished(url: str) -> int:
    """Rows whose replies are sent, or "unknown" (their worker was killed sending them)."""
    rows = await query(url, "SELECT count(*) FROM inbox WHERE status IN ('sent', 'unknown')")
    return int(rows[0][0])


async def until(url: str, count: int, timeout: float) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while await finished(url) < count:  # noqa: ASYNC110 - polls the database
            await asyncio.sleep(0.25)


def matches(got: list[Seen], expected: list[list[Seen]], cut: list[bool]) -> bool:
    """`got` is each update's expected replies in order; an update whose sending was cut
    (its worker killed mid-send: "unknown") may have lost a tail of its own replies."""
    if not expected:
        return not got
    head, rest = expected[0], expected[1:]
    lengths = range(len(head), -1, -1) if cut[0] else [len(head)]
    return any(got[:n] == head[:n] and matches(got[n:], rest, cut[1:]) for n in lengths)


@POSTGRESQL_ONLY
async def test_three_workers_one_killed_every_update_once_and_in_order(
    api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(api, database_url, tmp_path, workers=3, lease_seconds=5)
    try:
        await bot.start()
        # What one user alone sees, update by update: what every chat must see.
        alone = api.user(1_000, "Lan", "vi")
        reference: list[list[Seen]] = []
        for number, text in enumerate(SCRIPT, start=1):
            assert await bot.post(api.send_text(alone, text)) == 200
            await until(database_url, number, 60)
            reference.append([seen(output) for output in await api.settle(alone.id, quiet=0)])
        assert all(reference), reference

        users = [api.user(2_000 + n, "Lan", "vi") for n in range(CHATS)]
        keys: dict[int, list[str]] = {user.id: [] for user in users}
        chance = random.Random(11)

        async def talk(user: FakeUser) -> None:
            for text in SCRIPT:
                update = api.send_text(user, text)
                keys[user.id].append(str(update["update_id"]))
                deliveries = 2 if chance.random() < TWICE else 1
                # A redelivery comes at the same moment as the first, as after a timeout.
                answers = await asyncio.gather(*(bot.post(update) for _ in range(deliveries)))
                assert answers == [200] * deliveries

        async def kill_one_half_way() -> int:
            total = 1 + CHATS * len(SCRIPT)
            while await finished(database_url) < total / 2:  # noqa: ASYNC110 - polls the database
                await asyncio.sleep(0.25)
            victim = bot.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            return victim

        killer = asyncio.create_task(kill_one_half_way())
        await asyncio.gather(*(talk(user) for user in users))
        await until(database_url, (1 + CHATS) * len(SCRIPT), 600)
        stored = await query(database_url, "SELECT update_key, status FROM inbox")
        rows = {row["update_key"]: row["status"] for row in stored}
        assert killer.done()
        assert killer.result() not in bot.worker_pids()  # a new worker took its place

        # Each update stored once, handled once: every row finished, none left behind.
        assert len(rows) == (1 + CHATS) * len(SCRIPT)
        lost = [key for key, status in rows.items() if status == inbox.UNKNOWN]
        assert len(lost) <= bot.concurrency  # at most what the killed worker was sending
        for user in users:
            got = [seen(output) for output in api.sent(user.id)]
            cut = [rows[key] == inbox.UNKNOWN for key in keys[user.id]]
            assert matches(got, reference, cut), (user.id, got)

        counted = await query(
            database_url,
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM conversations)",
        )
        # One user and one conversation per chat (the conversation's key is the chat).
        assert tuple(counted[0]) == (1 + CHATS, 1 + CHATS)
        assert await bot.terminate() == 0
    finally:
        await bot.close()

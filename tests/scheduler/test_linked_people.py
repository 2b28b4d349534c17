"""Reminders of a person with two linked accounts: planned once, sent once, where they should go."""

from __future__ import annotations

import pytest

from bot.runtime import Runtime
from bot.scheduler import SchedulerService, plans, verdicts
from storage import audience
from storage.models import OutboxMessage
from tests.conftest import Clock
from tests.helpers import Chat
from tests.people.conftest import account, console, new_code, queued
from tests.scheduler.conftest import add_training, officer, producer

# The console stands in for a second channel the outbox can deliver to (Zalo).
TWO_CHANNELS = ("telegram", "console")


@pytest.fixture(autouse=True)
def _console_deliverable(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (audience, plans, verdicts):
        monkeypatch.setattr(module, "DELIVERABLE_CHANNELS", TWO_CHANNELS)


def reminders(rows: list[OutboxMessage]) -> list[tuple[str, str]]:
    return [(row.channel, row.chat_id) for row in rows if row.kind == "reminder"]


async def test_an_invitation_goes_once_to_the_channel_used_last_then_to_the_chosen_one(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    await producer(runtime, clock, "5001", language="en")
    hoa = Chat(runtime, user_id="5001")
    other = console(runtime)
    await other.say(f"/link {await new_code(hoa)}")
    assert "✅ Linked" in other.text
    minh = await officer(runtime, "9001")

    await add_training(runtime, clock, minh, capacity=5)
    await scheduler.run_once()
    assert reminders(await queued(runtime)) == [("console", "local")]  # used last, once

    # The invitation's buttons answer for the person, from the account it reached.
    [row] = [row for row in await queued(runtime) if row.kind == "reminder"]
    await other.callback(f"n:{row.id}:0")  # ✅ Going
    assert "Noted: you are going" in other.text

    await other.say("/notices")
    await other.press("📬 Send to Telegram")
    await add_training(runtime, clock, minh, capacity=5)
    await scheduler.run_once()
    assert reminders(await queued(runtime)) == [("console", "local"), ("telegram", "5001")]


async def test_a_blocked_account_chosen_for_reminders_gets_none(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    await producer(runtime, clock, "5001", language="en")
    hoa = Chat(runtime, user_id="5001")
    other = console(runtime)
    await other.say(f"/link {await new_code(hoa)}")
    blocked = await account(runtime, "console", "local")
    async with runtime.db.transaction() as session:
        row = await session.get(type(blocked), blocked.id)
        assert row is not None
        row.blocked_at = clock()
    minh = await officer(runtime, "9001")

    await add_training(runtime, clock, minh, capacity=5)
    await scheduler.run_once()
    assert reminders(await queued(runtime)) == []  # never to Telegram as well, nor twice

"""A linked person's notices go once, to the channel they used last or chose in /notices."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from bot.config import SendLimits
from bot.outbox.sender import Outcome, Outgoing
from bot.outbox.worker import OutboxWorker
from bot.runtime import Runtime
from storage import audience as audiences
from storage import outbox
from storage.audience import Audience, recipients
from storage.models import User
from tests.conftest import Clock
from tests.helpers import Chat, make_user
from tests.outbox.conftest import queue
from tests.people.conftest import account, console, new_code, queued


async def notify(runtime: Runtime, external_id: str = "1001") -> None:
    """Queues one notice to the person of Telegram user `external_id`, as a handler does."""
    async with runtime.db.transaction() as session:
        user = await session.scalar(
            select(User).where(User.channel == "telegram", User.external_id == external_id)
        )
        assert user is not None
        await outbox.enqueue(session, user, outbox.payload("Sản phẩm đã được duyệt"))


async def linked(runtime: Runtime) -> tuple[Chat, Chat]:
    """Hoa, a producer on Telegram, who then linked the console (used last)."""
    hoa = Chat(runtime, user_id="1001", language="en")
    await make_user(runtime, hoa)
    other = console(runtime)
    await other.say(f"/link {await new_code(hoa)}")
    assert "✅ Linked" in other.text
    return hoa, other


async def test_each_notice_goes_once_to_the_channel_used_last(runtime: Runtime) -> None:
    hoa, _other = await linked(runtime)
    console_id = (await account(runtime, "console", "local")).id
    telegram_id = (await account(runtime, "telegram", "1001")).id

    await notify(runtime)
    rows = await queued(runtime)
    assert [(r.channel, r.chat_id, r.user_id) for r in rows] == [("console", "local", console_id)]

    await hoa.say("/menu")  # back on Telegram
    await notify(runtime)
    rows = await queued(runtime)
    assert [(r.channel, r.user_id) for r in rows[1:]] == [("telegram", telegram_id)]


async def test_a_channel_chosen_in_notices_is_kept_whatever_was_used_last(
    runtime: Runtime,
) -> None:
    _hoa, other = await linked(runtime)
    await other.say("/notices")
    assert "Notices and reminders go to the app you used last (now the console)" in other.text
    await other.press("📬 Send to Telegram")
    assert "Done: notices and reminders will go to Telegram." in other.text

    await other.say("/menu")  # the console is used last, Telegram stays chosen
    await notify(runtime)
    assert [r.channel for r in await queued(runtime)] == ["telegram"]

    await other.say("/notices")
    assert "Notices and reminders go to: Telegram." in other.text
    await other.press("📬 Send to the app I used last")
    assert "(now the console)" in other.text
    await notify(runtime)
    assert [r.channel for r in await queued(runtime)] == ["telegram", "console"]


async def test_notices_screen_offers_no_channel_choice_to_a_single_account(
    runtime: Runtime,
) -> None:
    hoa = Chat(runtime, user_id="1001", language="en")
    await make_user(runtime, hoa)
    await hoa.say("/notices")
    assert "Send to" not in " ".join(b.label for r in hoa.screen for row in r.buttons for b in row)
    assert "go to" not in hoa.text


async def test_a_notice_button_works_from_the_account_it_was_sent_to(runtime: Runtime) -> None:
    _hoa, other = await linked(runtime)
    async with runtime.db.transaction() as session:
        user = await session.scalar(select(User).where(User.external_id == "1001"))
        assert user is not None
        row = await outbox.enqueue(
            session, user, outbox.payload("Xem hồ sơ", [[("Hồ sơ", "profile")]])
        )
        assert row is not None and row.channel == "console"
    await other.callback(f"n:{row.id}:0")
    assert "HTX 1001" in other.text  # the person's profile, not "out of date"


async def test_a_broadcast_reaches_each_person_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two channels the outbox can deliver to (the console stands in for Zalo here).
    monkeypatch.setattr(audiences, "DELIVERABLE_CHANNELS", ("telegram", "console"))
    hoa, _other = await linked(runtime)
    lan = Chat(runtime, user_id="1002", language="en")
    await make_user(runtime, lan)
    primary = (await account(runtime, "telegram", "1001")).id
    console_id = (await account(runtime, "console", "local")).id
    async with runtime.db.transaction() as session:
        rows = list(await session.execute(recipients(Audience(essential=True))))
    by_person = {row[0]: (row[1], row[2], row[4]) for row in rows}
    assert len(rows) == 2  # Hoa once, Lan once
    assert by_person[primary] == ("console", "local", console_id)

    await hoa.say("/menu")
    async with runtime.db.transaction() as session:
        rows = list(await session.execute(recipients(Audience(essential=True))))
    assert {row[0]: row[1] for row in rows}[primary] == "telegram"


class ZaloSender:
    """A stand-in sender of another channel: the worker must pace it with that channel's limits."""

    channel = "zalo_bot"

    async def send(self, chat_id: str, message: Outgoing) -> Outcome:
        return Outcome.sent("1")

    async def edit(self, chat_id: str, message_id: str, text: str, buttons: object) -> Outcome:
        return Outcome.sent(message_id)


async def test_each_channels_worker_paces_with_that_channels_limits(runtime: Runtime) -> None:
    zalo = dataclasses.replace(runtime.settings.zalo_bot, limits=SendLimits(rate_per_second=5))
    settings = dataclasses.replace(runtime.settings, zalo_bot=zalo)
    worker = OutboxWorker(runtime.db, ZaloSender(), settings)
    assert worker.limiter.interval == pytest.approx(1 / 5)
    telegram = dataclasses.replace(settings, telegram_limits=SendLimits(rate_per_second=20))
    assert settings.send_limits("zalo_bot").rate_per_second == 5
    assert telegram.send_limits("telegram").rate_per_second == 20


async def test_opting_out_on_one_app_drops_a_queued_broadcast_sent_to_the_other(
    runtime: Runtime, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audiences, "DELIVERABLE_CHANNELS", ("telegram", "console"))
    hoa, _other = await linked(runtime)
    broadcast = await queue(runtime, clock, Audience())  # not essential; to the console
    [row] = [r for r in await queued(runtime) if r.broadcast_id == broadcast.id]
    assert row.channel == "console"

    await hoa.say("/notices")  # on Telegram: the person's choice
    await hoa.press("🔕 Turn off non-essential notices")
    async with runtime.db.transaction() as session:
        leased = await outbox.lease(
            session,
            worker="w",
            channel="console",
            now=clock(),
            until=clock() + dt.timedelta(minutes=1),
            limit=10,
        )
    assert leased == []
    [row] = [r for r in await queued(runtime) if r.broadcast_id == broadcast.id]
    assert row.status == outbox.DROPPED

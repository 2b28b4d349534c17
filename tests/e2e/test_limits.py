"""Replies under Telegram's flood limits, end to end: the fake Bot API answers 429 with
retry_after past 30 messages/s for the bot or 1 message/s for one chat, as Telegram does.

Many people at once (and a broadcast beside them) must each get every reply, in order,
none twice; the bot's limiter paces the sends instead of firing them into 429s.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.telegram_sender import TelegramSender
from bot.outbox.attachments import AttachmentStore
from bot.outbox.worker import OutboxWorker
from storage.audience import Audience
from storage.models import User
from storage.producers import save_producer
from storage.users import get_or_create_user
from testkit.fake_bot_api import FakeBotAPI, RateLimit
from tests.conftest import Clock
from tests.e2e import conftest as e2e_conftest
from tests.e2e.conftest import E2E, Chat, inline_buttons
from tests.helpers import PRODUCER_FIELDS
from tests.outbox.conftest import THAI_NGUYEN, queue, statuses

TELEGRAM = RateLimit(global_per_second=30, per_chat_per_second=1)
RATE = 30.0  # config.toml's [telegram.limits], the same as the fake's
NAME = "HTX Chè Tân Cương Xanh"
REGISTER = "📝 Đăng ký chủ thể OCOP"
Transcript = list[tuple[str, tuple[str, ...]]]


@pytest.fixture(autouse=True)
def _crowds_wait_in_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """An update's reply waits behind the crowd's (at 30/s, on a busy machine slower): the
    harness's hang guard gets room for that."""
    monkeypatch.setattr(e2e_conftest, "UPDATE_TIMEOUT", 120.0)


@pytest.fixture
async def bot(database_url: str, tmp_path: Path, clock: Clock) -> AsyncIterator[E2E]:
    async with FakeBotAPI(rate_limit=TELEGRAM) as api:
        harness = E2E(api, database_url, tmp_path / "media", clock)
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()


async def first_minute(chat: Chat) -> None:
    """/start, then three answers: "register" on the welcome menu, a typed name, then the
    first kind of entity offered."""
    screen = await chat.send("/start")
    await chat.press(REGISTER, screen.last)
    screen = await chat.send(NAME)
    await chat.press(inline_buttons(screen.last)[0], screen.last)


def transcript(bot: E2E, chat: Chat) -> Transcript:
    """Everything the user saw, in order: texts and their buttons."""
    return [
        (output.get("text") or output.get("caption") or "", tuple(inline_buttons(output)))
        for output in bot.api.sent(chat.id)
    ]


async def reference(bot: E2E) -> Transcript:
    """What one user alone sees: the transcript everyone in the crowd must get too."""
    alone = bot.chat(700_000, "Lan", language="vi")
    await first_minute(alone)
    seen = transcript(bot, alone)
    assert "Trợ lý OCOP" in seen[0][0] and REGISTER in seen[0][1], seen
    assert any("Tên chủ thể OCOP" in text for text, _buttons in seen), seen
    return seen


async def test_a_crowd_starting_at_once_gets_every_reply_in_order(bot: E2E) -> None:
    expected = await reference(bot)
    crowd = [bot.chat(800_000 + n, f"Người {n}", language="vi") for n in range(80)]
    started = time.monotonic()
    await asyncio.gather(*(first_minute(chat) for chat in crowd))
    elapsed = time.monotonic() - started

    for chat in crowd:
        assert transcript(bot, chat) == expected, chat.id
    assert bot.api.rejected_429 == 0  # paced under both limits, not fired into 429s
    messages = len(crowd) * len(expected)
    assert elapsed >= (messages - 3) / RATE  # no faster than the limit allows (burst 3)


async def test_tapping_the_language_right_after_start_gets_the_answer(bot: E2E) -> None:
    chat = bot.chat(810_001, "Hoa", language="vi")
    welcome = await chat.send("/start")
    # The tap goes out the moment the welcome arrives: its answer falls within
    # Telegram's one message a second for this chat, and is held, not refused.
    screen = await chat.press("🇬🇧 English", welcome.last)
    assert "English it is" in screen.text, screen
    assert "Welcome to OCOP Assistant" in screen.text, screen
    assert screen.buttons, screen  # the main menu, ready to use
    assert bot.api.rejected_429 == 0


async def test_a_crowd_during_a_broadcast_gets_every_reply_and_the_broadcast_loses_nothing(
    bot: E2E, clock: Clock
) -> None:
    expected = await reference(bot)
    recipients = [str(900_000 + n) for n in range(200)]
    async with bot.runtime.db.transaction() as session:
        for chat_id in recipients:
            bot.api.user(int(chat_id), "HTX")
            user = await get_or_create_user(session, "telegram", chat_id, "HTX")
            await save_producer(session, user.id, {**PRODUCER_FIELDS, "name": f"HTX {chat_id}"})
    channel = bot.channel
    limiter = channel.limiter  # the bot token's one limiter, as bot/cli.py wires it
    sender = TelegramSender(channel.bot, AttachmentStore(bot.runtime.app.media), limiter)
    worker = OutboxWorker(
        bot.runtime.db,
        sender,
        bot.settings,
        clock,
        catalogs=bot.runtime.app.catalogs,
        limiter=limiter,
    )
    sent = await queue(bot.runtime, clock, Audience(province=THAI_NGUYEN))
    await worker.start()
    try:
        under_way = recipients.pop(29)
        await bot.api.replies(int(under_way), timeout=60)  # the broadcast is under way
        crowd = [bot.chat(820_000 + n, f"Người {n}", language="vi") for n in range(50)]
        await asyncio.gather(*(first_minute(chat) for chat in crowd))
        for chat_id in recipients:  # every recipient's message, however long it takes
            await bot.api.replies(int(chat_id), timeout=120)
    finally:
        await worker.stop()

    for chat in crowd:
        assert transcript(bot, chat) == expected, chat.id
    recipients.append(under_way)
    delivered = Counter(int(output["chat_id"]) for output in bot.api.sent())
    assert {chat: delivered[int(chat)] for chat in recipients} == dict.fromkeys(recipients, 1)
    assert await statuses(bot.runtime, sent.id) == {"sent": len(recipients)}
    assert bot.api.rejected_429 == 0


async def test_a_503_is_sent_again_and_a_reply_lost_in_a_gateway_is_not(bot: E2E) -> None:
    chat = bot.chat(830_001, "Hoa", language="vi")
    bot.api.fail_next(chat.id, 503, times=2)  # "not handled", twice
    welcome = await chat.send("/start")
    assert "Trợ lý OCOP" in welcome.text, welcome
    assert len(bot.api.sent(chat.id)) == 1  # arrived once, on the third try

    # The answer is delivered but Telegram's reply to the bot is lost (502): it may
    # have arrived, so it is not sent again.
    bot.api.fail_next(chat.id, 502, delivered=True)
    screen = await chat.press("🇬🇧 English", welcome.last)
    assert "English it is" in screen.texts[0], screen
    assert len(set(screen.texts)) == len(screen.texts), screen  # nothing twice
    assert bot.api.faults_served == 3


async def test_a_user_who_blocked_the_bot_is_recorded_and_not_sent_to_again(bot: E2E) -> None:
    chat = bot.chat(830_002, "Hoa", language="vi")
    await chat.send("/start")
    update = bot.api.send_text(chat.user, "/help")
    bot.api.block(chat.id, notify=False)  # right after writing, before the answer
    await bot.handled(update)
    assert bot.api.blocked_attempts == 1  # one 403, no retry
    async with bot.runtime.db.transaction() as session:
        user = await session.scalar(select(User).where(User.external_id == str(chat.id)))
    assert user is not None and user.blocked_at is not None  # out of audiences from now on

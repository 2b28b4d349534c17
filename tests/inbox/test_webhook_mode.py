"""Webhook mode end to end in one process: the secret is checked, every update is stored
and answered 200 at once, handled once however often it is delivered, in each chat's order."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest
from sqlalchemy import func, select

from bot.channels.telegram import SECRET_HEADER, TelegramChannel
from storage import inbox
from storage.models import Conversation, InboxUpdate
from tests.inbox.conftest import PUBLIC_URL, SECRET, WebhookBot


async def rows(bot: WebhookBot) -> list[tuple[str, str]]:
    async with bot.runtime.db.read() as session:
        result = await session.execute(
            select(InboxUpdate.update_key, InboxUpdate.status).order_by(InboxUpdate.id)
        )
        return [(key, status) for key, status in result]


async def until_answered(bot: WebhookBot, count: int) -> None:
    async with asyncio.timeout(30):
        while [status for _key, status in await rows(bot)].count(inbox.SENT) < count:  # noqa: ASYNC110 - polls the database
            await asyncio.sleep(0.05)


async def test_registering_the_webhook_sends_the_url_and_the_secret(
    webhook_bot: WebhookBot,
) -> None:
    await webhook_bot.channel.register_webhook(f"{PUBLIC_URL}/webhook/telegram")
    assert webhook_bot.api.webhook_url == "https://ocop.test/webhook/telegram"
    calls = [params for method, params in webhook_bot.api.requests if method == "setWebhook"]
    assert calls[-1]["secret_token"] == SECRET


@pytest.mark.parametrize("secret", [None, "wrong", SECRET + "x"])
async def test_a_request_without_the_right_secret_is_refused_and_changes_nothing(
    webhook_bot: WebhookBot, secret: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    user = webhook_bot.api.user(501, "Lan")
    update = webhook_bot.api.send_text(user, "/start")
    with caplog.at_level(logging.WARNING):
        assert await webhook_bot.post(update, secret) == 403
    assert await rows(webhook_bot) == []
    assert "refused a request without the right secret" in caplog.text
    assert SECRET not in caplog.text
    await asyncio.sleep(0.3)
    assert webhook_bot.api.sent(501) == []


async def test_an_update_delivered_three_times_is_answered_once(webhook_bot: WebhookBot) -> None:
    user = webhook_bot.api.user(502, "Lan")
    update = webhook_bot.api.send_text(user, "/start")
    statuses = await asyncio.gather(*(webhook_bot.post(update) for _ in range(3)))
    assert statuses == [200, 200, 200]
    await until_answered(webhook_bot, 1)
    welcome = await webhook_bot.api.settle(502)
    assert "Trợ lý OCOP" in welcome[0]["text"]
    await webhook_bot.post(update)  # later still: the row is there, nothing happens
    await asyncio.sleep(0.3)
    assert webhook_bot.api.sent(502) == welcome
    assert await rows(webhook_bot) == [(str(update["update_id"]), inbox.SENT)]


async def test_a_chats_updates_are_answered_in_order_and_chats_side_by_side(
    webhook_bot: WebhookBot,
) -> None:
    api = webhook_bot.api
    users = [api.user(600 + n, f"Người {n}") for n in range(6)]
    script = ["/start", "/register", "HTX Một", "/cancel"]
    alone = api.user(599, "Người")
    for text in script:  # one user alone, each update answered before the next
        await webhook_bot.post(api.send_text(alone, text))
        await until_answered(webhook_bot, script.index(text) + 1)
    expected = [output["text"] for output in api.sent(599)]

    async def talk(user_index: int) -> None:
        for text in script:  # each posted at once, not waiting for the answer
            assert await webhook_bot.post(api.send_text(users[user_index], text)) == 200

    await asyncio.gather(*(talk(n) for n in range(len(users))))
    await until_answered(webhook_bot, len(script) * (len(users) + 1))
    for user in users:
        assert [output["text"] for output in api.sent(user.id)] == expected
    async with webhook_bot.runtime.db.read() as session:
        conversations = await session.scalar(select(func.count()).select_from(Conversation))
    assert conversations == len(users) + 1


async def test_a_pressed_button_is_answered_and_its_spinner_stopped(
    webhook_bot: WebhookBot,
) -> None:
    api = webhook_bot.api
    user = api.user(700, "Lan")
    await webhook_bot.post(api.send_text(user, "/start"))
    await until_answered(webhook_bot, 1)
    welcome = await api.settle(700)
    await webhook_bot.post(api.press(user, welcome[-1], "🇬🇧 English"))
    await until_answered(webhook_bot, 2)
    screen = await api.settle(700)
    assert "English it is" in screen[0]["text"]
    assert len(api.callback_answers) == 1  # the button's spinner stopped


async def test_without_a_configured_secret_each_start_draws_its_own(
    webhook_bot: WebhookBot,
) -> None:
    settings = dataclasses.replace(webhook_bot.runtime.settings, webhook_secret=None)
    first, second = (TelegramChannel(settings, webhook_bot.runtime.dispatcher) for _ in "12")
    await first.connect()
    try:
        await first.register_webhook(f"{PUBLIC_URL}/webhook/telegram")
    finally:
        await first.close()
    drawn = [p for method, p in webhook_bot.api.requests if method == "setWebhook"][-1]
    secret = drawn["secret_token"]
    assert len(secret) >= 32 and secret != SECRET
    assert first.authentic({SECRET_HEADER: secret}, b"{}")
    assert not second.authentic({SECRET_HEADER: secret}, b"{}")  # another start, another one
    assert not first.authentic({}, b"{}")


async def test_a_stored_update_the_bot_does_not_take_is_settled_not_retried(
    webhook_bot: WebhookBot,
) -> None:
    # Another bot's message: stored by an older intake, say. It must not block the chat.
    update = {
        "update_id": 42,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 801, "type": "private"},
            "from": {"id": 801, "is_bot": True, "first_name": "Bot"},
            "text": "hello",
        },
    }
    async with webhook_bot.runtime.db.transaction() as session:
        await inbox.store(session, "telegram", "42", "801", update)
    webhook_bot.worker.wake()
    await until_answered(webhook_bot, 1)
    assert webhook_bot.api.sent(801) == []

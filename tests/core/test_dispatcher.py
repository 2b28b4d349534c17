"""The dispatcher: first contact, numbered menus, stale buttons, errors, and racing workers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re

import pytest
from sqlalchemy import text as sa_text

from bot.core.context import Context
from bot.core.types import Capabilities, Reply
from bot.runtime import Runtime, build_runtime
from tests.conftest import Clock
from tests.helpers import (
    CONSOLE,
    TELEGRAM,
    Chat,
    conversation,
    labels,
    make_user,
    text_of,
)

CHANNELS = pytest.mark.parametrize("caps", [CONSOLE, TELEGRAM], ids=["console", "telegram"])


# --- first contact and language ------------------------------------------


WELCOME_BUTTONS_VI = [
    "🔎 Tra cứu sản phẩm",
    "📝 Đăng ký chủ thể OCOP",
    "🌐 Ngôn ngữ",
    "❓ Hướng dẫn",
]


@CHANNELS
async def test_first_contact_answers_in_vietnamese_without_asking(
    runtime: Runtime, caps: Capabilities
) -> None:
    chat = Chat(runtime, caps)  # the console reports no language: Vietnamese
    screen = await chat.say("/start")
    assert len(screen) == 1
    assert screen[0].text.startswith("Chào mừng anh/chị đến với Trợ lý OCOP!")
    assert labels(screen) == [*WELCOME_BUTTONS_VI, "🇬🇧 English"]  # one small switch button
    screen = await chat.say("/menu")  # the language is stored: no switch button any more
    assert labels(screen) == WELCOME_BUTTONS_VI


async def test_first_contact_speaks_the_clients_language(runtime: Runtime) -> None:
    chat = Chat(runtime, TELEGRAM, language="en-US")
    screen = await chat.say("xin chào")  # any first message, not only /start
    assert screen[0].text.startswith("I couldn't find a product for that.")
    assert labels(screen)[-1] == "🇻🇳 Tiếng Việt"
    assert "Anh/chị muốn dùng tiếng nào" not in chat.text


@CHANNELS
async def test_choosing_english_switches_language(runtime: Runtime, caps: Capabilities) -> None:
    chat = Chat(runtime, caps)
    await chat.say("/start")
    screen = await chat.press("English")
    assert screen[0].text.startswith("English it is.")
    assert "Welcome to OCOP Assistant!" in chat.text
    await chat.say("/help")
    assert "OCOP Assistant helps you" in chat.text
    await chat.say("/language")
    await chat.press("Tiếng Việt")
    assert "Đã chọn Tiếng Việt" in chat.text
    assert "Chào mừng anh/chị" in chat.text


async def test_console_menus_are_numbered_and_a_typed_number_picks(runtime: Runtime) -> None:
    chat = Chat(runtime, CONSOLE)
    screen = await chat.say("/start")
    assert screen[0].text.endswith("4. ❓ Hướng dẫn\n5. 🇬🇧 English")
    await chat.say("5")
    assert chat.text.startswith("English it is.")
    assert "2. 📝 Register my OCOP entity" in chat.text
    await chat.say("2")
    assert "What is your OCOP entity's name?" in chat.text
    assert "/back ◀️ Back · /later 🕓 Later · /cancel ✖️ Cancel" in chat.text


async def test_telegram_buttons_carry_short_callback_data(runtime: Runtime) -> None:
    chat = Chat(runtime, TELEGRAM)
    screen = await chat.say("/start")
    data = [d for reply in screen for row in reply.callback_data for d in row]
    assert len(data) == 5 and len(set(data)) == 5
    assert all(len(d.encode()) <= 64 for d in data)
    assert not any("lang" in d for d in data)  # the meaning stays on the server
    assert "1. " not in screen[0].text  # real buttons, no numbered text menu


# --- keys beside a share key ------------------------------------------------


async def _at_phone_step(runtime: Runtime, caps: Capabilities) -> Chat:
    chat = Chat(runtime, caps)
    await make_user(runtime, chat, producer=False)
    for line in ("/register", "HTX Chè Tân Cương", "/menu"):
        await chat.say(line)
    await chat.press("Continue")
    await chat.press("Cooperative")
    await chat.say("Nguyễn Thị Hoa")
    assert "Contact phone number?" in chat.text
    return chat


async def test_a_share_step_is_one_message_with_its_buttons_as_keys(runtime: Runtime) -> None:
    chat = await _at_phone_step(runtime, TELEGRAM)
    [prompt] = chat.screen
    assert prompt.request_contact == "📱 Share my phone number"
    assert labels(chat.screen) == ["◀️ Back", "🕓 Later", "✖️ Cancel"]
    # Telegram sends a tapped key's label as text: it does what the button would.
    screen = await chat.say("◀️ Back")
    assert "Full name of the representative?" in text_of(screen)
    state = await conversation(runtime, chat)
    assert state is not None and state.step == "representative"


async def test_a_typed_key_label_is_only_a_key_where_keys_are_shown(runtime: Runtime) -> None:
    chat = await _at_phone_step(runtime, CONSOLE)  # no share key: numbered text, no keys
    assert chat.screen[0].request_contact is None
    screen = await chat.say("◀️ Back")
    assert screen[0].text.startswith("That phone number isn't valid.")


# --- stale and crafted buttons -----------------------------------------------


async def _producer_at_name_step(runtime: Runtime) -> Chat:
    chat = Chat(runtime, TELEGRAM)
    await make_user(runtime, chat)
    await chat.say("/menu")
    await chat.press("New product")
    await chat.say("Chè búp Tân Cương")
    assert "Which product group?" in chat.text
    return chat


async def test_stale_button_gets_the_current_screen(runtime: Runtime) -> None:
    chat = Chat(runtime, TELEGRAM)
    await make_user(runtime, chat)
    await chat.say("/menu")
    old_new_product = chat.callback_for("New product")
    await chat.press("New product")
    await chat.say("Chè búp Tân Cương")
    before = await conversation(runtime, chat)
    assert before is not None and before.step == "group"

    screen = await chat.callback(old_new_product)
    assert len(screen) == 1
    assert screen[0].text.startswith(
        "This menu is out of date. Here is the current one:\n\nWhich product group?"
    )
    after = await conversation(runtime, chat)
    assert after is not None
    assert (after.flow, after.step, after.data["values"]) == (
        "product",
        "group",
        before.data["values"],
    )
    # the fresh screen's buttons work
    await chat.press("Food")
    assert "Which subgroup?" in chat.text


async def test_crafted_callback_is_stale(runtime: Runtime) -> None:
    chat = await _producer_at_name_step(runtime)
    before = await conversation(runtime, chat)
    for data in ("xxxx:0", "xxxx:999", "", ":", "n:abc:0", "x" * 64):
        screen = await chat.callback(data)
        assert screen[0].text.startswith("This menu is out of date. Here is the current one:")
        assert "Which product group?" in chat.text, data
    after = await conversation(runtime, chat)
    assert before is not None and after is not None
    assert (after.step, after.data["values"]) == (before.step, before.data["values"])


async def test_current_token_with_an_index_out_of_range_is_stale(runtime: Runtime) -> None:
    chat = await _producer_at_name_step(runtime)
    token = chat.callback_for("Food").split(":")[0]
    screen = await chat.callback(f"{token}:99")
    assert screen[0].text.startswith("This menu is out of date. Here is the current one:\n\n")


# --- unexpected errors -----------------------------------------------------


async def test_unexpected_error_gives_a_reference_that_is_logged(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    router = runtime.dispatcher.router

    async def broken(ctx: Context) -> list[Reply]:
        if ctx.incoming.chat_id == "666":
            raise ZeroDivisionError("a bug")
        return await router(ctx)

    monkeypatch.setattr(runtime.dispatcher, "router", broken)
    victim = Chat(runtime, TELEGRAM, user_id="666")
    await make_user(runtime, victim, language="en")
    with caplog.at_level(logging.ERROR, logger="bot.core.dispatcher"):
        screen = await victim.say("/menu")
    assert len(screen) == 1
    assert screen[0].text.startswith("Sorry, something went wrong.")  # in the user's language
    reference = re.search(r"Error reference: ([0-9A-F]{8})", screen[0].text)
    assert reference is not None
    assert reference[1] in caplog.text
    assert "ZeroDivisionError" in caplog.text  # the traceback is in the log, not in the chat
    assert "ZeroDivisionError" not in screen[0].text

    other = Chat(runtime, TELEGRAM, user_id="777")
    assert labels(await other.say("/start"))[-1] == "🇬🇧 English"
    again = await victim.say("/menu")
    second = re.search(r"Error reference: ([0-9A-F]{8})", again[0].text)
    assert second is not None and second[1] != reference[1]


async def test_error_leaves_the_conversation_as_it_was(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    chat = await _producer_at_name_step(runtime)
    before = await conversation(runtime, chat)
    router = runtime.dispatcher.router

    async def half_done(ctx: Context) -> list[Reply]:
        replies = await router(ctx)  # changes the conversation, then fails
        raise RuntimeError("after the change")
        return replies

    monkeypatch.setattr(runtime.dispatcher, "router", half_done)
    with caplog.at_level(logging.ERROR):
        await chat.press("Food")
    assert "Sorry, something went wrong." in chat.text
    after = await conversation(runtime, chat)
    assert before is not None and after is not None
    assert (after.step, after.data["values"]) == ("group", before.data["values"])


# --- transactions at once ---------------------------------------------------


async def test_at_most_the_configured_transactions_run_at_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve producers at once: their transactions take turns, eight at a time (the
    shipped `[database] concurrent_transactions`), and every chat is answered. (Their
    accounts exist: a first contact writes before the handler runs, and on SQLite the
    one writer would be what makes them take turns.)"""
    assert runtime.settings.database_concurrent_transactions == 8
    router = runtime.dispatcher.router
    inside, most = 0, 0

    async def counting(ctx: Context) -> list[Reply]:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        try:
            await asyncio.sleep(0.01)  # a handler waiting on something, in its transaction
            return await router(ctx)
        finally:
            inside -= 1

    monkeypatch.setattr(runtime.dispatcher, "router", counting)
    chats = [Chat(runtime, TELEGRAM, user_id=str(3_000 + n)) for n in range(12)]
    for chat in chats:
        await make_user(runtime, chat)
    screens = await asyncio.gather(*(chat.say("/menu") for chat in chats))
    assert most == 8
    assert all(screen and screen[0].buttons for screen in screens)


# --- two workers, one conversation ------------------------------------------


async def test_two_workers_do_not_both_advance_one_conversation(
    runtime: Runtime, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Two updates of one chat reach two processes at once; only one answers the step."""
    other = await build_runtime(runtime.settings, migrate=False, clock=clock)
    try:
        chat = Chat(runtime, TELEGRAM)
        await make_user(runtime, chat)
        await chat.say("/newproduct")
        assert "Product name?" in chat.text
        first_loaded, second_done = asyncio.Event(), asyncio.Event()
        router = runtime.dispatcher.router
        calls = 0

        async def slow(ctx: Context) -> list[Reply]:
            nonlocal calls
            calls += 1
            replies = await router(ctx)
            if calls == 1:  # hold the first attempt open while the other worker saves
                first_loaded.set()
                # (SQLite: the other worker waits for our write lock instead: time out)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(second_done.wait(), timeout=0.5)
            return replies

        runtime.dispatcher.router = slow

        async def second() -> list[Reply]:
            await first_loaded.wait()
            try:
                return await other.dispatcher.handle(chat.incoming(text="Trà B"), TELEGRAM)
            finally:
                second_done.set()

        with caplog.at_level(logging.INFO, logger="bot.core.dispatcher"):
            replies_a, replies_b = await asyncio.gather(
                runtime.dispatcher.handle(chat.incoming(text="Trà A"), TELEGRAM), second()
            )
    finally:
        await other.close()

    state = await conversation(runtime, chat)
    assert state is not None
    assert state.step == "group"
    assert state.data["history"] == ["name"]  # advanced once, not twice
    accepted = state.data["values"]["name"]
    assert accepted in ("Trà A", "Trà B")
    winner, loser = (replies_a, replies_b) if accepted == "Trà A" else (replies_b, replies_a)
    assert text_of(winner) == "Which product group?"
    # the later update was handled again on fresh state: it meets the group step
    assert text_of(loser).startswith("Please choose one of the buttons below.")
    assert "Which product group?" in text_of(loser)
    if not runtime.db.is_sqlite:
        assert "raced" in caplog.text  # the version check caught it and the update was retried


# --- the live screen's buttons, as stored ----------------------------------


async def _stored_actions(runtime: Runtime, chat: Chat) -> str:
    """The conversation's `actions` column as the database holds it (JSON text)."""
    async with runtime.db.transaction() as session:
        found = await session.scalar(
            sa_text("SELECT CAST(actions AS TEXT) FROM conversations WHERE chat_id = :chat"),
            {"chat": chat.user_id},
        )
    assert isinstance(found, str)
    return found


async def _store_actions(runtime: Runtime, chat: Chat, raw: str) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(
            sa_text("UPDATE conversations SET actions = :raw WHERE chat_id = :chat"),
            {"raw": raw, "chat": chat.user_id},
        )


async def test_the_screen_is_stored_in_the_same_json_as_before(runtime: Runtime) -> None:
    chat = Chat(runtime, CONSOLE)
    await make_user(runtime, chat, producer=False)
    await chat.say("/help")
    stored = json.loads(await _stored_actions(runtime, chat))
    assert stored == {"list": ["menu"], "numbers": {"1": 0}, "keys": {}}
    assert list(stored) == ["list", "numbers", "keys"]


@pytest.mark.parametrize(
    "raw",
    [
        '{"list": ["help", "menu"], "numbers": {"1": 0, "2": 1}, "keys": {}}',
        '{"list": ["help", "menu"], "numbers": {"1": 0, "2": 1}, "free_text": false}',
    ],
    ids=["saved-by-the-current-code", "saved-before-keys"],
)
async def test_a_conversation_saved_in_the_old_shape_still_answers(
    runtime: Runtime, raw: str
) -> None:
    console, telegram = Chat(runtime, CONSOLE), Chat(runtime, TELEGRAM, user_id="1002")
    for chat in (console, telegram):
        await make_user(runtime, chat, producer=False)
        await chat.say("/menu")
        await _store_actions(runtime, chat, raw)
    await console.say("1")  # a typed number picks from the stored menu
    assert "OCOP Assistant helps you" in console.text
    stored = await conversation(runtime, telegram)
    assert stored is not None
    await telegram.callback(f"{stored.token}:0")  # a button press of the stored screen
    assert "OCOP Assistant helps you" in telegram.text

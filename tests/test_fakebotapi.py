"""The fake Bot API must be faithful enough that the real PTB stack works against it.

Every test here talks to it through python-telegram-bot over real HTTP, so a pass
means PTB's own request encoding, parsing and error mapping accept the fake.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from PIL import Image
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from testkit.fake_bot_api import FakeBotAPI, RateLimit, button_texts


def png(width: int = 640, height: int = 480) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Seen:
    """What the handlers observed, so tests can check the bot side too."""

    photos: list[bytes] = field(default_factory=list)
    callbacks: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def build_app(fake: FakeBotAPI, seen: Seen) -> Application[Any, Any, Any, Any, Any, Any]:
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.file_base_url)
        .build()
    )

    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Có", callback_data="yes"),
                    InlineKeyboardButton("Không", callback_data="no"),
                ]
            ]
        )
        await update.message.reply_text("Bạn có đồng ý?", reply_markup=keyboard)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        seen.callbacks.append(query.data)
        await query.answer(f"ok {query.data}")
        await query.edit_message_text(f"Bạn chọn: {query.data}")

    async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        file = await update.message.photo[-1].get_file()
        data = bytes(await file.download_as_bytearray())
        seen.photos.append(data)
        await update.message.reply_text(f"size={len(data)}")
        await update.message.reply_photo(data, caption="echo")

    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.document is not None
        document = update.message.document
        data = bytes(await (await document.get_file()).download_as_bytearray())
        await update.message.reply_document(data, filename=f"echo_{document.file_name}")

    async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.contact is not None
        assert update.effective_user is not None
        contact = update.message.contact
        own = contact.user_id == update.effective_user.id
        await update.message.reply_text(f"contact {contact.phone_number} own={own}")

    async def on_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.location is not None
        location = update.message.location
        await update.message.reply_location(location.latitude, location.longitude)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        seen.errors.append(context.error)

    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(filters.CONTACT, on_contact))
    app.add_handler(MessageHandler(filters.LOCATION, on_location))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_error_handler(on_error)
    return app


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest_asyncio.fixture
async def seen() -> Seen:
    return Seen()


@pytest_asyncio.fixture
async def running(fake: FakeBotAPI, seen: Seen) -> AsyncIterator[FakeBotAPI]:
    """A real PTB Application long-polling the fake."""
    app = build_app(fake, seen)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield fake
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert seen.errors == []


@pytest_asyncio.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    """A bare PTB Bot for calling methods directly (no polling)."""
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.file_base_url) as b:
        yield b


# --------------------------------------------------------------------------- through PTB polling


@pytest.mark.asyncio
async def test_echo_round_trip(running: FakeBotAPI) -> None:
    fake = running
    an = fake.user(1001, "An")
    update = fake.send_text(an, "Xin chào 123")
    assert update["message"]["chat"] == {"id": 1001, "type": "private", "first_name": "An"}
    [reply] = await fake.replies(an.id)
    assert reply["method"] == "sendMessage"
    assert (reply["chat_id"], reply["text"], reply["edited"]) == (1001, "Xin chào 123", False)
    assert reply["message_id"] == update["message"]["message_id"] + 1  # per-chat id sequence

    # A digits-only text must stay a string although form fields are JSON-decoded.
    fake.send_text(an, "123")
    [reply] = await fake.replies(an.id)
    assert reply["text"] == "123"

    methods = [method for method, _ in fake.requests]
    assert methods[0] == "getMe" and "deleteWebhook" in methods and "getUpdates" in methods
    assert fake.pending_update_count == 0 or await _confirmed(fake)


async def _confirmed(fake: FakeBotAPI) -> bool:
    # The bot confirms updates with its next getUpdates call.
    for _ in range(50):
        if fake.pending_update_count == 0:
            return True
        await asyncio.sleep(0.02)
    return False


@pytest.mark.asyncio
async def test_inline_keyboard_press_delivers_callback_data(
    running: FakeBotAPI, seen: Seen
) -> None:
    fake = running
    binh = fake.user(1002, "Bình")
    fake.send_text(binh, "/menu")
    [menu] = await fake.replies(binh.id)
    assert button_texts(menu) == ["Có", "Không"]
    assert menu["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "no"

    with pytest.raises(AssertionError, match=r"available buttons: \['Có', 'Không'\]"):
        fake.press(binh, menu, "Maybe")

    update = fake.press(binh, menu, "Không")
    assert update["callback_query"]["message"]["message_id"] == menu["message_id"]
    [edit] = await fake.replies(binh.id)
    assert seen.callbacks == ["no"]
    assert (edit["method"], edit["edited"], edit["text"]) == (
        "editMessageText",
        True,
        "Bạn chọn: no",
    )
    assert edit["message_id"] == menu["message_id"] and edit["reply_markup"] is None
    assert await _answered(fake, 1)
    answer = fake.callback_answers[0]
    assert answer["text"] == "ok no" and answer["query"]["data"] == "no"

    # The edit removed the keyboard, so a real user could not press it any more.
    with pytest.raises(AssertionError, match="message was edited"):
        fake.press(binh, menu, "Có")


async def _answered(fake: FakeBotAPI, count: int) -> bool:
    # answerCallbackQuery is awaited before the edit, but be tolerant of ordering.
    for _ in range(50):
        if len(fake.callback_answers) >= count:
            return True
        await asyncio.sleep(0.02)
    return False


@pytest.mark.asyncio
async def test_photo_round_trip_and_multipart_capture(running: FakeBotAPI, seen: Seen) -> None:
    fake = running
    chi = fake.user(1003, "Chi")
    image = png(640, 480)
    update = fake.send_photo(chi, image, caption="ảnh sản phẩm")
    sizes = update["message"]["photo"]
    assert len(sizes) > 1 and (sizes[-1]["width"], sizes[-1]["height"]) == (640, 480)
    assert all(size["file_size"] == len(image) for size in sizes)

    text, photo = await fake.replies(chi.id, count=2)
    assert seen.photos == [image]  # get_file + download_as_bytearray gave the exact bytes
    assert text["text"] == f"size={len(image)}"
    assert photo["method"] == "sendPhoto" and photo["text"] == "echo"
    assert photo["photo"] == image and photo["photo_ref"] is None
    assert photo["message"]["photo"][-1]["width"] == 640


@pytest.mark.asyncio
async def test_document_round_trip(running: FakeBotAPI) -> None:
    fake = running
    dung = fake.user(1004, "Dũng")
    payload = b"%PDF-1.4 fake report \x00\x01\x02"
    fake.send_document(dung, payload, file_name="report.pdf", mime_type="application/pdf")
    [reply] = await fake.replies(dung.id)
    assert reply["method"] == "sendDocument"
    assert reply["document"] == payload
    assert reply["document_name"] == "echo_report.pdf"
    assert reply["document_mime"] == "application/pdf"


@pytest.mark.asyncio
async def test_contact_and_location_updates(running: FakeBotAPI) -> None:
    fake = running
    em = fake.user(1005, "Em")
    fake.send_contact(em, "+84912345678")
    [reply] = await fake.replies(em.id)
    assert reply["text"] == "contact +84912345678 own=True"
    fake.send_contact(em, "+84987654321", own=False)
    [reply] = await fake.replies(em.id)
    assert reply["text"] == "contact +84987654321 own=False"

    fake.send_location(em, 21.0285, 105.8542)
    [reply] = await fake.replies(em.id)
    assert reply["method"] == "sendLocation"
    assert reply["location"] == {"latitude": 21.0285, "longitude": 105.8542}


@pytest.mark.asyncio
async def test_many_users_through_polling(running: FakeBotAPI) -> None:
    fake = running
    users = [fake.user(50_000 + n, f"U{n}") for n in range(300)]
    started = time.perf_counter()
    for user in users:
        fake.send_text(user, f"hi {user.id}")
    replies = await asyncio.gather(*(fake.replies(u.id, timeout=20) for u in users))
    elapsed = time.perf_counter() - started
    assert [r[0]["text"] for r in replies] == [f"hi {u.id}" for u in users]
    assert elapsed < 20  # typically well under 2 s; generous for slow CI


# --------------------------------------------------------------------------- Telegram's errors


@pytest.mark.asyncio
async def test_text_limits(fake: FakeBotAPI, bot: Bot) -> None:
    uid = fake.user(2001).id
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(uid, "x" * 4097)
    await bot.send_message(uid, "ư" * 4096)  # the limit counts characters, not bytes
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(uid, "   ")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(uid, png(10, 10), caption="c" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999_999, "nobody registered this chat")
    assert fake.errors[0]["description"] == "Bad Request: message is too long"


@pytest.mark.asyncio
async def test_callback_data_limit_is_64_bytes(fake: FakeBotAPI, bot: Bot) -> None:
    uid = fake.user(2002).id

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=data)]])

    await bot.send_message(uid, "ok", reply_markup=keyboard("ế" * 21))  # 63 bytes
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(uid, "too long", reply_markup=keyboard("ế" * 22))  # 66 bytes


@pytest.mark.asyncio
async def test_a_parse_mode_is_refused_since_the_bot_sends_plain_text(
    fake: FakeBotAPI, bot: Bot
) -> None:
    uid = fake.user(2003).id
    with pytest.raises(BadRequest, match=r"parses no parse_mode"):
        await bot.send_message(uid, "<b>Giá</b>", parse_mode=ParseMode.HTML)
    await bot.send_message(uid, "  Giá: 10 < 20 & đẹp\n")
    [plain] = await fake.replies(uid)
    assert plain["text"] == "Giá: 10 < 20 & đẹp"  # as sent, trimmed as Telegram does


@pytest.mark.asyncio
async def test_edit_delete_and_double_answer(fake: FakeBotAPI, bot: Bot) -> None:
    giang = fake.user(2004, "Giang")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(giang.id, "Chọn", reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Chọn", giang.id, sent.message_id, reply_markup=keyboard)
    edited = await bot.edit_message_reply_markup(giang.id, sent.message_id)
    assert isinstance(edited, Message) and edited.reply_markup is None
    assert edited.edit_date is not None
    current = fake.message(giang.id, sent.message_id)
    assert current is not None and "reply_markup" not in current

    update = fake.press_data(giang, {"chat_id": giang.id, "message_id": sent.message_id}, "stale")
    query_id = update["callback_query"]["id"]
    assert await bot.answer_callback_query(query_id, "xong")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)

    assert await bot.delete_message(giang.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(giang.id, sent.message_id)
    with pytest.raises(AssertionError, match="was deleted"):
        fake.press(giang, {"chat_id": giang.id, "message_id": sent.message_id}, "A")
    outputs = fake.sent(giang.id)
    assert [o["method"] for o in outputs] == ["sendMessage", "editMessageReplyMarkup"]


@pytest.mark.asyncio
async def test_file_ids_get_file_and_bad_images(fake: FakeBotAPI, bot: Bot) -> None:
    uid = fake.user(2005).id
    image = png(300, 200)
    first = await bot.send_photo(uid, image)
    file_id = first.photo[-1].file_id
    await bot.send_photo(uid, file_id)  # re-send by file_id, the usual caching trick
    by_bytes, by_ref = await fake.replies(uid, count=2)
    assert by_bytes["photo"] == image and by_bytes["photo_ref"] is None
    assert by_ref["photo"] is None and by_ref["photo_ref"] == file_id
    downloaded = await (await bot.get_file(file_id)).download_as_bytearray()
    assert bytes(downloaded) == image == fake.file_bytes(file_id)

    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(uid, b"definitely not an image")
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(uid, "AgACunknown")
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


@pytest.mark.asyncio
async def test_rate_limit_raises_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # retry_after as timedelta, no deprecation
    limits = RateLimit(global_per_second=3, per_chat_per_second=1)
    async with FakeBotAPI(rate_limit=limits) as fake:
        bot = Bot(fake.token, base_url=fake.base_url)
        async with bot:
            users = [fake.user(3000 + n).id for n in range(4)]
            await bot.send_message(users[0], "1")
            with pytest.raises(RetryAfter) as per_chat:
                await bot.send_message(users[0], "2")  # same chat within a second
            assert per_chat.value.retry_after == dtm.timedelta(seconds=1)

            await bot.send_message(users[1], "1")
            await bot.send_message(users[2], "1")
            with pytest.raises(RetryAfter):
                await bot.send_message(users[3], "1")  # 4th message in a second overall
            assert fake.rejected_429 == 2

            await asyncio.sleep(1.05)  # honouring retry_after is enough to get through
            await bot.send_message(users[0], "2")
            assert len(fake.sent(users[0])) == 2


@pytest.mark.asyncio
async def test_blocked_chat_is_forbidden(fake: FakeBotAPI, bot: Bot) -> None:
    uid = fake.user(4001, "Hoa").id
    fake.block(uid)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(uid, "promo")
    assert fake.blocked_attempts == 1
    [update] = await bot.get_updates(timeout=0)
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"
    fake.unblock(uid)
    await bot.send_message(uid, "welcome back")
    assert [o["text"] for o in fake.sent(uid)] == ["welcome back"]


@pytest.mark.asyncio
async def test_wrong_token_is_rejected(fake: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("123456:WRONG", base_url=fake.base_url):
            pass
    assert fake.errors[-1]["status"] == 401
    assert fake.errors[-1]["description"] == "Unauthorized"


# --------------------------------------------------------------------------- getUpdates semantics


@pytest.mark.asyncio
async def test_get_updates_offset_limit_and_long_poll(fake: FakeBotAPI, bot: Bot) -> None:
    user = fake.user(5001)
    ids = [fake.send_text(user, f"m{n}")["update_id"] for n in range(3)]
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == ids
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == ids  # not confirmed yet
    assert [u.update_id for u in await bot.get_updates(limit=2, timeout=0)] == ids[:2]
    assert await bot.get_updates(offset=ids[-1] + 1, timeout=0) == ()
    assert fake.pending_update_count == 0

    # A pending long poll returns as soon as an update arrives, not at its timeout.
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(offset=ids[-1] + 1, timeout=10))
    await asyncio.sleep(0.1)
    new_id = fake.send_text(user, "wake up")["update_id"]
    [update] = await asyncio.wait_for(poll, 5)
    assert update.update_id == new_id and loop.time() - started < 2
    assert update.message is not None and update.message.text == "wake up"

    # Two bot instances polling at once: Telegram terminates the older poll with 409.
    # (A second Bot is needed: PTB's getUpdates pool holds a single connection.)
    older = asyncio.create_task(bot.get_updates(offset=new_id + 1, timeout=10))
    await asyncio.sleep(0.1)
    async with Bot(fake.token, base_url=fake.base_url) as second_instance:
        await second_instance.get_updates(offset=new_id + 1, timeout=0)
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await older

    # Long poll with nothing to deliver honours its timeout.
    started = loop.time()
    assert await bot.get_updates(offset=new_id + 1, timeout=1) == ()
    assert 0.9 < loop.time() - started < 3


# --------------------------------------------------------------------------- observation helpers


@pytest.mark.asyncio
async def test_replies_timeout_explains_what_happened(fake: FakeBotAPI, bot: Bot) -> None:
    uid = fake.user(6001).id
    fake.send_text(fake.user(6001), "nobody is polling")
    with pytest.raises(BadRequest):
        await bot.send_message(uid, "<b>broken", parse_mode=ParseMode.HTML)  # refused
    await bot.send_message(uid, "one")
    with pytest.raises(TimeoutError) as info:
        await fake.replies(uid, count=2, timeout=0.2)
    message = str(info.value)
    assert "got 1" in message and "'one'" in message
    assert "parses no parse_mode" in message
    assert "not yet confirmed by the bot" in message
    # The output that did arrive was not consumed by the failed wait.
    [one] = await fake.replies(uid)
    assert one["text"] == "one"


@pytest.mark.asyncio
async def test_settle_collects_a_burst(fake: FakeBotAPI, bot: Bot) -> None:
    uid = fake.user(6002).id

    async def burst() -> None:
        for n in range(3):
            await bot.send_message(uid, f"part {n}")
            await asyncio.sleep(0.05)

    task = asyncio.create_task(burst())
    outputs = await fake.settle(uid, quiet=0.3)
    await task
    assert [o["text"] for o in outputs] == ["part 0", "part 1", "part 2"]
    assert await fake.settle(uid, quiet=0.05) == []
    assert [o["seq"] for o in fake.sent()] == [1, 2, 3]


@pytest.mark.asyncio
async def test_my_commands(fake: FakeBotAPI, bot: Bot) -> None:
    assert await bot.set_my_commands([("start", "Bắt đầu"), ("help", "Trợ giúp")])
    assert await bot.set_my_commands([("start", "Start")], language_code="en")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert fake.my_commands("en") == [{"command": "start", "description": "Start"}]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Start", "capitals are not allowed")])


@pytest.mark.asyncio
async def test_raw_json_body_get_query_and_unknown_method(fake: FakeBotAPI) -> None:
    uid = fake.user(7001).id
    api = f"{fake.base_url}{fake.token}"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{api}/sendMessage", json={"chat_id": uid, "text": "json", "reply_markup": markup}
        ) as response:
            body = await response.json()
        assert body["ok"] is True and body["result"]["reply_markup"] == markup
        async with session.get(f"{api}/sendMessage", params={"chat_id": uid, "text": "query"}) as r:
            assert (await r.json())["result"]["text"] == "query"
        async with session.post(f"{api}/sendVenue", json={"chat_id": uid}) as response:
            assert response.status == 404
            body = await response.json()
        assert body["ok"] is False and body["error_code"] == 404
        async with session.post(f"{fake.base_url}1:BAD/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
    assert [o["text"] for o in fake.sent(uid)] == ["json", "query"]


@pytest.mark.asyncio
async def test_media_group_caption_edit_replies_and_webhook(fake: FakeBotAPI, bot: Bot) -> None:
    khanh = fake.user(8001, "Khánh")
    images = [png(100, 100), png(120, 80)]
    album = await bot.send_media_group(
        khanh.id, [InputMediaPhoto(images[0], caption="Bộ ảnh"), InputMediaPhoto(images[1])]
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    first, second = await fake.replies(khanh.id, count=2)
    assert (first["photo"], second["photo"]) == (images[0], images[1])
    assert first["text"] == "Bộ ảnh" and second["text"] is None

    edited = await bot.edit_message_caption(khanh.id, album[0].message_id, caption="Mới")
    assert isinstance(edited, Message) and edited.caption == "Mới"
    [edit] = await fake.replies(khanh.id)
    assert (edit["method"], edit["text"], edit["edited"]) == ("editMessageCaption", "Mới", True)

    # A user replying to a bot message carries reply_to_message, as in Telegram.
    update = fake.send_text(khanh, "đẹp quá", reply_to=first)
    assert update["message"]["reply_to_message"]["message_id"] == album[0].message_id

    assert await bot.set_webhook("https://example.com/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)
    assert (await bot.get_webhook_info()).url == "https://example.com/hook"
    assert await bot.delete_webhook()
    [polled] = await bot.get_updates(timeout=0)
    assert polled.message is not None and polled.message.reply_to_message is not None

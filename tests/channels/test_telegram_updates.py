"""bot/channels/telegram.py to_incoming: a Bot API update's JSON read into the core's Incoming.

Every kind of update the bot answers is checked against what it must give, and
against what python-telegram-bot's objects gave before (Update.de_json, then the
attributes the old parser read): the same Incoming, field for field. Malformed
updates give None, never an exception: polling goes on, a webhook answers 200.
"""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest
from PIL import Image
from telegram import Update

from bot.channels.telegram import CHANNEL, to_incoming
from bot.core.types import Contact, FileRef, Incoming, Location
from testkit.fake_bot_api import FakeBotAPI

LAN = {"id": 7001, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
CHAT = {"id": 7001, "type": "private", "first_name": "Lan"}


def ptb_incoming(payload: dict[str, Any]) -> Incoming | None:
    """What the parser built on python-telegram-bot's Update produced (the reference)."""
    update = Update.de_json(copy.deepcopy(payload), None)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    incoming = Incoming(CHANNEL, str(chat.id), str(user.id), user.full_name, user.language_code)
    if update.callback_query is not None:
        incoming.callback = update.callback_query.data or ""
        return incoming
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        incoming.text = message.text
    if message.photo:
        biggest = message.photo[-1]
        incoming.photo = FileRef(biggest.file_id, size=biggest.file_size, mime="image/jpeg")
    elif message.document is not None:
        doc = message.document
        incoming.document = FileRef(
            doc.file_id, size=doc.file_size, mime=doc.mime_type, name=doc.file_name
        )
    elif message.contact is not None:
        owner = message.contact.user_id
        incoming.contact = Contact(
            message.contact.phone_number, str(owner) if owner is not None else None
        )
    elif message.location is not None:
        incoming.location = Location(message.location.latitude, message.location.longitude)
    elif message.text is None:
        incoming.text = ""
    return incoming


def message(update_id: int = 1, **content: Any) -> dict[str, Any]:
    sender = content.pop("sender", LAN)
    body = {"message_id": 5, "from": sender, "chat": CHAT, "date": 1_700_000_000, **content}
    return {"update_id": update_id, "message": body}


def lan(**fields: Any) -> Incoming:
    return Incoming(CHANNEL, "7001", "7001", "Lan", "vi", **fields)


KEYBOARD = {"inline_keyboard": [[{"text": "🇬🇧 English", "callback_data": "lang:en"}]]}
BOT_MESSAGE = {
    "message_id": 4,
    "from": {"id": 1, "is_bot": True, "first_name": "OCOP"},
    "chat": CHAT,
    "date": 1_700_000_000,
    "text": "Chọn ngôn ngữ",
    "reply_markup": KEYBOARD,
}
PHOTO_SIZES = [
    {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 72, "file_size": 1200},
    {"file_id": "big", "file_unique_id": "b", "width": 1000, "height": 800, "file_size": 91000},
]

CASES: list[tuple[str, dict[str, Any], Incoming | None]] = [
    ("text", message(text="/start"), lan(text="/start")),
    (
        "photo: the biggest size",
        message(photo=PHOTO_SIZES),
        lan(photo=FileRef("big", 91000, "image/jpeg")),
    ),
    (
        "photo with a caption: the caption is no answer",
        message(photo=PHOTO_SIZES, caption="chè"),
        lan(photo=FileRef("big", 91000, "image/jpeg")),
    ),
    (
        "photo without a size",
        message(photo=[{"file_id": "p", "file_unique_id": "u", "width": 9, "height": 9}]),
        lan(photo=FileRef("p", None, "image/jpeg")),
    ),
    (
        "document",
        message(
            document={
                "file_id": "d1",
                "file_unique_id": "u",
                "file_name": "san.xlsx",
                "mime_type": "application/vnd.ms-excel",
                "file_size": 2048,
            },
            caption="danh sách",
        ),
        lan(document=FileRef("d1", 2048, "application/vnd.ms-excel", "san.xlsx")),
    ),
    (
        "document without name, type or size",
        message(document={"file_id": "d2", "file_unique_id": "u"}),
        lan(document=FileRef("d2")),
    ),
    (
        "own contact (the share button)",
        message(contact={"phone_number": "+84912345678", "first_name": "Lan", "user_id": 7001}),
        lan(contact=Contact("+84912345678", "7001")),
    ),
    (
        "someone else's contact",
        message(contact={"phone_number": "0912345678", "first_name": "Hoa"}),
        lan(contact=Contact("0912345678", None)),
    ),
    (
        "location",
        message(location={"latitude": 21.0285, "longitude": 105.8542}),
        lan(location=Location(21.0285, 105.8542)),
    ),
    (
        "sticker: empty input",
        message(
            sticker={
                "file_id": "st",
                "file_unique_id": "u",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        ),
        lan(text=""),
    ),
    (
        "voice note: empty input",
        message(voice={"file_id": "v", "file_unique_id": "u", "duration": 3}),
        lan(text=""),
    ),
    (
        "pressed button: the whole message and its keyboard come along",
        {
            "update_id": 2,
            "callback_query": {
                "id": "4611686018427387904",
                "from": LAN,
                "message": BOT_MESSAGE,
                "chat_instance": "-1000000000000007001",
                "data": "lang:en",
            },
        },
        lan(callback="lang:en"),
    ),
    (
        "pressed button without data",
        {
            "update_id": 3,
            "callback_query": {
                "id": "9",
                "from": LAN,
                "message": BOT_MESSAGE,
                "chat_instance": "-1",
                "game_short_name": "g",
            },
        },
        lan(callback=""),
    ),
    (
        "button of an inline message: no chat, ignored",
        {
            "update_id": 4,
            "callback_query": {
                "id": "9",
                "from": LAN,
                "inline_message_id": "abc",
                "chat_instance": "-1",
                "data": "x",
            },
        },
        None,
    ),
    (
        "full name and no language",
        message(
            text="hi",
            sender={"id": 7001, "is_bot": False, "first_name": "Lan", "last_name": "Nguyễn"},
        ),
        Incoming(CHANNEL, "7001", "7001", "Lan Nguyễn", None, text="hi"),
    ),
    (
        "an empty last name is no last name",
        message(text="hi", sender={**LAN, "last_name": ""}),
        lan(text="hi"),
    ),
    ("from a bot: ignored", message(text="hi", sender={**LAN, "is_bot": True}), None),
    (
        "edited message: ignored",
        {"update_id": 5, "edited_message": {**message()["message"], "text": "x", "edit_date": 1}},
        None,
    ),
    (
        "membership change (the user blocked the bot): ignored",
        {
            "update_id": 6,
            "my_chat_member": {
                "chat": CHAT,
                "from": LAN,
                "date": 1,
                "old_chat_member": {"user": BOT_MESSAGE["from"], "status": "member"},
                "new_chat_member": {
                    "user": BOT_MESSAGE["from"],
                    "status": "kicked",
                    "until_date": 0,
                },
            },
        },
        None,
    ),
    (
        "channel post, no sender: ignored",
        {
            "update_id": 7,
            "channel_post": {
                "message_id": 1,
                "chat": {"id": -100, "type": "channel"},
                "date": 1,
                "text": "x",
            },
        },
        None,
    ),
]


@pytest.mark.parametrize(("payload", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_kind_of_update(payload: dict[str, Any], expected: Incoming | None) -> None:
    assert to_incoming(payload) == expected
    assert to_incoming(payload) == ptb_incoming(payload)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (20, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def test_what_the_fake_bot_api_sends_reads_as_python_telegram_bot_read_it() -> None:
    """The updates the end-to-end tests drive, built by the loopback fake itself."""
    api = FakeBotAPI()
    hoa = api.user(7002, "Hoa", "en", "hoa_htx", last_name="Trần")
    nam = api.user(7003, "Nam", None)
    sent = api.send_text(hoa, "/start p_ABC123")
    updates = [
        sent,
        api.send_text(nam, "Mật ong bạc hà", reply_to=sent["message"]),
        api.send_photo(hoa, jpeg(), caption="ảnh"),
        api.send_document(nam, b"%PDF-1.4", file_name="mo-ta.pdf", mime_type="application/pdf"),
        api.send_contact(hoa, "+84987654321"),
        api.send_contact(nam, "0900000000", own=False),
        api.send_location(hoa, 21.5, 105.75),
        api.press_data(hoa, sent["message"], "menu:main"),
    ]
    incoming = [to_incoming(update) for update in updates]
    assert incoming == [ptb_incoming(update) for update in updates]
    assert [i.user_name if i else None for i in incoming] == [
        "Hoa Trần",
        "Nam",
        "Hoa Trần",
        "Nam",
        "Hoa Trần",
        "Nam",
        "Hoa Trần",
        "Hoa Trần",
    ]
    assert incoming[2] is not None and incoming[2].photo is not None
    assert incoming[7] is not None and incoming[7].callback == "menu:main"


MALFORMED: list[tuple[str, Any]] = [
    ("empty", {}),
    ("no sender", {"update_id": 1, "message": {"message_id": 1, "chat": CHAT, "text": "hi"}}),
    ("no chat", {"update_id": 1, "message": {"message_id": 1, "from": LAN, "text": "hi"}}),
    ("message is a list", {"update_id": 1, "message": ["hi"]}),
    ("message is text", {"update_id": 1, "message": "hi"}),
    ("sender is text", message(text="hi", sender="Lan")),
    ("sender without an id", message(text="hi", sender={"is_bot": False, "first_name": "L"})),
    ("sender id is text", message(text="hi", sender={**LAN, "id": "7001"})),
    ("sender id is true", message(text="hi", sender={**LAN, "id": True})),
    ("sender without is_bot", message(text="hi", sender={"id": 1, "first_name": "L"})),
    ("sender without a first name", message(text="hi", sender={"id": 1, "is_bot": False})),
    ("chat id is null", {"update_id": 1, "message": {"from": LAN, "chat": {"id": None}}}),
    ("photo sizes are text", message(photo=["big"])),
    ("photo without a file id", message(photo=[{"width": 1}])),
    ("document without a file id", message(document={"file_name": "a.pdf"})),
    ("contact without a phone", message(contact={"first_name": "Hoa"})),
    ("location as text", message(location={"latitude": "21", "longitude": "105"})),
    ("location without longitude", message(location={"latitude": 21.0})),
    ("callback query is text", {"update_id": 1, "callback_query": "lang:en"}),
    ("callback without sender", {"update_id": 1, "callback_query": {"message": BOT_MESSAGE}}),
    ("callback message is text", {"update_id": 1, "callback_query": {"from": LAN, "message": "x"}}),
    ("unknown kind", {"update_id": 1, "purchased_paid_media": {"from": LAN, "payload": "x"}}),
]


def test_text_that_is_no_text_is_empty_input() -> None:
    assert to_incoming(message(text=12)) == lan(text="")


@pytest.mark.parametrize("payload", [c[1] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_a_malformed_update_is_ignored_without_an_exception(payload: Any) -> None:
    assert to_incoming(payload) is None

"""A loopback fake of the Telegram Bot API for tests and benchmarks.

The real python-telegram-bot ``Application`` talks to it over real HTTP on
127.0.0.1 (``base_url=fake.base_url``, ``base_file_url=fake.file_base_url``), so
handlers, filters, keyboards, file downloads and error mapping are exercised
exactly as in production; only Telegram's servers are replaced.

Driving it::

    async with FakeBotAPI() as fake:
        app = (ApplicationBuilder().token(fake.token).base_url(fake.base_url)
               .base_file_url(fake.file_base_url).build())
        ...  # initialize/start/start_polling
        alice = fake.user(1001, "Alice")
        fake.send_text(alice, "/start")
        [reply] = await fake.replies(alice.id)
        fake.press(alice, reply, "Tiếng Việt")

Realism notes (why the fake is stricter than a mock):

* parameters are decoded the way Telegram does it, from a JSON body or from
  url-encoded / multipart form fields (which is what PTB 22 sends);
* the bot sends plain text (entities at most), so no ``parse_mode`` is parsed:
  one arriving is answered 400, so that starting to use one shows up in the
  tests instead of being faked;
* lengths, callback_data size, "message is not modified", unknown chats,
  double-answered callback queries, blocked users and flood limits produce
  Telegram's status codes and descriptions, so PTB raises the same exceptions.

Driving methods (``send_text`` & co.) are meant to be called from the event loop
that runs the fake; calling them from another thread only queues the update
safely, nothing else is guarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import logging
import math
import re
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Final

from aiohttp import web
from PIL import Image

__all__ = ["FakeBotAPI", "FakeUser", "RateLimit", "button_texts"]

JSONDict = dict[str, Any]

_LOG = logging.getLogger(__name__)

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_DOWNLOAD_BYTES: Final = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD_BYTES: Final = 64 * 1024 * 1024  # above Telegram's 50 MB so the fake never truncates
MAX_POLL_TIMEOUT: Final = 50.0

_DEFAULT_UPDATE_TYPES: Final = frozenset(
    # Telegram's default when allowed_updates was never set: everything except these three.
    {"chat_member", "message_reaction", "message_reaction_count"}
)

# Form fields whose value is a plain string; everything else PTB JSON-encodes.
# Decoding these with json.loads would turn a user text "123" into an int.
_STRING_PARAMS: Final = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "file_id",
        "photo",
        "document",
        "audio",
        "video",
        "voice",
        "animation",
        "sticker",
        "thumbnail",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "description",
        "short_description",
        "name",
        "language_code",
        "secret_token",
        "ip_address",
        "action",
        "question",
        "title",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "address",
        "foursquare_id",
        "foursquare_type",
        "google_place_id",
        "google_place_type",
        "emoji",
        "query",
        "payload",
        "currency",
        "provider_token",
        "start_parameter",
    }
)

_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_BOT_COMMAND_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_INLINE_BUTTON_ACTIONS: Final = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


# --------------------------------------------------------------------------- public helpers


@dataclass(frozen=True, slots=True)
class FakeUser:
    """A Telegram user talking to the bot in a private chat (chat id == user id)."""

    id: int
    first_name: str = "Test"
    language_code: str | None = "vi"
    username: str | None = None
    last_name: str | None = None

    def to_dict(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data

    def chat_dict(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        return data


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Flood-control simulation: token buckets, one global and one per chat.

    Bursts default to the per-second rate (at least 1), i.e. 30 messages may leave
    at once, then 30/s; a single chat gets 1 message, then 1/s.
    """

    global_per_second: float = 30
    per_chat_per_second: float = 1
    global_burst: float | None = None
    per_chat_burst: float | None = None


def button_texts(message: JSONDict) -> list[str]:
    """Flattened button texts of a message's inline keyboard (or reply keyboard).

    Accepts a recorded bot output, a Telegram Message dict, an Update dict or a
    bare reply_markup dict.
    """
    markup = _markup_of(message)
    if not markup:
        return []
    texts: list[str] = []
    for row in itertools.chain(markup.get("inline_keyboard") or (), markup.get("keyboard") or ()):
        for button in row:
            texts.append(button if isinstance(button, str) else str(button.get("text", "")))
    return texts


# --------------------------------------------------------------------------- internals


class _ApiError(Exception):
    """An error answer in Telegram's format (status + description [+ retry_after])."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def _bad(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


def _server_error(status: int) -> _ApiError:
    phrases = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    return _ApiError(status, phrases.get(status, "Gateway Timeout"))


class _Pulse:
    """Wakes everybody currently waiting; later waiters wait for the next fire.

    Replacing the Event instead of clear()-ing it means a waiter that was woken
    can never miss the next notification, and no lock is needed.
    """

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, seconds: float) -> None:
        event = self._event  # captured before any await: no lost wake-ups
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(seconds, 0.0)):
                await event.wait()


class _Bucket:
    """Token bucket; O(1) per check."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float | None) -> None:
        self.rate = rate
        self.capacity = max(1.0, burst if burst is not None else rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate


class _ChatLog:
    """Per-chat state: message ids, bot outputs and the replies() cursor."""

    __slots__ = ("bucket", "cursor", "errors", "next_message_id", "outputs", "pulse")

    def __init__(self) -> None:
        self.next_message_id = 1
        self.outputs: list[JSONDict] = []
        self.cursor = 0
        self.pulse = _Pulse()
        self.errors: deque[JSONDict] = deque(maxlen=20)
        self.bucket: _Bucket | None = None


@dataclass(slots=True)
class _Upload:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(slots=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    photo_sizes: list[JSONDict] | None = None  # the whole PhotoSize list this file belongs to


@dataclass(slots=True)
class _StoredMessage:
    message: JSONDict  # never mutated after storing: edits store a new dict
    from_bot: bool


def _u16(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _as_float(value: object, default: float) -> float:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _bad("wrong parameter type")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _bad("wrong parameter type") from None


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1"}
    return bool(value)


def _json_obj(value: object, what: str) -> Any:
    """Complex parameters may arrive parsed (JSON body) or as JSON text (form)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(f"can't parse {what} JSON object") from None
    return value


def _decode_form_value(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # e.g. chat_id="@channel"


def _markup_of(message: JSONDict) -> JSONDict | None:
    if "update_id" in message:
        inner = message.get("message") or (message.get("callback_query") or {}).get("message")
        message = inner or {}
    if "inline_keyboard" in message or "keyboard" in message:
        markup: Any = message
    else:
        markup = message.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    return markup if isinstance(markup, dict) else None


def _message_key(message: JSONDict) -> tuple[int, int]:
    if "update_id" in message:
        message = message.get("message") or message["callback_query"]["message"]
    chat_id = message.get("chat_id")
    if chat_id is None:
        chat_id = message["chat"]["id"]
    return int(chat_id), int(message["message_id"])


def _image_size(data: bytes) -> tuple[int, int]:
    """(width, height) if Pillow recognises the bytes, else (0, 0)."""
    try:
        with warnings.catch_warnings():
            # Huge test images must not trip DecompressionBombWarning under -W error.
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                return int(image.width), int(image.height)
    except Exception:
        return 0, 0


def _summary(output: JSONDict) -> str:
    text = output.get("text")
    shown = "" if text is None else repr(text if len(text) <= 80 else text[:77] + "...")
    extra = ""
    if output.get("photo") is not None or output.get("photo_ref"):
        extra += " +photo"
    if output.get("document") is not None or output.get("document_ref"):
        extra += f" +document {output.get('document_name')!r}"
    buttons = button_texts(output)
    if buttons:
        extra += f" buttons={buttons}"
    return f"{output['method']}#{output['message_id']} {shown}{extra}".rstrip()


# --------------------------------------------------------------------------- text


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram strips surrounding whitespace and shifts entities accordingly."""
    left = text.lstrip()
    result = left.rstrip()
    if not entities or result == text:
        return result, entities
    lead = _u16(text[: len(text) - len(left)])
    total = _u16(result)
    trimmed: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            trimmed.append({**entity, "offset": start, "length": end - start})
    return result, trimmed


def _format(raw: object, parse_mode: object, entities: object) -> tuple[str, list[JSONDict]]:
    """The text as sent with its entities. The bot sends plain text only, so the
    fake parses no parse_mode: one arriving is refused loudly rather than faked."""
    text = "" if raw is None else str(raw)
    if parse_mode:
        raise _bad(f"the fake Bot API parses no parse_mode (got {parse_mode!r})")
    parsed = _json_obj(entities, "entities") if entities is not None else []
    found = [dict(e) for e in parsed] if isinstance(parsed, list) else []
    return _trim(text, found)


def _validate_markup(raw: object, *, inline_only: bool = False) -> JSONDict | None:
    if raw is None or raw == "":
        return None
    markup = _json_obj(raw, "reply keyboard markup")
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad(
                        "can't parse inline keyboard button: Text buttons are unallowed"
                        " in the inline keyboard"
                    )
                if not any(key in button for key in _INLINE_BUTTON_ACTIONS):
                    raise _bad(
                        "can't parse inline keyboard button: Text buttons are unallowed"
                        " in the inline keyboard"
                    )
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad("BUTTON_DATA_INVALID")
                if "url" in button and not re.match(r"(https?|tg)://\S+$", str(button["url"])):
                    raise _bad("BUTTON_URL_INVALID")
        return markup
    if inline_only:
        raise _bad("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        return markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise _bad("can't parse reply keyboard markup JSON object")


def _inline_buttons(markup: JSONDict | None) -> Iterator[JSONDict]:
    for row in (markup or {}).get("inline_keyboard") or ():
        yield from row


# --------------------------------------------------------------------------- the server


_Handler = Callable[[JSONDict, dict[str, _Upload]], Awaitable[Any]]


class FakeBotAPI:
    """In-process fake Telegram Bot API server (see the module docstring)."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST",
        bot_username: str = "ocop_test_bot",
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.rate_limit = rate_limit
        bot_id = token.split(":", 1)[0]
        self.bot_user: JSONDict = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": "OCOP Test Bot",
            "username": bot_username,
        }

        # --- observable state
        self.requests: list[tuple[str, JSONDict]] = []
        self.callback_answers: list[JSONDict] = []
        self.errors: list[JSONDict] = []  # every non-2xx answer: method, status, description...
        self.deleted: list[tuple[int, int]] = []  # (chat_id, message_id) of deleteMessage
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}  # (scope JSON, lang) -> list
        self.webhook_url = ""
        self.rejected_429 = 0
        self.blocked_attempts = 0
        self.faults_served = 0

        # --- internal state, all O(1) per request
        self._users: dict[int, FakeUser] = {}
        self._blocked: set[int] = set()
        self._faults: dict[int, deque[tuple[int, bool]]] = {}  # chat → (status, delivered)
        self._chats: dict[int, _ChatLog] = {}
        self._messages: dict[tuple[int, int], _StoredMessage] = {}
        self._outputs: list[JSONDict] = []
        self._updates: deque[tuple[str, JSONDict]] = deque()
        self._update_ids = itertools.count(700_000_001)
        self._update_pulse = _Pulse()
        self._poll_generation = 0
        self._allowed_updates: frozenset[str] | None = None
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_seq = itertools.count(1)
        self._query_seq = itertools.count(4_611_686_018_427_387_904)
        self._pending_queries: dict[str, JSONDict] = {}
        self._media_group_seq = itertools.count(13_000_000_000_000_000)
        self._global_bucket = (
            _Bucket(rate_limit.global_per_second, rate_limit.global_burst)
            if rate_limit is not None
            else None
        )
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._port: int | None = None
        self._closing = False

        handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendLocation": self._send_location,
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "close": self._return_true,
            "logOut": self._return_true,
            "setMyDescription": self._return_true,
            "setMyShortDescription": self._return_true,
            "setMyName": self._return_true,
            "setChatMenuButton": self._return_true,
        }
        # Telegram method names are case-insensitive.
        self._methods = {name.lower(): handler for name, handler in handlers.items()}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already running")
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._handle_file)
        # handler_cancellation: a long poll whose client went away (PTB cancels its
        # polling task on stop) must not linger until its timeout.
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            handler_cancellation=True,
            shutdown_timeout=1.0,
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._loop = asyncio.get_running_loop()
        self._closing = False

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing = True
        self._update_pulse.fire()  # pending long polls return [] at once
        await runner.cleanup()

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder.base_url(); PTB appends the token itself."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ------------------------------------------------------------------ driving it like users

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "vi",
        username: str | None = None,
        *,
        last_name: str | None = None,
    ) -> FakeUser:
        """Register a user; only registered users' chats accept bot messages."""
        user = FakeUser(user_id, first_name, language_code, username, last_name)
        self._users[user_id] = user
        return user

    def send_text(self, user: FakeUser, text: str, *, reply_to: JSONDict | None = None) -> JSONDict:
        if not text.strip():
            raise ValueError("Telegram clients cannot send an empty message")
        content: JSONDict = {"text": text}
        match = _COMMAND_RE.match(text)
        if match:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _u16(match.group())}
            ]
        if reply_to is not None:
            content["reply_to_message"] = self._reply_snapshot(user.id, reply_to)
        return self._enqueue("message", self._user_message(user, content))

    def send_contact(
        self,
        user: FakeUser,
        phone_number: str,
        *,
        own: bool = True,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> JSONDict:
        """own=True is what a request_contact button sends: contact.user_id == sender."""
        contact: JSONDict = {
            "phone_number": phone_number,
            "first_name": first_name or (user.first_name if own else "Contact"),
        }
        surname = last_name if last_name is not None else (user.last_name if own else None)
        if surname:
            contact["last_name"] = surname
        if own:
            contact["user_id"] = user.id
        return self._enqueue("message", self._user_message(user, {"contact": contact}))

    def send_location(self, user: FakeUser, latitude: float, longitude: float) -> JSONDict:
        location = {"latitude": float(latitude), "longitude": float(longitude)}
        return self._enqueue("message", self._user_message(user, {"location": location}))

    def send_photo(
        self,
        user: FakeUser,
        data: bytes,
        *,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> JSONDict:
        """A compressed photo; pass the same media_group_id to several calls for an album."""
        width, height = _image_size(data)
        content: JSONDict = {"photo": self._store_photo(data, width, height)}
        if caption:
            content["caption"] = caption
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return self._enqueue("message", self._user_message(user, content))

    def send_document(
        self,
        user: FakeUser,
        data: bytes,
        *,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
    ) -> JSONDict:
        content: JSONDict = {"document": self._store_document(data, file_name, mime_type)}
        if caption:
            content["caption"] = caption
        return self._enqueue("message", self._user_message(user, content))

    def press(self, user: FakeUser, message: JSONDict, button_text: str) -> JSONDict:
        """Press an inline button by its text, on the message as the user sees it now.

        The current version is used (after any edits), like a real client; pressing a
        button that an edit removed fails. Use press_data() for stale/crafted data.
        """
        chat_id, message_id = _message_key(message)
        stored = self._messages.get((chat_id, message_id))
        if stored is None and (chat_id, message_id) in self.deleted:
            raise AssertionError(
                f"message {message_id} in chat {chat_id} was deleted; nothing to press"
            )
        current = stored.message if stored is not None else message
        markup = _markup_of(current)
        available: list[str] = []
        for button in _inline_buttons(markup):
            available.append(str(button.get("text")))
            if button.get("text") != button_text:
                continue
            if "callback_data" not in button:
                kinds = [k for k in _INLINE_BUTTON_ACTIONS if k in button]
                raise AssertionError(
                    f"button {button_text!r} is not a callback button ({', '.join(kinds)})"
                )
            return self._callback(user, chat_id, message_id, str(button["callback_data"]))
        hint = ""
        if stored is not None and button_texts(message) != available:
            hint = f" (the message was edited; the given snapshot had {button_texts(message)})"
        raise AssertionError(
            f"no inline button {button_text!r} on message {message_id} in chat {chat_id}; "
            f"available buttons: {available}{hint}"
        )

    def press_data(self, user: FakeUser, message: JSONDict, callback_data: str) -> JSONDict:
        """A callback query with arbitrary (crafted or stale) data on that message."""
        chat_id, message_id = _message_key(message)
        return self._callback(user, chat_id, message_id, callback_data)

    def block(self, chat_id: int, *, notify: bool = True) -> None:
        """The user blocks the bot: sends to the chat get 403 from now on.

        notify=True also delivers the my_chat_member update Telegram sends.
        """
        self._blocked.add(chat_id)
        if notify and chat_id in self._users:
            self._enqueue("my_chat_member", self._member_update(chat_id, "member", "kicked"))

    def unblock(self, chat_id: int, *, notify: bool = True) -> None:
        self._blocked.discard(chat_id)
        if notify and chat_id in self._users:
            self._enqueue("my_chat_member", self._member_update(chat_id, "kicked", "member"))

    def fail_next(
        self, chat_id: int, status: int, *, delivered: bool = False, times: int = 1
    ) -> None:
        """The next `times` sends to the chat answer `status` (a 5xx) instead.

        delivered=False: refused before anything happened, as 503 Service Unavailable
        means. delivered=True: the message is delivered and recorded, then the answer is
        lost on the way back (a gateway's 502 or 504): the bot cannot tell it arrived.
        """
        faults = self._faults.setdefault(chat_id, deque())
        faults.extend([(status, delivered)] * times)

    # ------------------------------------------------------------------ observing the bot

    async def replies(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a per-call deadline is the natural test API
    ) -> list[JSONDict]:
        """The next `count` bot outputs to the chat since the previous replies()/settle().

        Exactly `count` are returned and consumed; later ones stay for the next call.
        """
        log = self._log(chat_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(log.outputs) - log.cursor < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._timeout_message(chat_id, log, count, timeout))
            await log.pulse.wait(remaining)
        result = log.outputs[log.cursor : log.cursor + count]
        log.cursor += count
        return result

    async def settle(
        self,
        chat_id: int,
        quiet: float = 0.3,
        timeout: float = 10.0,  # noqa: ASYNC109 - bounds a bot that never goes quiet
    ) -> list[JSONDict]:
        """All new outputs to the chat, once none has arrived for `quiet` seconds.

        `timeout` bounds the total wait in case the bot never goes quiet.
        """
        log = self._log(chat_id)
        loop = asyncio.get_running_loop()
        now = loop.time()
        deadline = now + timeout
        seen = len(log.outputs)
        quiet_until = now + quiet
        while True:
            now = loop.time()
            if len(log.outputs) != seen:  # something new arrived: restart the quiet window
                seen = len(log.outputs)
                quiet_until = now + quiet
            end = min(quiet_until, deadline)
            if now >= end:
                break
            await log.pulse.wait(end - now)
        result = log.outputs[log.cursor :]
        log.cursor = len(log.outputs)
        return result

    def sent(self, chat_id: int | None = None) -> list[JSONDict]:
        """Every bot output so far (to one chat, or to all in order)."""
        if chat_id is None:
            return list(self._outputs)
        log = self._chats.get(chat_id)
        return list(log.outputs) if log is not None else []

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current Telegram Message dict (after edits), or None if unknown/deleted."""
        stored = self._messages.get((chat_id, message_id))
        return stored.message if stored is not None else None

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id].data

    def my_commands(self, language_code: str = "", scope: JSONDict | None = None) -> list[JSONDict]:
        return self.commands.get(self._commands_key(scope, language_code), [])

    @property
    def pending_update_count(self) -> int:
        """Updates not yet confirmed by the bot (getUpdates offset)."""
        return len(self._updates)

    # ------------------------------------------------------------------ update plumbing

    def _log(self, chat_id: int) -> _ChatLog:
        log = self._chats.get(chat_id)
        if log is None:
            log = self._chats[chat_id] = _ChatLog()
        return log

    def _next_message_id(self, chat_id: int) -> int:
        log = self._log(chat_id)
        message_id = log.next_message_id
        log.next_message_id += 1
        return message_id

    def _user_message(self, user: FakeUser, content: JSONDict) -> JSONDict:
        if user.id not in self._users:
            self._users[user.id] = user
        message: JSONDict = {
            "message_id": self._next_message_id(user.id),
            "from": user.to_dict(),
            "chat": user.chat_dict(),
            "date": int(time.time()),
            **content,
        }
        self._messages[(user.id, message["message_id"])] = _StoredMessage(message, False)
        return message

    def _reply_snapshot(self, chat_id: int, message: JSONDict) -> JSONDict:
        key = _message_key(message)
        stored = self._messages.get(key)
        if stored is None:
            raise ValueError(f"cannot reply to unknown message {key}")
        snapshot = dict(stored.message)
        snapshot.pop("reply_to_message", None)  # Telegram does not nest replies
        return snapshot

    def _callback(self, user: FakeUser, chat_id: int, message_id: int, data: str) -> JSONDict:
        stored = self._messages.get((chat_id, message_id))
        if stored is None:
            raise AssertionError(f"unknown or deleted message {message_id} in chat {chat_id}")
        query_id = str(next(self._query_seq))
        self._pending_queries[query_id] = {
            "data": data,
            "chat_id": chat_id,
            "message_id": message_id,
            "from_id": user.id,
        }
        query: JSONDict = {
            "id": query_id,
            "from": user.to_dict(),
            "message": stored.message,
            "chat_instance": str(-(10**18) - chat_id),  # stable per chat, as in Telegram
            "data": data,
        }
        return self._enqueue("callback_query", query)

    def _member_update(self, chat_id: int, old: str, new: str) -> JSONDict:
        user = self._users[chat_id]

        def member(status: str) -> JSONDict:
            data: JSONDict = {"user": self.bot_user, "status": status}
            if status == "kicked":
                data["until_date"] = 0
            return data

        return {
            "chat": user.chat_dict(),
            "from": user.to_dict(),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }

    def _enqueue(self, kind: str, payload: JSONDict) -> JSONDict:
        update = {"update_id": next(self._update_ids), kind: payload}
        loop = self._loop
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop:
            self._push_update(kind, update)
        else:
            # Another thread: mutate the queue on the loop, never under a poller's feet.
            loop.call_soon_threadsafe(self._push_update, kind, update)
        return update

    def _push_update(self, kind: str, update: JSONDict) -> None:
        self._updates.append((kind, update))
        self._update_pulse.fire()

    def _confirm(self, offset: int) -> None:
        updates = self._updates
        if offset > 0:
            while updates and updates[0][1]["update_id"] < offset:
                updates.popleft()
        elif offset < 0:
            while len(updates) > -offset:
                updates.popleft()

    def _collect(self, limit: int) -> list[JSONDict]:
        allowed = self._allowed_updates
        batch: list[JSONDict] = []
        for kind, update in self._updates:
            if (kind not in _DEFAULT_UPDATE_TYPES) if allowed is None else (kind in allowed):
                batch.append(update)
                if len(batch) >= limit:
                    break
        return batch

    # ------------------------------------------------------------------ HTTP layer

    async def _read_params(self, request: web.Request) -> tuple[JSONDict, dict[str, _Upload]]:
        params: JSONDict = {k: _decode_form_value(k, v) for k, v in request.query.items()}
        uploads: dict[str, _Upload] = {}
        if not request.body_exists:
            return params, uploads
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = json.loads(await request.read() or b"{}")
            except ValueError:
                raise _bad("can't parse JSON body") from None
            if not isinstance(body, dict):
                raise _bad("JSON body must be an object")
            params.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[name] = _Upload(value.filename, value.content_type, value.file.read())
                elif isinstance(value, bytes | bytearray):
                    params[name] = _decode_form_value(name, value.decode("utf-8", "replace"))
                else:
                    params[name] = _decode_form_value(name, value)
        return params, uploads

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params, uploads = await self._read_params(request)
        except _ApiError as err:
            return self._error(method, {}, err)
        recorded = dict(params)
        for name, upload in uploads.items():
            recorded[name] = {
                "upload": upload.filename,
                "mime_type": upload.content_type,
                "size": len(upload.data),
            }
        self.requests.append((method, recorded))
        if request.match_info["token"] != self.token:
            return self._error(method, recorded, _ApiError(401, "Unauthorized"))
        handler = self._methods.get(method.lower())
        if handler is None:
            # Telegram answers a plain "Not Found"; PTB maps 404 to InvalidToken, so
            # say which method is missing to make that confusing case obvious.
            return self._error(
                method,
                recorded,
                _ApiError(404, f"Not Found: method {method} is not implemented by FakeBotAPI"),
            )
        fault = self._fault(method, params)
        if fault is not None and not fault[1]:
            return self._error(method, recorded, _server_error(fault[0]))
        try:
            result = await handler(params, uploads)
        except _ApiError as err:
            return self._error(method, recorded, err)
        if fault is not None:
            return self._error(method, recorded, _server_error(fault[0]))
        return web.json_response({"ok": True, "result": result})

    def _fault(self, method: str, params: JSONDict) -> tuple[int, bool] | None:
        """The fault planned for this send (see fail_next), if any."""
        if not method.lower().startswith("send") or not self._faults:
            return None
        faults = self._faults.get(_as_int(params.get("chat_id")) or 0)
        if not faults:
            return None
        self.faults_served += 1
        return faults.popleft()

    def _error(self, method: str, params: JSONDict, err: _ApiError) -> web.Response:
        chat_id = _as_int(params.get("chat_id"))
        record = {
            "method": method,
            "status": err.status,
            "description": err.description,
            "chat_id": chat_id,
            "params": params,
        }
        self.errors.append(record)
        if chat_id is not None:
            self._log(chat_id).errors.append(record)
        _LOG.debug("fake Bot API %s -> %s %s", method, err.status, err.description)
        body: JSONDict = {"ok": False, "error_code": err.status, "description": err.description}
        if err.retry_after is not None:
            body["parameters"] = {"retry_after": err.retry_after}
        return web.json_response(body, status=err.status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self._files_by_path.get(request.match_info["file_path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=stored.data, content_type="application/octet-stream")

    def _timeout_message(self, chat_id: int, log: _ChatLog, count: int, timeout: float) -> str:
        new = log.outputs[log.cursor :]
        lines = [
            f"expected {count} new bot output(s) to chat {chat_id} within {timeout}s, "
            f"got {len(new)}:"
        ]
        lines += [f"  - {_summary(output)}" for output in new] or ["  (none)"]
        if log.errors:
            lines.append("recent API errors for this chat:")
            lines += [f"  ! {e['method']}: {e['status']} {e['description']}" for e in log.errors]
        if self._updates:
            lines.append(
                f"{len(self._updates)} update(s) not yet confirmed by the bot "
                "(is polling running? did a handler crash?)"
            )
        if chat_id not in self._users:
            lines.append(f"note: chat {chat_id} was never registered with fake.user()")
        return "\n".join(lines)

    # ------------------------------------------------------------------ validation helpers

    def _target_chat(self, params: JSONDict) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        chat_id = _as_int(raw)
        if chat_id is None or chat_id not in self._users:
            raise _bad("chat not found")
        if chat_id in self._blocked:
            self.blocked_attempts += 1
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _check_flood(self, chat_id: int) -> None:
        limit = self.rate_limit
        if limit is None or self._global_bucket is None:
            return
        log = self._log(chat_id)
        if log.bucket is None:
            log.bucket = _Bucket(limit.per_chat_per_second, limit.per_chat_burst)
        now = time.monotonic()
        wait = max(self._global_bucket.wait_time(now), log.bucket.wait_time(now))
        if wait > 0:
            self.rejected_429 += 1
            retry_after = max(1, math.ceil(wait))
            raise _ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        self._global_bucket.tokens -= 1
        log.bucket.tokens -= 1

    def _text(self, params: JSONDict) -> tuple[str, list[JSONDict]]:
        text, entities = _format(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        if not text:
            raise _bad("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        return text, entities

    def _caption(self, params: JSONDict) -> tuple[str, list[JSONDict]]:
        caption, entities = _format(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        if len(caption) > MAX_CAPTION_LENGTH:
            raise _bad("message caption is too long")
        return caption, entities

    def _reply_target(self, chat_id: int, params: JSONDict) -> JSONDict | None:
        reply_parameters = _json_obj(params.get("reply_parameters"), "reply parameters") or {}
        message_id = _as_int(params.get("reply_to_message_id"))
        if message_id is None and isinstance(reply_parameters, dict):
            message_id = _as_int(reply_parameters.get("message_id"))
        if message_id is None:
            return None
        stored = self._messages.get((chat_id, message_id))
        if stored is None:
            lenient = _as_bool(params.get("allow_sending_without_reply")) or (
                isinstance(reply_parameters, dict)
                and _as_bool(reply_parameters.get("allow_sending_without_reply"))
            )
            if lenient:
                return None
            raise _bad("message to be replied not found")
        snapshot = dict(stored.message)
        snapshot.pop("reply_to_message", None)
        return snapshot

    def _bot_message(self, chat_id: int, params: JSONDict, markup: JSONDict | None) -> JSONDict:
        reply_to = self._reply_target(chat_id, params)
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "from": self.bot_user,
            "chat": self._users[chat_id].chat_dict(),
            "date": int(time.time()),
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram echoes only inline keyboards
        return message

    def _record(
        self,
        method: str,
        chat_id: int,
        message: JSONDict,
        params: JSONDict,
        *,
        markup: JSONDict | None,
        edited: bool = False,
        photo: bytes | None = None,
        photo_ref: str | None = None,
        document: bytes | None = None,
        document_ref: str | None = None,
        document_name: str | None = None,
        document_mime: str | None = None,
    ) -> JSONDict:
        if not edited:
            self._messages[(chat_id, message["message_id"])] = _StoredMessage(message, True)
        text = message.get("text", message.get("caption"))
        output: JSONDict = {
            "seq": len(self._outputs) + 1,
            "method": method,
            "chat_id": chat_id,
            "message_id": message["message_id"],
            "text": text,
            "raw_text": params.get("text", params.get("caption")),
            "parse_mode": params.get("parse_mode"),
            "entities": message.get("entities", message.get("caption_entities", [])),
            "reply_markup": markup,
            "photo": photo,
            "photo_ref": photo_ref,
            "document": document,
            "document_ref": document_ref,
            "document_name": document_name,
            "document_mime": document_mime,
            "location": message.get("location"),
            "edited": edited,
            "date": message["date"],
            "message": message,
            "params": params,
        }
        self._outputs.append(output)
        log = self._log(chat_id)
        log.outputs.append(output)
        log.pulse.fire()
        return output

    # ------------------------------------------------------------------ files

    def _new_file(self, data: bytes, folder: str, suffix: str, prefix: str) -> _StoredFile:
        seq = next(self._file_seq)
        stored = _StoredFile(
            file_id=f"{prefix}{seq:012d}FAKE",
            file_unique_id=f"AQAD{seq:08d}",
            file_path=f"{folder}/file_{seq}{suffix}",
            data=data,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _store_photo(self, data: bytes, width: int, height: int) -> list[JSONDict]:
        """Telegram's thumbnail ladder; every size here serves the original bytes."""
        longest = max(width, height)
        dims = [
            (max(1, round(width * side / longest)), max(1, round(height * side / longest)))
            for side in (90, 320, 800)
            if longest > side
        ]
        dims.append((width, height))
        sizes: list[JSONDict] = []
        files: list[_StoredFile] = []
        for w, h in dims:
            stored = self._new_file(data, "photos", ".jpg", "AgAC")
            files.append(stored)
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(data),
                    "width": w,
                    "height": h,
                }
            )
        for stored in files:
            stored.photo_sizes = sizes
        return sizes

    def _store_document(self, data: bytes, file_name: str, mime_type: str) -> JSONDict:
        suffix = re.sub(r"[^A-Za-z0-9.]", "", PurePosixPath(file_name).suffix)[:10]
        stored = self._new_file(data, "documents", suffix, "BQAC")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(data),
        }

    def _file_input(
        self, name: str, value: object, uploads: dict[str, _Upload]
    ) -> tuple[_Upload | None, str | None]:
        """(upload, None) for multipart bytes, (None, ref) for a file_id / URL."""
        if isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise _bad(f"wrong file identifier/HTTP URL specified ({value} not attached)")
            return upload, None
        if value is None and name in uploads:
            return uploads[name], None
        if isinstance(value, str) and value:
            if value in self._files or re.match(r"https?://", value):
                return None, value
            raise _bad("wrong file identifier/HTTP URL specified")
        raise _bad(f"there is no {name} in the request")

    def _photo_from(
        self, value: object, uploads: dict[str, _Upload], name: str = "photo"
    ) -> tuple[list[JSONDict], bytes | None, str | None]:
        upload, ref = self._file_input(name, value, uploads)
        if upload is not None:
            width, height = _image_size(upload.data)
            if (width, height) == (0, 0):
                raise _bad("IMAGE_PROCESS_FAILED")
            return self._store_photo(upload.data, width, height), upload.data, None
        assert ref is not None
        stored = self._files.get(ref)
        if stored is not None and stored.photo_sizes is not None:
            return stored.photo_sizes, None, ref
        data = stored.data if stored is not None else b""
        return self._store_photo(data, *_image_size(data)), None, ref

    def _document_from(
        self, value: object, uploads: dict[str, _Upload], name: str = "document"
    ) -> tuple[JSONDict, bytes | None, str | None]:
        upload, ref = self._file_input(name, value, uploads)
        if upload is not None:
            if not upload.data:
                raise _bad("file must be non-empty")
            file_name = upload.filename or "document"
            mime = upload.content_type or "application/octet-stream"
            return self._store_document(upload.data, file_name, mime), upload.data, None
        assert ref is not None
        stored = self._files.get(ref)
        if stored is not None:
            document = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
                "file_name": PurePosixPath(stored.file_path).name,
            }
            return document, None, ref
        file_name = PurePosixPath(ref).name or "document"
        return self._store_document(b"", file_name, "application/octet-stream"), None, ref

    # ------------------------------------------------------------------ Bot API methods

    async def _return_true(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        return True

    async def _get_me(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JSONDict, uploads: dict[str, _Upload]) -> list[JSONDict]:
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset")) or 0
        limit = min(max(_as_int(params.get("limit")) or 100, 1), 100)
        timeout = min(max(_as_float(params.get("timeout"), 0.0), 0.0), MAX_POLL_TIMEOUT)
        allowed = _json_obj(params.get("allowed_updates"), "allowed updates")
        if isinstance(allowed, list):  # Telegram remembers the last explicit setting
            self._allowed_updates = frozenset(map(str, allowed)) if allowed else None
        self._confirm(offset)

        # Like Telegram, a new getUpdates terminates a still-pending older one with 409.
        self._poll_generation += 1
        generation = self._poll_generation
        self._update_pulse.fire()

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = self._collect(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing or self.webhook_url:
                return batch
            await self._update_pulse.wait(remaining)

    async def _delete_webhook(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        self.webhook_url = ""
        if _as_bool(params.get("drop_pending_updates")):
            self._updates.clear()
        return True

    async def _set_webhook(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        if _as_bool(params.get("drop_pending_updates")):
            self._updates.clear()
        self._update_pulse.fire()
        return True

    async def _get_webhook_info(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _commands_key(scope: object, language_code: object) -> tuple[str, str]:
        parsed = _json_obj(scope, "bot command scope") if scope else None
        return json.dumps(parsed or {"type": "default"}, sort_keys=True), str(language_code or "")

    async def _set_my_commands(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        commands = _json_obj(params.get("commands"), "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("commands must be an array of at most 100 BotCommand")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand")
            if not _BOT_COMMAND_NAME_RE.fullmatch(str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _delete_my_commands(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        self.commands.pop(
            self._commands_key(params.get("scope"), params.get("language_code")), None
        )
        return True

    async def _get_my_commands(
        self, params: JSONDict, uploads: dict[str, _Upload]
    ) -> list[JSONDict]:
        return self.commands.get(
            self._commands_key(params.get("scope"), params.get("language_code")), []
        )

    async def _send_message(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat_id = self._target_chat(params)
        text, entities = self._text(params)
        markup = _validate_markup(params.get("reply_markup"))
        message = self._bot_message(chat_id, params, markup)  # validates reply target too
        self._check_flood(chat_id)
        message["text"] = text
        if entities:
            message["entities"] = entities
        self._record("sendMessage", chat_id, message, params, markup=markup)
        return message

    async def _send_photo(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat_id = self._target_chat(params)
        caption, entities = self._caption(params)
        markup = _validate_markup(params.get("reply_markup"))
        sizes, data, ref = self._photo_from(params.get("photo"), uploads)
        message = self._bot_message(chat_id, params, markup)
        self._check_flood(chat_id)
        message["photo"] = sizes
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        self._record(
            "sendPhoto", chat_id, message, params, markup=markup, photo=data, photo_ref=ref
        )
        return message

    async def _send_document(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat_id = self._target_chat(params)
        caption, entities = self._caption(params)
        markup = _validate_markup(params.get("reply_markup"))
        document, data, ref = self._document_from(params.get("document"), uploads)
        message = self._bot_message(chat_id, params, markup)
        self._check_flood(chat_id)
        message["document"] = document
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        self._record(
            "sendDocument",
            chat_id,
            message,
            params,
            markup=markup,
            document=data,
            document_ref=ref,
            document_name=document.get("file_name"),
            document_mime=document.get("mime_type"),
        )
        return message

    async def _send_location(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat_id = self._target_chat(params)
        latitude = _as_float(params.get("latitude"), math.nan)
        longitude = _as_float(params.get("longitude"), math.nan)
        if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
            raise _bad("wrong latitude/longitude specified")
        markup = _validate_markup(params.get("reply_markup"))
        message = self._bot_message(chat_id, params, markup)
        self._check_flood(chat_id)
        message["location"] = {"latitude": latitude, "longitude": longitude}
        self._record("sendLocation", chat_id, message, params, markup=markup)
        return message

    async def _send_media_group(
        self, params: JSONDict, uploads: dict[str, _Upload]
    ) -> list[JSONDict]:
        chat_id = self._target_chat(params)
        media = _json_obj(params.get("media"), "media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad("wrong number of media in the album: must be 2-10")
        prepared: list[tuple[JSONDict, JSONDict, str, list[JSONDict]]] = []
        for index, item in enumerate(media):
            if not isinstance(item, dict) or item.get("type") not in ("photo", "document"):
                raise _bad(
                    f"unsupported media type in item {index} (fake supports photo, document)"
                )
            caption, entities = self._caption(
                {
                    "caption": item.get("caption"),
                    "parse_mode": item.get("parse_mode"),
                    "caption_entities": item.get("caption_entities"),
                }
            )
            content: JSONDict = {}
            extra: JSONDict = {}
            if item["type"] == "photo":
                sizes, data, ref = self._photo_from(item.get("media"), uploads, "media")
                content["photo"] = sizes
                extra = {"photo": data, "photo_ref": ref}
            else:
                document, data, ref = self._document_from(item.get("media"), uploads, "media")
                content["document"] = document
                extra = {
                    "document": data,
                    "document_ref": ref,
                    "document_name": document.get("file_name"),
                    "document_mime": document.get("mime_type"),
                }
            if caption:
                content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
            prepared.append((content, extra, caption, entities))
        self._check_flood(chat_id)
        group_id = str(next(self._media_group_seq))
        messages: list[JSONDict] = []
        for content, extra, _caption, _entities in prepared:
            message = self._bot_message(chat_id, params, None)
            message.update(content)
            message["media_group_id"] = group_id
            self._record("sendMediaGroup", chat_id, message, params, markup=None, **extra)
            messages.append(message)
        return messages

    async def _send_chat_action(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _editable(self, params: JSONDict) -> tuple[int, int, _StoredMessage]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID (inline messages are not supported by the fake)")
        chat_id = self._target_chat(params)
        message_id = _as_int(params.get("message_id"))
        stored = self._messages.get((chat_id, message_id or 0))
        if stored is None:
            raise _bad("message to edit not found")
        if not stored.from_bot:
            raise _bad("message can't be edited")
        return chat_id, message_id or 0, stored

    def _edited(
        self, stored: _StoredMessage, changes: JSONDict, markup: JSONDict | None
    ) -> JSONDict:
        """New message dict; editing without reply_markup removes the inline keyboard."""
        old = stored.message
        new = {**old, **changes}
        for key, value in changes.items():
            if value is None or value == []:
                new.pop(key, None)
        if markup is not None:
            new["reply_markup"] = markup
        else:
            new.pop("reply_markup", None)
        if {k: v for k, v in new.items() if k != "edit_date"} == {
            k: v for k, v in old.items() if k != "edit_date"
        }:
            raise _bad(_NOT_MODIFIED.removeprefix("Bad Request: "))
        new["edit_date"] = int(time.time())
        stored.message = new
        return new

    async def _edit_message_text(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat_id, _, stored = self._editable(params)
        if "text" not in stored.message:
            raise _bad("there is no text in the message to edit")
        text, entities = self._text(params)
        markup = _validate_markup(params.get("reply_markup"), inline_only=True)
        message = self._edited(stored, {"text": text, "entities": entities}, markup)
        self._record("editMessageText", chat_id, message, params, markup=markup, edited=True)
        return message

    async def _edit_message_caption(
        self, params: JSONDict, uploads: dict[str, _Upload]
    ) -> JSONDict:
        chat_id, _, stored = self._editable(params)
        if "text" in stored.message or "location" in stored.message:
            raise _bad("there is no caption in the message to edit")
        caption, entities = self._caption(params)
        markup = _validate_markup(params.get("reply_markup"), inline_only=True)
        message = self._edited(
            stored, {"caption": caption or None, "caption_entities": entities}, markup
        )
        self._record("editMessageCaption", chat_id, message, params, markup=markup, edited=True)
        return message

    async def _edit_message_reply_markup(
        self, params: JSONDict, uploads: dict[str, _Upload]
    ) -> JSONDict:
        chat_id, _, stored = self._editable(params)
        markup = _validate_markup(params.get("reply_markup"), inline_only=True)
        message = self._edited(stored, {}, markup)
        self._record("editMessageReplyMarkup", chat_id, message, params, markup=markup, edited=True)
        return message

    async def _delete_message(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        chat_id = self._target_chat(params)
        message_id = _as_int(params.get("message_id")) or 0
        if self._messages.pop((chat_id, message_id), None) is None:
            raise _bad("message to delete not found")
        self.deleted.append((chat_id, message_id))
        return True

    async def _answer_callback_query(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        query = self._pending_queries.pop(str(params.get("callback_query_id", "")), None)
        if query is None:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        self.callback_answers.append({**params, "query": query})
        return True

    async def _get_file(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise _bad("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

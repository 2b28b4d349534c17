"""Telegram: updates in (long polling or webhook, read as raw JSON), replies rendered and
delivered as raw Bot API calls.

Replies leave through `ReplyDelivery` (bot/outbox/replies.py): paced by the
bot token's limiter ahead of the outbox, sent again after a 429 or a failure
that proves nothing was sent, never repeated when it may have arrived.

The Bot API base URLs come from settings, so a self-hosted Bot API server
(or the tests' loopback fake) is one environment variable away.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import mimetypes
import secrets
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from bot.channels.telegram_errors import outcome_of
from bot.channels.telegram_http import AiohttpRequest, InputUpload
from bot.channels.telegram_polling import Poller
from bot.channels.text_split import split_text
from bot.config import Settings
from bot.core import channel_health
from bot.core.channel_health import ChannelHealth
from bot.core.dispatcher import Dispatcher
from bot.core.types import Capabilities, Contact, FileRef, Incoming, Location, Reply
from bot.outbox.limiter import RateLimiter
from bot.outbox.replies import Call, ReplyDelivery
from bot.outbox.sender import Outcome

log = logging.getLogger(__name__)

CAPABILITIES = Capabilities(
    inline_buttons=True,
    contact_request=True,
    location_request=True,
    file_upload=True,
    max_text=4096,
    max_caption=1024,
)
CHANNEL = "telegram"
OCTET_STREAM = "application/octet-stream"  # Telegram tells a photo by its bytes
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

Markup = dict[str, Any]  # a reply_markup as the Bot API's JSON
# Makes one Bot API call: method, parameters, uploads (AiohttpRequest.call on the bot's URL).
Api = Callable[[str, Mapping[str, object], Mapping[str, InputUpload] | None], Awaitable[Any]]


def to_incoming(payload: Mapping[str, Any]) -> Incoming | None:
    """The parts of a Bot API update (its JSON, as getUpdates or a webhook gives it) the
    core understands; None for the rest, malformed updates included (never raises).

    Only a message or a pressed button from a person (not a bot) in a chat becomes an
    `Incoming`; edits, channel posts, membership changes and the like are None. The
    name is the user's first and last name, as Telegram clients show it.
    """
    query = payload.get("callback_query")
    if query is not None:
        if not isinstance(query, Mapping):
            return None
        source = query.get("message")
        chat = source.get("chat") if isinstance(source, Mapping) else None
        incoming = _incoming(query.get("from"), chat)
        if incoming is not None:
            data = query.get("data")
            incoming.callback = data if isinstance(data, str) else ""
        return incoming
    message = payload.get("message")
    if not isinstance(message, Mapping):
        return None
    incoming = _incoming(message.get("from"), message.get("chat"))
    if incoming is None:
        return None
    text = message.get("text")
    if isinstance(text, str):
        incoming.text = text
    photo = message.get("photo")
    document = message.get("document")
    contact = message.get("contact")
    location = message.get("location")
    if isinstance(photo, list) and photo:
        biggest = photo[-1]
        file_id = biggest.get("file_id") if isinstance(biggest, Mapping) else None
        if not isinstance(file_id, str):
            return None
        incoming.photo = FileRef(file_id, size=_int(biggest.get("file_size")), mime="image/jpeg")
    elif isinstance(document, Mapping):
        file_id = document.get("file_id")
        if not isinstance(file_id, str):
            return None
        incoming.document = FileRef(
            file_id,
            size=_int(document.get("file_size")),
            mime=_str(document.get("mime_type")),
            name=_str(document.get("file_name")),
        )
    elif isinstance(contact, Mapping):
        phone = contact.get("phone_number")
        if not isinstance(phone, str):
            return None
        owner = _int(contact.get("user_id"))
        incoming.contact = Contact(phone, str(owner) if owner is not None else None)
    elif isinstance(location, Mapping):
        latitude, longitude = _float(location.get("latitude")), _float(location.get("longitude"))
        if latitude is None or longitude is None:
            return None
        incoming.location = Location(latitude, longitude)
    elif incoming.text is None:
        incoming.text = ""  # a sticker, voice note…, or a caption alone: empty input
    return incoming


def _incoming(user: object, chat: object) -> Incoming | None:
    """The update's sender and chat; None without them, or when a bot sent it."""
    if not isinstance(user, Mapping) or not isinstance(chat, Mapping):
        return None
    user_id, chat_id = _int(user.get("id")), _int(chat.get("id"))
    first_name = user.get("first_name")
    if user_id is None or chat_id is None or not isinstance(first_name, str):
        return None
    if user.get("is_bot") is not False:
        return None  # bots (and senders that do not say they are none) are not answered
    name, last_name = first_name, user.get("last_name")
    if isinstance(last_name, str) and last_name:  # as Telegram clients (and PTB) show it
        name = f"{first_name} {last_name}"
    return Incoming(
        channel=CHANNEL,
        chat_id=str(chat_id),
        user_id=str(user_id),
        user_name=name,
        language=_str(user.get("language_code")),
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _markup(reply: Reply) -> Markup | None:
    share: Markup | None = None
    if reply.request_contact:
        share = {"text": reply.request_contact, "request_contact": True}
    elif reply.request_location:
        share = {"text": reply.request_location, "request_location": True}
    if share is not None:
        # A message carries one keyboard: the other buttons become keys under
        # the share key, and a tap sends the label (the dispatcher maps it back).
        keys = [[{"text": button.label} for button in row] for row in reply.buttons]
        return {"keyboard": [[share], *keys], "resize_keyboard": True, "one_time_keyboard": True}
    if reply.buttons:
        return {
            "inline_keyboard": [
                [
                    {"text": button.label, "callback_data": data}
                    for button, data in zip(row, data_row, strict=True)
                ]
                for row, data_row in zip(reply.buttons, reply.callback_data, strict=True)
            ]
        }
    if reply.remove_keyboard:
        return {"remove_keyboard": True}
    return None


def reply_calls(api: Api, chat_id: int, replies: list[Reply]) -> list[Call]:
    """One Bot API call per message the replies make, in order (each may be made again)."""
    calls: list[Call] = []
    for reply in replies:
        markup = _markup(reply)
        if reply.photo is not None:
            photo = reply.photo.read_bytes() if isinstance(reply.photo, Path) else reply.photo
            caption = reply.text if len(reply.text) <= CAPABILITIES.max_caption else None
            params = {
                "chat_id": chat_id,
                "caption": caption or None,
                "reply_markup": markup if caption else None,
            }
            calls.append(
                partial(api, "sendPhoto", params, {"photo": ("photo", photo, OCTET_STREAM)})
            )
            if caption is not None or not reply.text:
                continue
        if reply.document is not None:
            params = {"chat_id": chat_id, "caption": reply.text[:1024] or None}
            name = reply.document_name
            mime = (mimetypes.guess_type(name)[0] if name else None) or OCTET_STREAM
            upload = (name, reply.document, mime)
            calls.append(partial(api, "sendDocument", params, {"document": upload}))
            continue
        pieces = split_text(reply.text, CAPABILITIES.max_text)
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            params = {"chat_id": chat_id, "text": piece, "reply_markup": markup if last else None}
            calls.append(partial(api, "sendMessage", params, None))
    return calls


async def send_replies(
    api: Api, chat_id: int, replies: list[Reply], delivery: ReplyDelivery, user_id: str
) -> list[Outcome]:
    """Delivers the replies to one update in order, under the bot's limits (ReplyDelivery)."""
    return await delivery.deliver(str(chat_id), user_id, reply_calls(api, chat_id, replies))


class TelegramChannel:
    """Feeds every update to the dispatcher and renders what comes back.

    Updates come by long polling (`start`, bot/channels/telegram_polling.py) or by
    webhook (bot/channels/webhook.py); either way the update's JSON is read by
    `to_incoming`. Replies and other calls go through `api`, raw JSON on the bot's
    aiohttp pool. `bot`, python-telegram-bot's Bot on the same pool, serves the
    outbox's sender (bot/channels/telegram_sender.py), file downloads and setWebhook.
    """

    def __init__(
        self, settings: Settings, dispatcher: Dispatcher, limiter: RateLimiter | None = None
    ) -> None:
        if not settings.telegram_token:
            raise ValueError("OCOP_TELEGRAM_TOKEN is not set")
        self.dispatcher = dispatcher
        # One limiter per bot token: bot/cli.py hands the same one to the outbox worker.
        self.limiter = limiter or RateLimiter.of(settings.telegram_limits)
        self.delivery = ReplyDelivery(
            self.limiter, outcome_of, dispatcher.db, CHANNEL, dispatcher.app.clock
        )
        self.request = AiohttpRequest()
        # getUpdates has a connection of its own, never waiting behind replies.
        self.poll_request = AiohttpRequest(connection_pool_size=1)
        self.bot = Bot(
            settings.telegram_token,
            base_url=settings.telegram_api_url,
            base_file_url=settings.telegram_file_url,
            request=self.request,
            get_updates_request=self.poll_request,
        )
        self.poll_timeout = settings.telegram_poll_timeout
        # Updates of different chats run side by side; the dispatcher keeps each
        # chat's updates in order.
        self.concurrent_updates = settings.telegram_concurrent_updates
        self.poller: Poller | None = None
        self._answers: set[asyncio.Task[None]] = set()  # answerCallbackQuery in flight
        # Webhook mode: sent by Telegram with every update (A-Z a-z 0-9 _ - only).
        self._webhook_secret = settings.webhook_secret or secrets.token_urlsafe(32)

    async def api(
        self,
        method: str,
        params: Mapping[str, object],
        files: Mapping[str, InputUpload] | None = None,
    ) -> Any:
        """A Bot API call on the bot's own connection pool, its raw result (see `reply_calls`)."""
        return await self.request.call(f"{self.bot.base_url}/{method}", params, files)

    # --- start and stop ------------------------------------------------------

    async def connect(self) -> None:
        """getMe (opens the HTTP clients): raises InvalidToken when the token is refused,
        NetworkError when Telegram cannot be reached."""
        await self.bot.initialize()

    async def start(self, health: ChannelHealth | None = None) -> None:
        """Long polling in the background (stop() ends it), after `connect` if not done
        yet. A token rejected later ends polling and is reported to `health` (/readyz)."""

        def rejected() -> None:
            if health is not None:
                health.failed(CHANNEL, channel_health.TOKEN_REJECTED)

        await self.connect()  # nothing asked again once connected
        self.poller = Poller(
            self.bot.base_url,
            self.poll_request,
            self.handle_update,
            timeout=self.poll_timeout,
            concurrency=self.concurrent_updates,
            on_rejected=rejected,
        )
        await self.poller.start()

    async def stop(self) -> None:
        """Polling stopped, the updates in hand finished and confirmed, the clients closed."""
        if self.poller is not None:
            await self.poller.stop()
            self.poller = None
        await self.close()

    async def close(self) -> None:
        """Closes the HTTP clients (after the callback answers still in flight)."""
        if self._answers:
            await asyncio.gather(*self._answers, return_exceptions=True)
        await self.bot.shutdown()  # both clients (closing one twice does nothing)
        await self.request.shutdown()
        await self.poll_request.shutdown()

    # --- one update ----------------------------------------------------------

    async def handle_update(self, payload: Mapping[str, Any]) -> None:
        """Handles one polled update, its replies sent, in the chat's order."""
        incoming = to_incoming(payload)
        if incoming is None:
            return
        if incoming.callback is not None:
            # Not awaited here: the dispatcher must take the chat's lock before this
            # task's first await, or a later update of the chat could go first.
            self._answer(payload)

        async def send(replies: list[Reply]) -> None:
            await self.deliver(incoming, replies)

        await self.dispatcher.handle(incoming, CAPABILITIES, self.fetch, send)

    def _answer(self, payload: Mapping[str, Any]) -> None:
        """Stops a pressed button's spinner (answerCallbackQuery), in the background."""
        query = payload.get("callback_query")
        if isinstance(query, Mapping) and isinstance(query.get("id"), str):
            task = asyncio.create_task(self.acknowledge(payload))
            self._answers.add(task)
            task.add_done_callback(self._answered)

    def _answered(self, task: asyncio.Task[None]) -> None:
        self._answers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("callback answer failed", exc_info=task.exception())

    # --- webhook mode (bot/channels/webhook.py WebhookChannel) ---------------

    @property
    def name(self) -> str:
        return CHANNEL

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES

    def authentic(self, headers: Mapping[str, str], body: bytes) -> bool:
        given = headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(given.encode(), self._webhook_secret.encode())

    def update_key(self, payload: Mapping[str, Any]) -> str | None:
        update_id = payload.get("update_id")
        return str(update_id) if isinstance(update_id, int) else None

    def to_incoming(self, payload: Mapping[str, Any]) -> Incoming | None:
        """The same parsing as long polling (`to_incoming`)."""
        return to_incoming(payload)

    async def fetch(self, file_id: str) -> bytes:
        file = await self.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

    async def deliver(self, incoming: Incoming, replies: list[Reply]) -> None:
        await send_replies(
            self.api, int(incoming.chat_id), replies, self.delivery, incoming.user_id
        )

    async def acknowledge(self, payload: Mapping[str, Any]) -> None:
        """Stops a pressed button's spinner (answerCallbackQuery)."""
        query = payload.get("callback_query")
        if isinstance(query, Mapping) and isinstance(query.get("id"), str):
            try:
                await self.api("answerCallbackQuery", {"callback_query_id": query["id"]})
            except TelegramError:
                log.debug("callback answer failed", exc_info=True)

    async def register_webhook(self, url: str) -> None:
        await self.bot.set_webhook(
            url, secret_token=self._webhook_secret, drop_pending_updates=False
        )

"""Telegram through python-telegram-bot: updates in, replies rendered and delivered.

Replies leave through `ReplyDelivery` (bot/outbox/replies.py): paced by the
bot token's limiter ahead of the outbox, sent again after a 429 or a failure
that proves nothing was sent, never repeated when it may have arrived.

The Bot API base URLs come from settings, so a self-hosted Bot API server
(or the tests' loopback fake) is one environment variable away.
"""

from __future__ import annotations

import hmac
import logging
import mimetypes
import secrets
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.channels.telegram_errors import outcome_of
from bot.channels.telegram_http import AiohttpRequest, InputUpload
from bot.channels.text_split import split_text
from bot.config import Settings
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


def to_incoming(update: Update) -> Incoming | None:
    """The parts of a Telegram update the core understands; None for the rest."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    incoming = Incoming(
        channel=CHANNEL,
        chat_id=str(chat.id),
        user_id=str(user.id),
        user_name=user.full_name,
        language=user.language_code,
    )
    if update.callback_query is not None:
        incoming.callback = update.callback_query.data or ""
        return incoming
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        incoming.text = message.text
    elif message.caption is not None:
        incoming.text = None  # a caption is not an answer; the attachment is
    if message.photo:
        biggest = message.photo[-1]
        incoming.photo = FileRef(biggest.file_id, size=biggest.file_size, mime="image/jpeg")
    elif message.document is not None:
        document = message.document
        incoming.document = FileRef(
            document.file_id,
            size=document.file_size,
            mime=document.mime_type,
            name=document.file_name,
        )
    elif message.contact is not None:
        contact = message.contact
        owner = str(contact.user_id) if contact.user_id is not None else None
        incoming.contact = Contact(contact.phone_number, owner)
    elif message.location is not None:
        incoming.location = Location(message.location.latitude, message.location.longitude)
    elif message.text is None:
        incoming.text = ""  # a sticker, voice note…: answered as empty input
    return incoming


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
    """Feeds every update to the dispatcher and renders what comes back."""

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
        self.application: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(settings.telegram_token)
            .base_url(settings.telegram_api_url)
            .base_file_url(settings.telegram_file_url)
            .request(self.request)
            .get_updates_request(AiohttpRequest(connection_pool_size=1))
            # Updates of different chats run side by side; the dispatcher
            # keeps each chat's updates in order.
            .concurrent_updates(settings.telegram_concurrent_updates)
            .build()
        )
        self.application.add_handler(TypeHandler(Update, self.on_update))
        self.application.add_error_handler(self.on_error)
        self.poll_timeout = settings.telegram_poll_timeout
        # Webhook mode: sent by Telegram with every update (A-Z a-z 0-9 _ - only).
        self._webhook_secret = settings.webhook_secret or secrets.token_urlsafe(32)

    async def api(
        self,
        method: str,
        params: Mapping[str, object],
        files: Mapping[str, InputUpload] | None = None,
    ) -> Any:
        """A Bot API call on the bot's own connection pool, its raw result (see `reply_calls`)."""
        return await self.request.call(f"{self.application.bot.base_url}/{method}", params, files)

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming = to_incoming(update)
        if incoming is None:
            return
        bot = context.bot
        if update.callback_query is not None:
            try:  # stops the button's spinner
                await self.api(
                    "answerCallbackQuery", {"callback_query_id": update.callback_query.id}
                )
            except TelegramError:
                log.debug("callback answer failed", exc_info=True)

        async def fetch(file_id: str) -> bytes:
            file = await bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())

        async def send(replies: list[Reply]) -> None:
            await send_replies(
                self.api, int(incoming.chat_id), replies, self.delivery, incoming.user_id
            )

        await self.dispatcher.handle(incoming, CAPABILITIES, fetch, send)

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
        """The same parsing as long polling (Update.de_json, then `to_incoming`)."""
        update = Update.de_json(dict(payload), self.application.bot)
        return None if update is None else to_incoming(update)

    async def fetch(self, file_id: str) -> bytes:
        file = await self.application.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

    async def deliver(self, incoming: Incoming, replies: list[Reply]) -> None:
        await send_replies(
            self.api, int(incoming.chat_id), replies, self.delivery, incoming.user_id
        )

    async def acknowledge(self, payload: Mapping[str, Any]) -> None:
        """Stops a pressed button's spinner, as `on_update` does when polling."""
        query = payload.get("callback_query")
        if isinstance(query, Mapping) and isinstance(query.get("id"), str):
            try:
                await self.application.bot.answer_callback_query(query["id"])
            except TelegramError:
                log.debug("callback answer failed", exc_info=True)

    async def register_webhook(self, url: str) -> None:
        await self.application.bot.set_webhook(
            url, secret_token=self._webhook_secret, drop_pending_updates=False
        )

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram error: %s", type(context.error).__name__, exc_info=context.error)

    async def start(self) -> None:
        """Long polling in the background (call stop() to end)."""
        await self.application.initialize()
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            poll_interval=0, timeout=self.poll_timeout, drop_pending_updates=False
        )

    async def stop(self) -> None:
        assert self.application.updater is not None
        if self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

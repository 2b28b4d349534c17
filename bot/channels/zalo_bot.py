"""Zalo Bot Platform (bots made in Zalo Bot Creator): updates in, replies out.

Updates come by long polling (getUpdates: one update per call, HTTP 408
when none came, no offset) or, with `settings.webhook`, by POST to
/webhook/zalo_bot with the secret registered by setWebhook in the
X-Bot-Api-Secret-Token header (this class is a `WebhookChannel`).

The platform shows no buttons, so the dispatcher numbers menus and offers
/back /skip /later /cancel (`CAPABILITIES`). It takes text up to 2,000
characters and photos by URL only: photos, labels, charts and PDFs are
kept by the web app under expiring links (bot/core/file_links.py); a photo
goes by sendPhoto, a file as a link in the text. Replies leave through the
token's limiter (`ReplyDelivery`), like Telegram's.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from bot.channels.linked_files import file_name, with_link
from bot.channels.text_split import split_text
from bot.channels.webhook import Payload
from bot.channels.zalo_bot_api import MaybeSent, NotSent, ZaloBotApi, ZaloBotError, unwrap
from bot.channels.zalo_bot_errors import outcome_of
from bot.config import SendLimits, Settings
from bot.core.dispatcher import Dispatcher
from bot.core.file_links import FileLinks, file_links
from bot.core.types import Capabilities, FileRef, Incoming, Reply
from bot.outbox.limiter import RateLimiter
from bot.outbox.replies import Call, ReplyDelivery

log = logging.getLogger(__name__)

CHANNEL = "zalo_bot"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
UNSUPPORTED = "message.unsupported.received"
EVENTS = frozenset({TEXT, IMAGE, STICKER, UNSUPPORTED})
SEEN = 4096  # message ids remembered: a redelivered update is handled once
POLL_FIRST_WAIT = 1.0  # seconds after a failed getUpdates; doubles up to POLL_MAX_WAIT
POLL_MAX_WAIT = 60.0


def capabilities(limits: SendLimits) -> Capabilities:
    return Capabilities(
        inline_buttons=False,  # numbered menus and /back /skip /later /cancel
        contact_request=False,
        location_request=False,
        file_upload=False,  # users send text, photos and stickers only
        max_text=limits.max_text,
        max_caption=limits.max_caption,
    )


class ZaloBotChannel:
    """Feeds every update to the dispatcher and sends what comes back."""

    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        limiter: RateLimiter | None = None,
        *,
        links: FileLinks | None = None,
    ) -> None:
        config = settings.zalo_bot
        if not config.token:
            raise ValueError("OCOP_ZALO_BOT_TOKEN is not set")
        self.api = ZaloBotApi(config.api_url, config.token)
        self.dispatcher = dispatcher
        self.limits = config.limits
        self.caps = capabilities(config.limits)
        self.poll_timeout = config.poll_timeout
        self.max_photo_bytes = settings.media.max_photo_bytes
        # One limiter per bot token: bot/cli.py hands the same one to the outbox worker.
        self.limiter = limiter or RateLimiter.of(config.limits)
        self.delivery = ReplyDelivery(
            self.limiter, outcome_of, dispatcher.db, CHANNEL, dispatcher.app.clock
        )
        self.links = links or file_links(settings, dispatcher.app.media.root, dispatcher.app.clock)
        # Webhook mode: OCOP_WEBHOOK_SECRET, or one drawn for this start (8-256 characters).
        self._secret = settings.webhook_secret or secrets.token_urlsafe(32)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._poller: asyncio.Task[None] | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.bot_name = ""

    def __repr__(self) -> str:
        return f"ZaloBotChannel({self.api!r})"

    @property
    def capabilities(self) -> Capabilities:
        return self.caps

    # --- start and stop ------------------------------------------------------

    async def connect(self) -> None:
        """getMe: raises ZaloBotError when the token is refused, NotSent/MaybeSent offline."""
        me = await self.api.get_me()
        self.bot_name = str(me.get("account_name") or me.get("display_name") or "")

    async def start_polling(self) -> None:
        """Long polling in the background (stop() ends it); a webhook set before is removed,
        since getUpdates does not work while one is set."""
        await self.api.delete_webhook()
        self._poller = asyncio.create_task(self._poll(), name="zalo-bot-polling")

    async def register_webhook(self, url: str) -> None:
        await self.api.set_webhook(url, self._secret)

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.api.close()

    async def _poll(self) -> None:
        wait = POLL_FIRST_WAIT
        while True:
            try:
                update = await self.api.get_updates(self.poll_timeout)
            except (ZaloBotError, NotSent, MaybeSent) as error:
                log.warning("Zalo Bot getUpdates: %s; again in %.0f s", error, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, POLL_MAX_WAIT)
                continue
            wait = POLL_FIRST_WAIT
            if update is not None:
                self.take(update)

    def take(self, payload: Payload) -> asyncio.Task[None] | None:
        """Handles one polled update in the background (the dispatcher keeps chats in order)."""
        key = self.update_key(payload)
        if key is None or self._repeated(key):
            return None
        incoming = self.to_incoming(payload)
        if incoming is None:
            return None
        task = asyncio.create_task(self.handle(incoming), name=f"zalo-bot-{key}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def _repeated(self, key: str) -> bool:
        if key in self._seen:
            log.info("Zalo Bot: message %s came again; handled once", key)
            return True
        self._seen[key] = None
        if len(self._seen) > SEEN:
            self._seen.popitem(last=False)
        return False

    async def handle(self, incoming: Incoming) -> None:
        async def send(replies: list[Reply]) -> None:
            await self.deliver(incoming, replies)

        await self.dispatcher.handle(incoming, self.caps, self.fetch, send)

    # --- WebhookChannel ------------------------------------------------------

    def authentic(self, headers: Mapping[str, str], body: bytes) -> bool:
        given = headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(given.encode(), self._secret.encode())

    def update_key(self, payload: Payload) -> str | None:
        update = unwrap(payload)
        event = update.get("event_name")
        message = update.get("message")
        if event not in EVENTS or not isinstance(message, Mapping):
            log.info("Zalo Bot: ignored an update of kind %r", event)
            return None
        message_id = message.get("message_id")
        # Without an id (not seen, but not promised either) it is handled, never deduplicated.
        return str(message_id) if message_id is not None else f"-{secrets.token_hex(8)}"

    def to_incoming(self, payload: Payload) -> Incoming | None:
        update = unwrap(payload)
        event = update.get("event_name")
        message = update.get("message")
        if event not in EVENTS or not isinstance(message, Mapping):
            return None
        sender = _mapping(message.get("from"))
        chat = _mapping(message.get("chat"))
        user_id = sender.get("id")
        chat_id = chat.get("id", user_id)
        if user_id is None or chat_id is None or sender.get("is_bot") is True:
            return None
        if chat.get("chat_type") == "GROUP":
            # The assistant's screens are personal (a producer's products, an officer's
            # queue): in a group they would show to everyone. Safe reading: ignored.
            log.info("Zalo Bot: ignored a group message")
            return None
        name = sender.get("display_name") or sender.get("name") or sender.get("first_name")
        incoming = Incoming(
            channel=CHANNEL, chat_id=str(chat_id), user_id=str(user_id), user_name=str(name or "")
        )
        if event == TEXT:
            incoming.text = str(message.get("text") or "")
        elif event == IMAGE:
            url = message.get("photo_url") or message.get("photo") or message.get("url")
            if not isinstance(url, str) or not url:
                incoming.text = ""
            else:
                incoming.photo = FileRef(url)
        else:  # a sticker or something the platform does not pass on: empty input
            incoming.text = ""
        return incoming

    async def fetch(self, file_id: str) -> bytes:
        return await self.api.download(file_id, self.max_photo_bytes)

    async def deliver(self, incoming: Incoming, replies: list[Reply]) -> None:
        calls = await self.reply_calls(incoming.chat_id, replies)
        await self.delivery.deliver(incoming.chat_id, incoming.user_id, calls)

    # --- replies -------------------------------------------------------------

    async def reply_calls(self, chat_id: str, replies: list[Reply]) -> list[Call]:
        """One API call per message the replies make, in order; files become links first."""
        calls: list[Call] = []
        for reply in replies:
            text = reply.text
            if reply.photo is not None:
                data = reply.photo if isinstance(reply.photo, bytes) else await _read(reply.photo)
                name = reply.photo.name if isinstance(reply.photo, Path) else file_name(data)
                url = await self.links.publish(data, name)
                caption = text if text and len(text) <= self.limits.max_caption else ""
                calls.append(partial(self.api.send_photo, chat_id, url, caption))
                if caption:
                    continue
            if reply.document is not None:
                text = await with_link(self.links, text, reply.document, reply.document_name)
            for piece in split_text(text, self.limits.max_text):
                calls.append(partial(self.api.send_message, chat_id, piece))
        return calls


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


async def _read(path: Path) -> bytes:
    return await asyncio.to_thread(path.read_bytes)

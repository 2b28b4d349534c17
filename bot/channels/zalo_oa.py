"""A Zalo Official Account (API v3) as a webhook channel: events in, consultation messages out.

Zalo POSTs each event to /webhook/zalo_oa (bot/web/webhooks.py). Every
request's X-ZEvent-Signature is checked, and an event signed too long ago is
refused (bot/channels/zalo_oa_signature.py); one seen already (same message
id) is ignored, so neither a forged nor a replayed event changes anything.
Text, images, locations and files become `Incoming`s; a follow starts the
chat like /start; an unfollow marks the user blocked. Replies leave through
`ReplyDelivery` under the OA's own limiter, each one taken from the user's
reply window first (bot/channels/zalo_oa_window.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from bot.channels import zalo_oa_render as render
from bot.channels.linked_files import with_link
from bot.channels.webhook import Payload
from bot.channels.zalo_oa_api import ZaloOAClient
from bot.channels.zalo_oa_errors import OutsideWindow, outcome_of
from bot.channels.zalo_oa_signature import verify
from bot.channels.zalo_oa_window import ReplyWindows
from bot.config import Settings
from bot.core.file_links import FileLinks
from bot.core.types import Capabilities, FileRef, Incoming, Location, Reply
from bot.outbox.limiter import RateLimiter
from bot.outbox.replies import Call, ReplyDelivery
from storage import outbox
from storage.db import Database

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
MESSAGE_EVENTS = frozenset(
    {
        "user_send_text",
        "user_send_image",
        "user_send_location",
        "user_send_file",
        "user_send_sticker",
        "user_send_gif",
        "user_send_audio",
        "user_send_video",
        "user_send_link",
        "user_send_business_card",
    }
)
FOLLOW, UNFOLLOW = "follow", "unfollow"
SEEN_KEYS = 10_000  # event ids remembered to ignore a replay (they expire with max_age anyway)


def capabilities(settings: Settings) -> Capabilities:
    config = settings.zalo_oa
    return Capabilities(
        inline_buttons=config.limits.buttons,
        contact_request=False,
        location_request=False,
        file_upload=True,
        max_text=config.limits.max_text,
        max_caption=config.limits.max_caption,
        max_buttons=config.max_buttons,
        max_button_label=config.button_title,
    )


def sender_id(payload: Payload) -> str | None:
    """The user an event is about."""
    event = payload.get("event_name")
    holder = payload.get("follower") if event in (FOLLOW, UNFOLLOW) else payload.get("sender")
    if isinstance(holder, Mapping) and holder.get("id") is not None:
        return str(holder["id"])
    return None


def _attachment(payload: Payload) -> Mapping[str, Any]:
    message = payload.get("message")
    attachments = message.get("attachments") if isinstance(message, Mapping) else None
    if isinstance(attachments, list) and attachments and isinstance(attachments[0], Mapping):
        inner = attachments[0].get("payload")
        return inner if isinstance(inner, Mapping) else {}
    return {}


class ZaloOAChannel:
    """The WebhookChannel for one Official Account."""

    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        client: ZaloOAClient,
        windows: ReplyWindows,
        db: Database,
        limiter: RateLimiter,
        links: FileLinks,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        config = settings.zalo_oa
        if not config.app_id or not config.signing_secret:
            raise ValueError("OCOP_ZALO_OA_APP_ID and OCOP_ZALO_OA_SECRET are not set")
        self._app_id = config.app_id
        self._secret = config.signing_secret
        self._max_age = config.event_max_age
        self.capabilities = capabilities(settings)
        self.client = client
        self.windows = windows
        self.db = db
        self.limiter = limiter
        self.links = links  # documents Zalo's upload refuses go as links (GET /f/...)
        self.delivery = ReplyDelivery(limiter, outcome_of, db, CHANNEL, windows.clock)
        self._wall_clock = wall_clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return "ZaloOAChannel()"  # never the secret

    # --- the webhook ---------------------------------------------------------------

    def authentic(self, headers: Mapping[str, str], body: bytes) -> bool:
        return verify(
            headers,
            body,
            app_id=self._app_id,
            secret=self._secret,
            now=self._wall_clock(),
            max_age=self._max_age,
        )

    def update_key(self, payload: Payload) -> str | None:
        """The message id (a follow: its user and time); None for an event seen already
        (a replay within the accepted age) and for events the bot does not take."""
        event = payload.get("event_name")
        user = sender_id(payload)
        if user is None or (event not in MESSAGE_EVENTS and event not in (FOLLOW, UNFOLLOW)):
            return None
        message = payload.get("message")
        msg_id = message.get("msg_id") if isinstance(message, Mapping) else None
        key = str(msg_id) if msg_id else f"{event}:{user}:{payload.get('timestamp')}"
        return key if self._first_time(key) else None

    def _first_time(self, key: str) -> bool:
        now = self._wall_clock()
        while self._seen and (
            len(self._seen) >= SEEN_KEYS or next(iter(self._seen.values())) < now
        ):
            self._seen.popitem(last=False)
        if key in self._seen:
            log.info("Zalo OA: ignored an event seen already")
            return False
        self._seen[key] = now + 2 * self._max_age
        return True

    def to_incoming(self, payload: Payload) -> Incoming | None:
        event = payload.get("event_name")
        user = sender_id(payload)
        if user is None:
            return None
        if event == UNFOLLOW:
            self._spawn(self._unfollowed(user))
            return None
        incoming = Incoming(channel=CHANNEL, chat_id=user, user_id=user)
        if event == FOLLOW:
            incoming.text = "/start"  # the greeting a first contact gets
            return incoming
        if event not in MESSAGE_EVENTS:
            return None
        message = payload.get("message")
        text = message.get("text") if isinstance(message, Mapping) else None
        attachment = _attachment(payload)
        if event == "user_send_text" and isinstance(text, str):
            callback = render.callback_of(text)
            if callback is not None:
                incoming.callback = callback
            else:
                incoming.text = text
        elif event == "user_send_image" and attachment.get("url"):
            incoming.photo = FileRef(str(attachment["url"]), mime="image/jpeg")
        elif event == "user_send_location" and isinstance(attachment.get("coordinates"), Mapping):
            where = attachment["coordinates"]
            try:
                incoming.location = Location(float(where["latitude"]), float(where["longitude"]))
            except (KeyError, TypeError, ValueError):
                incoming.text = ""
        elif event == "user_send_file" and attachment.get("url"):
            size = attachment.get("size")
            incoming.document = FileRef(
                str(attachment["url"]),
                size=int(str(size)) if str(size or "").isdigit() else None,
                mime=None,
                name=str(attachment.get("name") or "") or None,
            )
        else:
            incoming.text = ""  # a sticker, a voice note…: answered as empty input
        return incoming

    async def fetch(self, file_id: str) -> bytes:
        return await self.client.download(file_id)

    async def register_webhook(self, url: str) -> None:
        """Zalo has no API for it: the URL is entered on the app's Webhook page (README)."""
        log.info("Zalo OA: set the webhook URL %s in Zalo for Developers", url)

    # --- replies -----------------------------------------------------------------------

    async def deliver(self, incoming: Incoming, replies: list[Reply]) -> None:
        """The user just wrote: their window opens again, then each message takes from it."""
        try:
            await self.windows.opened(incoming.chat_id)
        except Exception:
            log.exception("Zalo OA: could not record the reply window of %s", incoming.chat_id)
        calls = [self._call(incoming.chat_id, make) for make in await self._messages(replies)]
        await self.delivery.deliver(incoming.chat_id, incoming.user_id, calls)

    async def _messages(
        self, replies: list[Reply]
    ) -> list[Callable[[], Awaitable[dict[str, Any]]]]:
        """Each message the replies make, as a maker (uploads happen when its turn comes).

        A document Zalo's upload refuses (XLSX, CSV, over 5 MB) goes as a link under
        the text, so it takes no message of its own from the reply window."""
        makers: list[Callable[[], Awaitable[dict[str, Any]]]] = []
        limit = self.capabilities.max_text
        for reply in replies:
            text = reply.text
            if reply.photo is not None:
                makers.append(self._image_maker(reply.photo))
            if reply.document is not None:
                upload = render.file_upload(reply.document, reply.document_name, _mime(reply))
                if upload is not None:
                    makers.append(self._file_maker(upload))
                else:
                    text = await with_link(self.links, text, reply.document, reply.document_name)
            buttons: render.ButtonRows = []
            if reply.callback_data and self.capabilities.fits_buttons(reply.buttons):
                buttons = [
                    [(button.label, data) for button, data in zip(row, data_row, strict=True)]
                    for row, data_row in zip(reply.buttons, reply.callback_data, strict=True)
                ]
            for message in render.text_messages(text, buttons, limit):
                makers.append(_ready(message))
        return makers

    def _image_maker(self, photo: bytes | Path) -> Callable[[], Awaitable[dict[str, Any]]]:
        async def make() -> dict[str, Any]:
            if isinstance(photo, Path):
                upload = await asyncio.to_thread(lambda: render.fit_image(photo.read_bytes()))
            else:
                upload = await asyncio.to_thread(render.fit_image, photo)
            attachment_id = await self.client.upload_image(upload.content, upload.name, upload.mime)
            return render.image_message(attachment_id)

        return make

    def _file_maker(self, upload: render.Upload) -> Callable[[], Awaitable[dict[str, Any]]]:
        async def make() -> dict[str, Any]:
            token = await self.client.upload_file(upload.content, upload.name, upload.mime)
            return render.file_message(token)

        return make

    def _call(self, chat_id: str, make: Callable[[], Awaitable[dict[str, Any]]]) -> Call:
        async def call() -> None:
            message = await make()
            if not await self.windows.claim(chat_id):
                raise OutsideWindow()
            await self.client.send(chat_id, message)

        return call

    # --- unfollow -------------------------------------------------------------------

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _unfollowed(self, user: str) -> None:
        try:
            async with self.db.transaction() as session:
                await outbox.block_user(session, CHANNEL, user, self.windows.clock())
        except Exception:
            log.exception("Zalo OA: could not record that %s unfollowed", user)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _ready(message: dict[str, Any]) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def make() -> dict[str, Any]:
        return message

    return make


def _mime(reply: Reply) -> str | None:
    name = (reply.document_name or "").lower()
    for mime, suffix in render.FILE_TYPES.items():
        if name.endswith(suffix):
            return mime
    return None

"""The outbox's Zalo OA sender: notices, broadcasts and reminders as consultation messages.

A row's messages (its attachment, its text in pieces, the buttons under the
last) are taken from the recipient's reply window together, before the
first is sent: a row the window cannot hold is "outside Zalo's window" and
never retried, instead of being sent in part. A document Zalo's upload
refuses (XLSX, CSV, over 5 MB) goes as an expiring link under the text
(bot/channels/linked_files.py), like on the Zalo Bot. What each answer means is
`outcome_of`'s rule (bot/channels/zalo_oa_errors.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels import zalo_oa_render as render
from bot.channels.linked_files import with_link
from bot.channels.zalo_oa_api import ZaloOAClient
from bot.channels.zalo_oa_errors import outcome_of
from bot.channels.zalo_oa_window import ReplyWindows
from bot.core.file_links import FileLinks
from bot.outbox.attachments import AttachmentStore
from bot.outbox.limiter import BULK, RateLimiter
from bot.outbox.sender import Attachment, Buttons, Outcome, Outgoing

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
Maker = Callable[[], Awaitable[dict[str, Any]]]


class ZaloOASender:
    channel = CHANNEL

    def __init__(
        self,
        client: ZaloOAClient,
        windows: ReplyWindows,
        attachments: AttachmentStore,
        links: FileLinks,
        limiter: RateLimiter | None = None,
        *,
        max_text: int = 2000,
    ) -> None:
        self.client = client
        self.windows = windows
        self.attachments = attachments
        self.links = links
        self.limiter = limiter
        self.max_text = max_text
        self._uploaded: dict[str, dict[str, Any]] = {}  # sha256 → message, once uploaded

    async def send(self, chat_id: str, message: Outgoing) -> Outcome:
        try:
            makers = await self._makers(message)
        except OSError as error:  # read before any of the window's allowance is taken
            return Outcome.failed(f"attachment unreadable: {error}")
        if not makers:
            return Outcome.failed("nothing Zalo OA can send")
        try:
            if not await self.windows.claim(chat_id, len(makers)):
                return Outcome.out_window()
        except Exception as error:  # the database: nothing was sent
            return Outcome.retry(f"reply window: {type(error).__name__}")
        message_id = ""
        for index, make in enumerate(makers):
            try:
                if index > 0 and self.limiter is not None:
                    self.limiter.release(chat_id)  # the worker holds the first slot
                    await self.limiter.acquire(chat_id, BULK)
                message_id = await self.client.send(chat_id, await make())
            except OSError as error:
                return Outcome.failed(f"attachment unreadable: {error}")
            except Exception as error:
                outcome = outcome_of(error)
                if index == 0:
                    return outcome
                # Part of it arrived: sending it again would repeat that part.
                return Outcome.unknown(f"partly sent: {outcome.kind} {outcome.error}")
        return Outcome.sent(message_id)

    async def edit(self, chat_id: str, message_id: str, text: str, buttons: Buttons) -> Outcome:
        # Zalo OA cannot edit a sent message; the final report still comes.
        return Outcome.failed("Zalo OA messages cannot be edited")

    async def _makers(self, message: Outgoing) -> list[Maker]:
        """The row's messages. A document Zalo's upload refuses (XLSX, CSV, over 5 MB)
        goes as a link under the text: one message fewer from the window."""
        makers: list[Maker] = []
        text, attachment = message.text, message.attachment
        if attachment is not None and attachment.kind == "photo":
            makers.append(self._photo_maker(attachment))
        elif attachment is not None:
            known = self._uploaded.get(attachment.sha256)
            if known is not None:
                makers.append(_ready(known))
            else:
                content = await self.attachments.read(attachment)
                upload = render.file_upload(content, attachment.name, attachment.mime)
                if upload is None:
                    text = await with_link(self.links, text, content, attachment.name)
                else:
                    makers.append(self._file_maker(attachment.sha256, upload))
        for body in render.text_messages(text, message.buttons, self.max_text):
            makers.append(_ready(body))
        return makers

    def _photo_maker(self, attachment: Attachment) -> Maker:
        async def make() -> dict[str, Any]:
            known = self._uploaded.get(attachment.sha256)
            if known is not None:
                return known
            content = await self.attachments.read(attachment)
            upload = await asyncio.to_thread(render.fit_image, content)
            body = render.image_message(
                await self.client.upload_image(upload.content, upload.name, upload.mime)
            )
            return self._keep(attachment.sha256, body)

        return make

    def _file_maker(self, sha256: str, upload: render.Upload) -> Maker:
        async def make() -> dict[str, Any]:
            body = render.file_message(
                await self.client.upload_file(upload.content, upload.name, upload.mime)
            )
            return self._keep(sha256, body)

        return make

    def _keep(self, sha256: str, body: dict[str, Any]) -> dict[str, Any]:
        """Remembers an uploaded attachment's message: a broadcast uploads it once."""
        if len(self._uploaded) > 64:
            self._uploaded.clear()
        self._uploaded[sha256] = body
        return body


def _ready(body: dict[str, Any]) -> Maker:
    async def make() -> dict[str, Any]:
        return body

    return make

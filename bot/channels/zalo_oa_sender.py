"""The outbox's Zalo OA sender: notices, broadcasts and reminders as consultation messages.

A row's messages (its attachment, its text in pieces, the buttons under the
last) are taken from the recipient's reply window together, before the
first is sent: a row the window cannot hold is "outside Zalo's window" and
never retried, instead of being sent in part. What each answer means is
`outcome_of`'s rule (bot/channels/zalo_oa_errors.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels import zalo_oa_render as render
from bot.channels.zalo_oa_api import ZaloOAClient
from bot.channels.zalo_oa_errors import Unsendable, outcome_of
from bot.channels.zalo_oa_window import ReplyWindows
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
        limiter: RateLimiter | None = None,
        *,
        max_text: int = 2000,
    ) -> None:
        self.client = client
        self.windows = windows
        self.attachments = attachments
        self.limiter = limiter
        self.max_text = max_text
        self._uploaded: dict[str, dict[str, Any]] = {}  # sha256 → message, once uploaded

    async def send(self, chat_id: str, message: Outgoing) -> Outcome:
        attachment = message.attachment
        document = attachment is not None and attachment.kind != "photo"
        if document and attachment is not None and attachment.mime not in render.FILE_TYPES:
            # Refused before any of the window's allowance is taken.
            return Outcome.failed(f"Zalo OA takes no {attachment.mime} file")
        makers = self._makers(message)
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

    def _makers(self, message: Outgoing) -> list[Maker]:
        makers: list[Maker] = []
        if message.attachment is not None:
            makers.append(self._attachment_maker(message.attachment))
        for body in render.text_messages(message.text, message.buttons, self.max_text):
            makers.append(_ready(body))
        return makers

    def _attachment_maker(self, attachment: Attachment) -> Maker:
        async def make() -> dict[str, Any]:
            known = self._uploaded.get(attachment.sha256)
            if known is not None:
                return known
            content = await self.attachments.read(attachment)
            if attachment.kind == "photo":
                upload = await asyncio.to_thread(render.fit_image, content)
                body = render.image_message(
                    await self.client.upload_image(upload.content, upload.name, upload.mime)
                )
            else:
                file = render.file_upload(content, attachment.name, attachment.mime)
                if file is None:  # over 5 MB
                    raise Unsendable(f"{attachment.name}: larger than Zalo OA takes")
                body = render.file_message(
                    await self.client.upload_file(file.content, file.name, file.mime)
                )
            if len(self._uploaded) > 64:
                self._uploaded.clear()
            self._uploaded[attachment.sha256] = body
            return body

        return make


def _ready(body: dict[str, Any]) -> Maker:
    async def make() -> dict[str, Any]:
        return body

    return make

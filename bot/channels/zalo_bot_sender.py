"""The outbox's Zalo Bot sender: notices, broadcasts and reminders on the Zalo Bot Platform.

A photo or file goes as an expiring link (bot/core/file_links.py): a photo by
sendPhoto, then the text; a file as a link under the text. Text over 2,000
characters goes in pieces. The platform has no buttons and no edits:
a notice's buttons become a numbered list under its text (a typed number
acts as the button), and a broadcast's progress report is sent once, when
it is final (the edits before it have nothing to change).
What each failure means is `outcome_of` (bot/channels/zalo_bot_errors.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine

from bot.channels.linked_files import below, file_line, file_name
from bot.channels.text_split import split_text
from bot.channels.zalo_bot import CHANNEL
from bot.channels.zalo_bot_api import ZaloBotApi
from bot.channels.zalo_bot_errors import outcome_of
from bot.config import SendLimits
from bot.core.file_links import FileLinks
from bot.core.types import menu_line
from bot.outbox.attachments import AttachmentStore
from bot.outbox.limiter import BULK, RateLimiter
from bot.outbox.sender import Attachment, Buttons, Outcome, Outgoing


class ZaloBotSender:
    channel = CHANNEL

    def __init__(
        self,
        api: ZaloBotApi,
        attachments: AttachmentStore,
        links: FileLinks,
        limits: SendLimits,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.api = api
        self.attachments = attachments
        self.links = links
        self.limits = limits
        # The worker holds the chat's slot for a row's first call; a second call
        # (the text after a photo, a long text's next piece) waits for the next slot.
        self.limiter = limiter

    async def send(self, chat_id: str, message: Outgoing) -> Outcome:
        try:
            url = await self._link(message.attachment)
        except OSError as error:
            return Outcome.failed(f"attachment unreadable: {error}")
        text = message.text
        calls: list[Awaitable[str | None]] = []
        attachment = message.attachment
        if attachment is not None and url is not None:
            if attachment.kind == "photo":
                fits = bool(text) and len(text) <= self.limits.max_caption
                calls.append(self.api.send_photo(chat_id, url, text if fits else ""))
                text = "" if fits else text
            else:
                text = below(text, file_line(attachment.name or "file", url))
        if message.buttons:
            text = below(text, numbered(message.buttons))
        calls += [
            self.api.send_message(chat_id, piece)
            for piece in split_text(text, self.limits.max_text)
        ]
        return await self._send_all(chat_id, calls)

    async def edit(self, chat_id: str, message_id: str, text: str, buttons: Buttons) -> Outcome:
        if buttons:  # still running (its stop button is on): no edits here, wait for the end
            return Outcome.sent(message_id)
        return await self._send_all(
            chat_id,
            [self.api.send_message(chat_id, p) for p in split_text(text, self.limits.max_text)],
        )

    async def _send_all(self, chat_id: str, calls: list[Awaitable[str | None]]) -> Outcome:
        first: str | None = None
        for index, call in enumerate(calls):
            if index == 0:
                try:
                    first = await call
                except Exception as error:
                    _close(calls[1:])
                    return outcome_of(error)
                continue
            try:
                if self.limiter is not None:
                    self.limiter.release(chat_id)
                    await self.limiter.acquire(chat_id, BULK)
                await call
            except Exception as error:  # part of it arrived: never sent again
                _close(calls[index:])
                return Outcome.unknown(f"partly sent: {error!r}")
        return Outcome.sent(first)

    async def _link(self, attachment: Attachment | None) -> str | None:
        if attachment is None:
            return None
        data = await self.attachments.read(attachment)
        name = attachment.name or file_name(data, attachment.kind)
        return await self.links.publish(data, name)


def numbered(buttons: Buttons) -> str:
    """A notice's buttons as the numbered list the platform can show: typing a number does
    what the button would (the dispatcher maps it to this notice while it is the newest
    list in the chat; docs/zalo.md)."""
    labels = [label for row in buttons for label, _ in row]
    return "\n".join(menu_line(number, label) for number, label in enumerate(labels, 1))


def _close(calls: list[Awaitable[str | None]]) -> None:
    for call in calls:
        if isinstance(call, Coroutine):
            call.close()  # made but never awaited

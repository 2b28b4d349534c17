"""The outbox's Telegram sender: Bot API calls for queued messages, answers mapped to outcomes.

What each answer means for "at most once" is `outcome_of`'s rule
(bot/channels/telegram_errors.py, docs/outbox.md); interactive replies
follow the same rule.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Coroutine

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot.channels.telegram import CAPABILITIES
from bot.channels.telegram_errors import outcome_of
from bot.channels.text_split import split_text
from bot.outbox.attachments import AttachmentStore
from bot.outbox.limiter import BULK, RateLimiter
from bot.outbox.sender import Attachment, Buttons, Outcome, Outgoing

log = logging.getLogger(__name__)

__all__ = ["TelegramSender", "outcome_of"]

CHANNEL = "telegram"
NOT_MODIFIED = "message is not modified"


class TelegramSender:
    """Sends through a python-telegram-bot `Bot` (the running Application's, in production)."""

    channel = CHANNEL

    def __init__(
        self, bot: Bot, attachments: AttachmentStore, limiter: RateLimiter | None = None
    ) -> None:
        # PTB 22 reads RetryAfter.retry_after as seconds with a deprecation
        # warning unless told to use the coming timedelta; opt in.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self.bot = bot
        self.attachments = attachments
        # The worker holds the chat's slot for a row's first call; a second
        # call (the text after a photo, a long text's next piece) waits for
        # the chat's next slot here.
        self.limiter = limiter
        self._file_ids: dict[str, str] = {}  # sha256 → Telegram file_id once uploaded

    async def send(self, chat_id: str, message: Outgoing) -> Outcome:
        try:
            upload = await self._upload(message.attachment)
        except OSError as error:
            return Outcome.failed(f"attachment unreadable: {error}")
        try:
            sent = await self._send(int(chat_id), message, upload)
        except PartlySent as error:  # sending it again would repeat what arrived
            return Outcome.unknown(f"partly sent: {error.__cause__!r}")
        except Exception as error:
            return outcome_of(error)
        self._remember(message.attachment, sent)
        return Outcome.sent(str(sent.message_id))

    async def edit(self, chat_id: str, message_id: str, text: str, buttons: Buttons) -> Outcome:
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=int(chat_id),
                message_id=int(message_id),
                reply_markup=_markup(buttons),
            )
        except BadRequest as error:
            if NOT_MODIFIED in str(error):
                return Outcome.sent(message_id)
            return Outcome.failed(str(error))
        except Exception as error:
            return outcome_of(error)
        return Outcome.sent(message_id)

    async def _send(self, chat_id: int, message: Outgoing, upload: bytes | str | None) -> Message:
        markup = _markup(message.buttons)
        attachment = message.attachment
        if attachment is None or upload is None:
            return await self._text(chat_id, message.text, markup)
        caption = message.text if len(message.text) <= CAPABILITIES.max_caption else None
        if attachment.kind == "photo":
            sent = await self.bot.send_photo(
                chat_id, upload, caption=caption or None, reply_markup=markup if caption else None
            )
        else:
            sent = await self.bot.send_document(
                chat_id,
                upload,
                filename=attachment.name,
                caption=caption or None,
                reply_markup=markup if caption else None,
            )
        if caption is None and message.text:  # too long for a caption: the text follows
            self._remember(attachment, sent)
            return await self._text(chat_id, message.text, markup, first=False)
        return sent

    async def _text(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None,
        *,
        first: bool = True,
    ) -> Message:
        """One message; a text over Telegram's limit goes in pieces, the buttons on the last."""
        pieces = split_text(text, CAPABILITIES.max_text) or [text]
        sent: Message | None = None
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            call = self.bot.send_message(chat_id, piece, reply_markup=markup if last else None)
            if first and index == 0:
                sent = await call
            else:
                sent = await self._follow_up(str(chat_id), call)
        assert sent is not None
        return sent

    async def _follow_up(self, chat: str, call: Awaitable[Message]) -> Message:
        """A row's next call, after its first went through: paced, and never a reason to resend."""
        try:
            if self.limiter is not None:
                self.limiter.release(chat)
                await self.limiter.acquire(chat, BULK)
            return await call
        except Exception as error:
            if isinstance(call, Coroutine):
                call.close()  # never awaited if the wait failed
            raise PartlySent from error

    async def _upload(self, attachment: Attachment | None) -> bytes | str | None:
        """What to send: the file_id Telegram gave the first upload, else the bytes."""
        if attachment is None:
            return None
        known = self._file_ids.get(attachment.sha256)
        return known if known is not None else await self.attachments.read(attachment)

    def _remember(self, attachment: Attachment | None, sent: Message) -> None:
        if attachment is None or attachment.sha256 in self._file_ids:
            return
        if sent.photo:
            self._file_ids[attachment.sha256] = sent.photo[-1].file_id
        elif sent.document is not None:
            self._file_ids[attachment.sha256] = sent.document.file_id


class PartlySent(Exception):
    """A call after the message's first failed: part of it arrived."""


def _markup(buttons: Buttons) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
    )

"""The outbox's Telegram sender: Bot API calls for queued messages, answers mapped to outcomes.

What each answer means for "at most once" (docs/outbox.md):
* 429 RetryAfter, 403 Forbidden, 400 BadRequest: Telegram refused the
  message, so it was not delivered and the worker may act on that.
* No connection made (connect error or timeout, no free pooled
  connection): nothing reached Telegram, so it is safe to try again.
* Anything else mid-call (a read timeout, a dropped connection, a 5xx from
  Telegram's gateway): Telegram may have delivered it, so it is "unknown"
  and never repeated.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram import CAPABILITIES, split_text
from bot.channels.telegram_http import NOT_SENT
from bot.outbox.attachments import AttachmentStore
from bot.outbox.sender import Attachment, Buttons, Outcome, Outgoing

log = logging.getLogger(__name__)

CHANNEL = "telegram"
NOT_MODIFIED = "message is not modified"


class TelegramSender:
    """Sends through a python-telegram-bot `Bot` (the running Application's, in production)."""

    channel = CHANNEL

    def __init__(self, bot: Bot, attachments: AttachmentStore) -> None:
        # PTB 22 reads RetryAfter.retry_after as seconds with a deprecation
        # warning unless told to use the coming timedelta; opt in.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self.bot = bot
        self.attachments = attachments
        self._file_ids: dict[str, str] = {}  # sha256 → Telegram file_id once uploaded

    async def send(self, chat_id: str, message: Outgoing) -> Outcome:
        try:
            upload = await self._upload(message.attachment)
        except OSError as error:
            return Outcome.failed(f"attachment unreadable: {error}")
        try:
            sent = await self._send(int(chat_id), message, upload)
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
            return await self._text(chat_id, message.text, markup)
        return sent

    async def _text(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> Message:
        """One message; a text over Telegram's limit goes in pieces, the buttons on the last."""
        pieces = split_text(text, CAPABILITIES.max_text) or [text]
        for piece in pieces[:-1]:
            await self.bot.send_message(chat_id, piece)
        return await self.bot.send_message(chat_id, pieces[-1], reply_markup=markup)

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


def _markup(buttons: Buttons) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
    )


def outcome_of(error: Exception) -> Outcome:
    """What a failed Bot API call means for the message (see the module docstring)."""
    if isinstance(error, RetryAfter):
        return Outcome.retry_after(_seconds(error.retry_after))
    if isinstance(error, Forbidden):
        return Outcome.blocked(str(error))
    if isinstance(error, BadRequest):
        return Outcome.failed(str(error))
    if isinstance(error, NetworkError):  # TimedOut too
        if isinstance(error.__cause__, NOT_SENT):
            return Outcome.retry(f"{type(error.__cause__).__name__}: {error}")
        return Outcome.unknown(f"{type(error).__name__}: {error}")
    if isinstance(error, TelegramError):  # InvalidToken, Conflict, ChatMigrated…
        return Outcome.failed(f"{type(error).__name__}: {error}")
    log.exception("unexpected error while sending", exc_info=error)
    return Outcome.unknown(repr(error))


def _seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)

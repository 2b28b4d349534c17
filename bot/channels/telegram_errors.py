"""What a failed Bot API call means for the message, for the outbox and interactive replies.

* 429 RetryAfter, 403 Forbidden, 400 BadRequest: Telegram refused the
  message, so it was not delivered and the sender may act on that.
* No connection made (connect error or timeout, no free pooled
  connection), or 503 Service Unavailable (the server says it did not
  handle the request): nothing was delivered, so it is safe to try again.
* Anything else mid-call (a read timeout, a dropped connection, 500, 502,
  504): Telegram may have delivered it, so it is "unknown" and never
  repeated (docs/outbox.md, "Sending each message at most once").
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram_http import NOT_SENT, ServerError
from bot.outbox.sender import Outcome

log = logging.getLogger(__name__)


def outcome_of(error: Exception) -> Outcome:
    """What a failed Bot API call means for the message (see the module docstring)."""
    if isinstance(error, RetryAfter):
        return Outcome.retry_after(_seconds(error.retry_after))
    if isinstance(error, Forbidden):
        return Outcome.blocked(str(error))
    if isinstance(error, BadRequest):
        return Outcome.failed(str(error))
    if isinstance(error, ServerError):
        if error.not_handled:
            return Outcome.retry(f"{type(error).__name__}: {error}")
        return Outcome.unknown(f"{type(error).__name__}: {error}")
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

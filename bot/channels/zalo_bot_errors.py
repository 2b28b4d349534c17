"""What a failed Zalo Bot API call means for the message (outbox and interactive replies).

Zalo documents no error table for bots; the platform mirrors Telegram's
Bot API shape (`ok`, `error_code`, `description`), so these are the safe
readings (docs/zalo.md, "Errors"):

* 429 (HTTP or error_code): too many requests, nothing delivered: wait and
  send the same message again. Zalo gives no retry_after: RATE_WAIT seconds.
* 403: the user blocked the bot or cannot be messaged: marked blocked.
* 401 / 404: the token was refused; 400 and any other 4xx: refused for good.
* No connection made, or 503: nothing delivered, safe to try again.
* Anything else mid-call (timeouts, dropped connections, 500/502/504): the
  message may have arrived: "unknown", never repeated.
"""

from __future__ import annotations

import logging

from bot.channels.zalo_bot_api import MaybeSent, NotSent, ZaloBotError
from bot.outbox.sender import Outcome

log = logging.getLogger(__name__)

RATE_WAIT = 1.0  # seconds; Zalo's 429 says no more
NOT_HANDLED = frozenset({503})
TOKEN_REFUSED = frozenset({401, 404})


def outcome_of(error: Exception) -> Outcome:
    if isinstance(error, ZaloBotError):
        if 429 in (error.status, error.code):
            return Outcome.retry_after(RATE_WAIT)
        if 403 in (error.status, error.code):
            return Outcome.blocked(str(error))
        if error.status in NOT_HANDLED:
            return Outcome.retry(str(error))
        if error.status >= 500:
            return Outcome.unknown(str(error))
        return Outcome.failed(str(error))
    if isinstance(error, NotSent):
        return Outcome.retry(str(error))
    if isinstance(error, MaybeSent):
        return Outcome.unknown(str(error))
    log.exception("unexpected error while sending", exc_info=error)
    return Outcome.unknown(repr(error))


def token_refused(error: ZaloBotError) -> bool:
    return error.status in TOKEN_REFUSED or error.code in TOKEN_REFUSED

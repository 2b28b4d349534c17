"""What a failed Zalo OA call means for the message (the outbox's rule, docs/outbox.md).

* The reply window is closed (our own count, or Zalo's -230/-232): not sent,
  and retrying cannot open it — "outside Zalo's window" in the report.
* -213, the user does not follow the OA (unfollowed): blocked.
* Zalo's error answers otherwise (an error code, HTTP 4xx): refused, not sent.
* No connection made, 503, or no access token to be had now: not sent, safe
  to try again later.
* Anything else mid-call (a read timeout, a dropped connection, 500/502/504):
  the message may have arrived, so it is "unknown" and never repeated.
"""

from __future__ import annotations

import logging

import aiohttp

from bot.channels.zalo_oa_api import ZaloOAError, ZaloOAHTTPError
from bot.channels.zalo_oa_tokens import TokenUnavailable
from bot.outbox.sender import Outcome

log = logging.getLogger(__name__)

WINDOW_ERRORS = frozenset({-230, -232})  # no interaction lately / its allowance used up
NOT_FOLLOWING = -213
RATE_LIMITED = -32
RATE_PAUSE = 1.0  # seconds: Zalo's rate-limit answer says no figure


class OutsideWindow(Exception):
    """The user's reply window has closed, by our own count: nothing was sent."""


class Unsendable(Exception):
    """A file Zalo OA does not take (its kind or size): nothing was sent."""


def outcome_of(error: Exception) -> Outcome:
    if isinstance(error, OutsideWindow):
        return Outcome.out_window()
    if isinstance(error, Unsendable):
        return Outcome.failed(str(error))
    if isinstance(error, ZaloOAError):
        if error.code in WINDOW_ERRORS:
            return Outcome.out_window(str(error))
        if error.code == NOT_FOLLOWING:
            return Outcome.blocked(str(error))
        if error.code == RATE_LIMITED:
            return Outcome.retry_after(RATE_PAUSE)
        return Outcome.failed(str(error))
    if isinstance(error, TokenUnavailable):
        return Outcome.retry(f"no Zalo OA access token: {error}")
    if isinstance(error, ZaloOAHTTPError):
        if error.status == 429:
            return Outcome.retry_after(RATE_PAUSE)
        if error.status == 503:
            return Outcome.retry(str(error))
        if 400 <= error.status < 500:
            return Outcome.failed(str(error))
        return Outcome.unknown(str(error))
    if isinstance(error, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return Outcome.retry(f"{type(error).__name__}: no connection made")
    if isinstance(error, aiohttp.ClientError | TimeoutError):
        return Outcome.unknown(f"{type(error).__name__}: {error}")
    log.exception("unexpected error while sending on Zalo OA", exc_info=error)
    return Outcome.unknown(repr(error))

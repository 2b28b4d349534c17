"""Interactive replies under the bot token's limiter: each message delivered, or said why not.

A channel turns the replies to one update into calls, one per message, and
hands them here in order. Each call waits for an INTERACTIVE slot of the
shared `RateLimiter` (ahead of any outbox send), and its failure is read
with the channel's own `classify` (the outbox's rule, docs/outbox.md):

* 429: everyone pauses for `retry_after`, then the same message goes again;
* nothing sent (no connection, 503): tried again after a backoff, a bounded
  number of times;
* 403 blocked: the user is marked blocked (as the outbox does) and the rest
  of the replies is not sent;
* perhaps delivered (read timeout, dropped connection, 500/502/504): never
  repeated, logged; the next message still goes, so the user sees the rest;
* refused (400): logged, the next message still goes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.outbox import sender as outcomes
from bot.outbox.limiter import INTERACTIVE, RateLimiter
from bot.outbox.sender import Outcome
from storage import outbox
from storage.db import Database

log = logging.getLogger(__name__)

Call = Callable[[], Awaitable[object]]
Classify = Callable[[Exception], Outcome]

MAX_RETRIES = 4  # "not sent" failures of one message: 0.5 + 1 + 2 + 4 s of backoff
MAX_FLOOD_WAITS = 10  # 429s of one message; more means the limits are far off
BACKOFF = 0.5


class ReplyDelivery:
    def __init__(
        self,
        limiter: RateLimiter,
        classify: Classify,
        db: Database,
        channel: str,
        clock: Callable[[], dt.datetime],
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.limiter = limiter
        self.classify = classify
        self.db = db
        self.channel = channel
        self.clock = clock
        self._sleep = sleep

    async def deliver(self, chat: str, user: str, calls: Sequence[Call]) -> list[Outcome]:
        """Sends the calls in order; the outcome of each one made (fewer if the user blocked us)."""
        results: list[Outcome] = []
        for index, call in enumerate(calls):
            outcome = await self._one(chat, call)
            results.append(outcome)
            if outcome.kind == outcomes.BLOCKED:
                await self._blocked(user)
                log.info("chat %s blocked the bot: %d replies not sent", chat, len(calls) - index)
                break
            if outcome.kind != outcomes.SENT:
                log.warning("reply to chat %s: %s (%s)", chat, outcome.kind, outcome.error)
        return results

    async def _one(self, chat: str, call: Call) -> Outcome:
        retries = floods = 0
        while True:
            async with self.limiter.slot(chat, INTERACTIVE):
                try:
                    await call()
                    return Outcome.sent(None)
                except Exception as error:
                    outcome = self.classify(error)
            if outcome.kind == outcomes.RETRY_AFTER and floods < MAX_FLOOD_WAITS:
                floods += 1
                self.limiter.pause(outcome.seconds)  # the slot waits it out, for everyone
                continue
            if outcome.kind == outcomes.RETRY and retries < MAX_RETRIES:
                await self._sleep(BACKOFF * 2**retries)
                retries += 1
                continue
            return outcome

    async def _blocked(self, user: str) -> None:
        try:
            async with self.db.transaction() as session:
                await outbox.block_user(session, self.channel, user, self.clock())
        except Exception:
            log.exception("could not record that user %s blocked the bot", user)

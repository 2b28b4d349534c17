"""Telegram long polling on the bot's own aiohttp client: getUpdates in, one task per update.

python-telegram-bot's Application and Updater did this before, at a cost:
every update was parsed into Update/Message/CallbackQuery objects (a
pressed button carries its whole message, keyboard included) and went
through PTB's queue and handler machinery: about 0.2 ms of CPU per update
(a sixth of the event loop's time under cProfile, which overstates many
small calls), against some 0.04 ms for what replaced it. Here the raw JSON
of each update is handed to `handle` as it is (bot/channels/telegram.py
parses only what the core reads).

* deleteWebhook first (pending updates kept), as PTB's start_polling did:
  getUpdates does not work while a webhook is set.
* getUpdates(offset, timeout) on a connection of its own, the HTTP read
  timeout longer than the long poll; offset = the last update's id + 1.
* Each update is a task, at most `concurrency` at once. Tasks start in the
  order the updates came, and the dispatcher takes the chat's FIFO lock
  before its first await, so each chat's updates are handled in order.
* Failures: network errors, timeouts and 5xx are retried after a wait that
  doubles up to POLL_MAX_WAIT (one warning per outage); 409 Conflict (another
  getUpdates, or a webhook set meanwhile) after CONFLICT_WAIT; 429 after its
  retry_after; a rejected token (401/404) ends polling and calls
  `on_rejected` (/readyz then says "token rejected"). An error while
  handling one update is logged and never ends the loop.
* stop(): no new updates taken, those in hand finish (at most `grace`), and
  a last getUpdates(offset, timeout=0, limit=1) confirms the ones fetched,
  so the next start does not get them again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram_http import AiohttpRequest

log = logging.getLogger(__name__)

POLL_FIRST_WAIT = 1.0  # seconds after a failed getUpdates; doubles up to POLL_MAX_WAIT
POLL_MAX_WAIT = 60.0
CONFLICT_WAIT = 5.0  # after 409 Conflict: another instance polls, or a webhook is set
READ_MARGIN = 10.0  # seconds the getUpdates answer may take beyond the long-poll timeout
STOP_GRACE = 10.0  # at stop, how long the updates in hand may take to finish

Update = Mapping[str, Any]
Handler = Callable[[Update], Awaitable[None]]


class Poller:
    """getUpdates in a loop on `request` (a pool of one connection), each update to `handle`.

    `url` is the bot's Bot API URL (…/bot<token>); `timeout` the long-poll seconds.
    """

    def __init__(
        self,
        url: str,
        request: AiohttpRequest,
        handle: Handler,
        *,
        timeout: int,
        concurrency: int,
        on_rejected: Callable[[], None] | None = None,
    ) -> None:
        # RetryAfter.retry_after as a timedelta, without PTB's deprecation warning (as
        # bot/channels/telegram_sender.py does).
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self.url = url
        self.request = request
        self.handle = handle
        self.timeout = timeout
        self.on_rejected = on_rejected
        self.offset: int | None = None  # the next update id to ask for
        self.rejected = False  # the token was rejected: polling ended
        self.tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._loop_task: asyncio.Task[None] | None = None
        self._outage = _Outage()

    @property
    def running(self) -> bool:
        return self._loop_task is not None and not self._loop_task.done()

    async def start(self) -> None:
        """Polls in the background until stop()."""
        await self.request.initialize()
        self._loop_task = asyncio.create_task(self._poll(), name="telegram-polling")

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stops taking updates, lets those in hand finish, confirms the ones fetched."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        if self.tasks:
            _done, pending = await asyncio.wait(set(self.tasks), timeout=grace)
            if pending:
                log.warning(
                    "Telegram: %d update(s) still in hand after %.0f s; cancelled",
                    len(pending),
                    grace,
                )
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
        if self.offset is not None and not self.rejected:
            try:
                await self._call("getUpdates", {"offset": self.offset, "timeout": 0, "limit": 1})
            except Exception as error:  # the next start gets them again: handled twice
                log.warning("Telegram: the last updates were not confirmed (%s)", error)

    async def _poll(self) -> None:
        deleted = False
        while True:
            try:
                if not deleted:  # getUpdates answers 409 while a webhook is set
                    await self._call("deleteWebhook", {"drop_pending_updates": False})
                    deleted = True
                updates = await self._call(
                    "getUpdates",
                    {"offset": self.offset, "timeout": self.timeout},
                    read_timeout=self.timeout + READ_MARGIN,
                )
            except InvalidToken:
                log.error(
                    "Telegram: token rejected by getUpdates; polling stopped "
                    "(check OCOP_TELEGRAM_TOKEN)"
                )
                self.rejected = True
                if self.on_rejected is not None:
                    self.on_rejected()
                return
            except RetryAfter as error:
                wait = _seconds(error.retry_after)
                log.warning("Telegram getUpdates: flood control, again in %.0f s", wait)
                await asyncio.sleep(wait)
            except Conflict:
                if self._outage.failed("conflict")[0]:
                    log.warning(
                        "Telegram getUpdates: 409 Conflict (another instance polls this "
                        "token, or a webhook is set); trying again every %.0f s",
                        CONFLICT_WAIT,
                    )
                await asyncio.sleep(CONFLICT_WAIT)
            except Exception as error:
                first, wait = self._outage.failed(type(error).__name__)
                if first and isinstance(error, NetworkError):  # timeouts and 5xx too
                    log.warning(
                        "Telegram getUpdates: %s; trying again, at most %.0f s apart",
                        error,
                        POLL_MAX_WAIT,
                    )
                elif first and isinstance(error, TelegramError):
                    log.error("Telegram getUpdates refused: %s; trying again", error)
                elif first:
                    log.exception("Telegram getUpdates failed; trying again")
                await asyncio.sleep(wait)
            else:
                if isinstance(updates, list):
                    self._outage.end()
                    await self._hand_over(updates)
                    continue
                first, wait = self._outage.failed("no list")
                if first:
                    log.warning("Telegram getUpdates: a result that is no list; trying again")
                await asyncio.sleep(wait)

    async def _hand_over(self, updates: list[Any]) -> None:
        for update in updates:
            update_id = update.get("update_id") if isinstance(update, Mapping) else None
            if not isinstance(update_id, int):
                log.warning("Telegram: an update without an id, ignored")
                continue
            await self._slots.acquire()
            # No await from here to the handler's first step: tasks start in this order.
            task = asyncio.create_task(self._handle(update), name=f"telegram-{update_id}")
            self.tasks.add(task)
            task.add_done_callback(self._finished)
            self.offset = max(self.offset or 0, update_id + 1)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self._slots.release()

    async def _handle(self, update: Update) -> None:
        try:
            await self.handle(update)
        except Exception:  # the dispatcher has shown the user an error reference already
            log.exception("Telegram update %s: handling failed", update.get("update_id"))

    async def _call(
        self, method: str, params: Mapping[str, object], read_timeout: float | None = None
    ) -> Any:
        return await self.request.call(
            f"{self.url}/{method}", params, None, read_timeout=read_timeout
        )


class _Outage:
    """A run of failed getUpdates: logged once, the wait doubling from try to try."""

    def __init__(self) -> None:
        self.next_wait = POLL_FIRST_WAIT
        self.since: float | None = None
        self.tries = 0
        self.kind = ""

    def failed(self, kind: str) -> tuple[bool, float]:
        """Counts a failed try: whether to log it (the first of an outage, or of another
        kind of failure), and how long to wait before the next."""
        first = self.since is None or kind != self.kind
        if self.since is None:
            self.since = time.monotonic()
        self.kind, self.tries = kind, self.tries + 1
        wait, self.next_wait = self.next_wait, min(self.next_wait * 2, POLL_MAX_WAIT)
        return first, wait

    def end(self) -> None:
        if self.since is not None:
            log.info(
                "Telegram getUpdates answers again (after %d failed tries, %.0f s)",
                self.tries,
                time.monotonic() - self.since,
            )
            self.next_wait, self.since, self.tries, self.kind = POLL_FIRST_WAIT, None, 0, ""


def _seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)

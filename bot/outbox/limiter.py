"""Pacing under a channel's limits, shared by everything that sends with one bot token.

One `RateLimiter` per bot token and process: interactive replies and the
outbox take their sends from it, so together they stay under the channel's
rate instead of each guessing at a share.

* Global rate: a GCRA (a token bucket kept as one timestamp): each send
  moves a theoretical time forward by 1/rate; a send may go when that time
  is at most `burst` sends ahead of now.
* Two priorities: a waiting INTERACTIVE send (someone is waiting for an
  answer) is always granted before a waiting BULK one (broadcasts, notices,
  reminders): the outbox gets what interactive replies leave.
* Per chat: a chat's next message may go `1/per_chat` seconds after its
  previous one was *answered* (`release`), and never while one is in flight.
  Counting from the answer rather than the grant keeps the gap as the API
  sees it, whatever the network did to the previous request.
* Pause: a 429 stops every send, of both priorities, for `retry_after`.

A waiter held back by its own chat (pacing, or a message still in flight)
never holds up the others: the grant goes to the first waiter, in priority
then arrival order, whose chat is free.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from bot.config import SendLimits

INTERACTIVE = 0  # a person is waiting for this answer
BULK = 1  # the outbox: broadcasts, notices, reminders


@dataclass(eq=False)
class _Waiter:
    chat: str
    future: asyncio.Future[None] = field(repr=False)


class RateLimiter:
    def __init__(
        self,
        rate: float,
        per_chat: float,
        *,
        burst: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1.0 / rate
        self.chat_interval = 1.0 / per_chat
        self.tolerance = self.interval * max(burst - 1, 0)
        self._clock = clock
        self._tat = clock()  # theoretical arrival time of the next send
        self._paused_until = 0.0
        self._chat_free_at: dict[str, float] = {}  # when each chat may get its next message
        self._in_flight: dict[str, int] = {}  # chat → granted sends not yet released
        self._queues: tuple[deque[_Waiter], deque[_Waiter]] = (deque(), deque())
        self._changed = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, limits: SendLimits, clock: Callable[[], float] = time.monotonic) -> RateLimiter:
        return cls(
            limits.rate_per_second, limits.per_chat_per_second, burst=limits.burst, clock=clock
        )

    # --- what callers see ------------------------------------------------------

    async def acquire(self, chat: str, priority: int = BULK) -> None:
        """Waits until a message to `chat` may go and counts it; `release(chat)` after the call."""
        now = self._clock()
        idle = not (self._queues[0] or self._queues[1])
        if idle and self._free(chat, now) and self._global_wait(now) <= 0:
            self._grant(chat, now)
            return
        waiter = _Waiter(chat, asyncio.get_running_loop().create_future())
        self._queues[priority].append(waiter)
        self._wake()
        try:
            await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self.release(chat)  # granted as we were cancelled: give the chat back
            else:
                waiter.future.cancel()
                self._wake()  # the pump drops it (and ends if nobody else waits)
            raise

    def release(self, chat: str) -> None:
        """The call to `chat` is answered (or was never made): the chat's pacing starts now."""
        count = self._in_flight.get(chat, 0) - 1
        if count > 0:
            self._in_flight[chat] = count
        else:
            self._in_flight.pop(chat, None)
        now = self._clock()
        self._chat_free_at[chat] = now + self.chat_interval
        if len(self._chat_free_at) > 4096:
            self._forget(now)
        self._wake()

    @contextlib.asynccontextmanager
    async def slot(self, chat: str, priority: int = BULK) -> AsyncIterator[None]:
        """`acquire` … `release` around one API call."""
        await self.acquire(chat, priority)
        try:
            yield
        finally:
            self.release(chat)

    def pause(self, seconds: float) -> None:
        """Flood control answered: nothing goes out, for anyone, for `seconds`."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def chat_wait(self, chat: str) -> float:
        """Seconds until `chat` may get its next message (at least a gap while one is in flight)."""
        if chat in self._in_flight:
            return self.chat_interval
        return max(0.0, self._chat_free_at.get(chat, 0.0) - self._clock())

    def waiting(self) -> tuple[int, int]:
        """Waiters (interactive, bulk), cancelled ones included until the pump drops them."""
        return len(self._queues[0]), len(self._queues[1])

    # --- granting ----------------------------------------------------------------

    def _free(self, chat: str, now: float) -> bool:
        return chat not in self._in_flight and self._chat_free_at.get(chat, 0.0) <= now

    def _global_wait(self, now: float) -> float:
        return max(self._paused_until - now, self._tat - self.tolerance - now)

    def _grant(self, chat: str, now: float) -> None:
        self._tat = max(self._tat, now) + self.interval
        self._in_flight[chat] = self._in_flight.get(chat, 0) + 1

    def _wake(self) -> None:
        if self._queues[0] or self._queues[1]:
            self._changed.set()
            if self._pump is None or self._pump.done():
                self._pump = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        """Grants waiters one by one as the global rate allows; ends when none is left."""
        while self._queues[0] or self._queues[1]:
            now = self._clock()
            wait = self._global_wait(now)
            if wait <= 0:
                waiter, wait = self._next(now)
                if waiter is not None:
                    self._grant(waiter.chat, now)
                    waiter.future.set_result(None)
                    continue
                if not (self._queues[0] or self._queues[1]):
                    break  # only cancelled waiters were left
            await self._nap(wait)

    def _next(self, now: float) -> tuple[_Waiter | None, float]:
        """The first waiter whose chat is free, interactive first; else the wait for one."""
        soonest = math.inf
        for queue in self._queues:
            for waiter in list(queue):
                if waiter.future.done():  # cancelled while waiting
                    queue.remove(waiter)
                    continue
                if self._free(waiter.chat, now):
                    queue.remove(waiter)
                    return waiter, 0.0
                if waiter.chat not in self._in_flight:
                    soonest = min(soonest, self._chat_free_at[waiter.chat] - now)
        return None, soonest

    async def _nap(self, seconds: float) -> None:
        """Sleeps `seconds` (inf: until woken); a release or a new waiter wakes it early."""
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(None if math.isinf(seconds) else seconds):
                await self._changed.wait()

    def _forget(self, now: float) -> None:
        """Drops chats whose next slot has passed (they are free again anyway)."""
        self._chat_free_at = {chat: at for chat, at in self._chat_free_at.items() if at > now}

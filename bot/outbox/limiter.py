"""Pacing under a channel's limits: one rate for all chats, one per chat, and a pause.

The global limit is a GCRA (a token bucket kept as one timestamp): each send
moves a theoretical time forward by 1/rate; a send may go when that time is
at most `burst` sends ahead of now. A small burst absorbs the worker's own
hiccups (a lease, a commit) without ever bursting past the API's limit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    def __init__(
        self,
        rate: float,
        per_chat: float,
        *,
        burst: int = 3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.chat_interval = 1.0 / per_chat
        self.tolerance = self.interval * max(burst - 1, 0)
        self._clock = clock
        self._sleep = sleep
        self._tat = clock()  # theoretical arrival time of the next send
        self._paused_until = 0.0
        self._chat_next: dict[str, float] = {}
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Flood control answered: nothing goes out for `seconds`."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def chat_wait(self, chat: str) -> float:
        """Seconds until `chat` may get its next message."""
        return max(0.0, self._chat_next.get(chat, 0.0) - self._clock())

    async def acquire(self, chat: str) -> None:
        """Waits until a message to `chat` may go, and counts it."""
        async with self._lock:  # one waiter at a time keeps the order of sends
            while True:
                now = self._clock()
                wait = max(
                    self._paused_until - now,
                    self._tat - self.tolerance - now,
                    self._chat_next.get(chat, 0.0) - now,
                )
                if wait <= 0:
                    break
                await self._sleep(wait)
            self._tat = max(self._tat, now) + self.interval
            self._chat_next[chat] = now + self.chat_interval
            if len(self._chat_next) > 4096:
                self._forget(now)

    def _forget(self, now: float) -> None:
        """Drops chats whose next slot has passed (they are free again anyway)."""
        self._chat_next = {chat: at for chat, at in self._chat_next.items() if at > now}

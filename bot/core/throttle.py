"""A sliding-window limit per key: at most so many events in any minute.

Counted in this process's memory. With several worker processes each counts
its own share, so a user may get up to N times the limit across N workers;
a restart forgets the counts. That is enough for what it guards (CPU spent on
decoding photos), which is itself per process.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable


class Throttle:
    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[Hashable, deque[float]] = {}
        self._swept = clock()

    def allow(self, key: Hashable) -> bool:
        """Counts one event for `key` unless it already had `limit` in the window."""
        now = self.clock()
        self._sweep(now)
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def _sweep(self, now: float) -> None:
        """Forgets keys quiet for a whole window, so the table holds only recent users."""
        if now - self._swept < self.window:
            return
        self._swept = now
        for key in [
            k for k, events in self._events.items() if not events or events[-1] <= now - self.window
        ]:
            del self._events[key]

    def __len__(self) -> int:
        return len(self._events)

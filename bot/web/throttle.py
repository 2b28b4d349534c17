"""At most so many stamp checks a minute from one address, counted in this process's memory.

A script could otherwise "burn" a whole batch of stamps (make every one
look already checked) in seconds. The address itself is never kept: the
counters are keyed by a keyed hash (BLAKE2b with a key drawn at start and
never stored), nothing is written to disk, and the log line a refusal
writes does not name the address. Each process counts on its own, so with
N workers a client may get up to N times the limit: it is a brake on
scripts, not an exact quota.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)
MAX_CLIENTS = 100_000  # counters kept; the least recently seen go first beyond it


@dataclass
class _Bucket:
    tokens: float
    at: float
    refused: bool = False  # refused since it last got through: log once per streak


class Throttle:
    """A token bucket per client: `per_minute` at once, refilled at `per_minute` a minute.

    `clock` gives seconds; the app passes its own clock, so tests can hold time still.
    """

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float],
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._clock = clock
        self._max_clients = max_clients
        self._key = secrets.token_bytes(32)
        self._buckets: dict[bytes, _Bucket] = {}

    def allow(self, address: str) -> bool:
        """Takes one request from `address`'s allowance; False when it has none left."""
        key = hashlib.blake2b(address.encode(), key=self._key, digest_size=16).digest()
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.per_minute), now)
        self._buckets[key] = bucket  # most recently seen last
        elapsed = max(0.0, now - bucket.at)  # a wall clock set back gives nothing back
        bucket.tokens = min(self.per_minute, bucket.tokens + elapsed * self._rate)
        bucket.at = now
        if len(self._buckets) > self._max_clients:
            self._forget_oldest()
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.refused = False
            return True
        if not bucket.refused:
            bucket.refused = True
            log.warning(
                "stamp checks: a client passed %d a minute and is refused until it slows down "
                "(its address is not recorded)",
                self.per_minute,
            )
        return False

    def _forget_oldest(self) -> None:
        for key in list(self._buckets)[: len(self._buckets) - self._max_clients * 9 // 10]:
            del self._buckets[key]

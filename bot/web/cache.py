"""Rendered origin pages kept in memory for a short time.

A product page is read far more often than it changes, and building one
costs several database round trips and a template render, while serving a
cached body costs about what a bare "hello" handler does. Entries live for
`ttl` seconds (changes made by the bot, perhaps in another process, show up
within that time), are dropped when the date in Vietnam changes (a
certificate may expire at midnight), and the least recently used go first
once `max_bytes` is reached. Concurrent misses for one key share one build.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    body: bytes
    etag: str
    day: dt.date
    expires: float

    @property
    def size(self) -> int:
        return len(self.body) + 200  # the entry's own overhead, roughly


def make_page(body: bytes, day: dt.date, expires: float) -> Page:
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    return Page(body, etag, day, expires)


class PageCache:
    def __init__(
        self,
        ttl: float,
        max_bytes: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._monotonic = monotonic
        self._pages: OrderedDict[Hashable, Page] = OrderedDict()
        self._bytes = 0
        self._building: dict[Hashable, asyncio.Future[Page | None]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, day: dt.date) -> Page | None:
        page = self._pages.get(key)
        if page is None:
            return None
        if page.day != day or page.expires <= self._monotonic():
            self._drop(key)
            return None
        self._pages.move_to_end(key)
        return page

    async def get_or_build(
        self, key: Hashable, day: dt.date, build: Callable[[], Awaitable[bytes | None]]
    ) -> Page | None:
        """The cached page, or the page `build()` makes; None (not cached) when it finds nothing."""
        page = self.get(key, day)
        if page is not None:
            self.hits += 1
            return page
        self.misses += 1
        pending = self._building.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Page | None] = asyncio.get_running_loop().create_future()
        self._building[key] = future
        try:
            body = await build()
            page = None if body is None else self._put(key, body, day)
            future.set_result(page)
            return page
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            future.exception()  # retrieved here, so a build nobody else awaited logs nothing
            raise
        finally:
            del self._building[key]

    def _put(self, key: Hashable, body: bytes, day: dt.date) -> Page:
        page = make_page(body, day, self._monotonic() + self.ttl)
        if self.ttl <= 0 or page.size > self.max_bytes:
            return page
        self._drop(key)
        self._pages[key] = page
        self._bytes += page.size
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._pages)))
        return page

    def _drop(self, key: Hashable) -> None:
        page = self._pages.pop(key, None)
        if page is not None:
            self._bytes -= page.size

    def clear(self) -> None:
        self._pages.clear()
        self._bytes = 0

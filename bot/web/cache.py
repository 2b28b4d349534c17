"""Rendered pages kept in memory until what they show changes.

A product page is read far more often than it changes. Rendering one costs
a good tenth of a millisecond (Jinja and Babel); serving a kept body costs
about what a bare "hello" handler does. Pages are kept only when rendered
from the facts index (index.py), and the index drops a product's pages
(`forget`) the moment it replaces or removes that product's facts: after a
refresh found a change, or on a new day in Vietnam when an expiry flag
flips. So a kept page is never staler than the index, and serving one needs
one dictionary lookup and no check against the facts.

When `max_bytes` is reached the pages used least lately go first (CLOCK,
"second chance": a hit only sets a flag, instead of reordering a list).

`Inflight` lets simultaneous requests that must read the database for the
same thing share one read.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

from multidict import CIMultiDict, CIMultiDictProxy

T = TypeVar("T")

Body = bytes | tuple[bytes, bytes, bytes]  # a body, or (before, shared, after)


class Page:
    """A kept body: `own` bytes, or `own` and `after` with a `shared` block between them
    that every page holds (the style sheet), kept once for all pages."""

    __slots__ = ("after", "etag", "headers", "own", "shared", "used")

    def __init__(self, body: Body, headers: CIMultiDictProxy[str]) -> None:
        own, shared, after = (body, b"", b"") if isinstance(body, bytes) else body
        digest = hashlib.blake2b(digest_size=12)
        for part in (own, shared, after):
            digest.update(part)
        self.own, self.shared, self.after = own, shared, after
        self.etag = f'"{digest.hexdigest()}"'
        self.headers = headers  # the response headers of a 200 but the ETag (shared)
        self.used = False

    @property
    def body(self) -> bytes:
        return b"".join((self.own, self.shared, self.after)) if self.shared else self.own

    @property
    def size(self) -> int:
        return len(self.own) + len(self.after) + 300  # the entry, its key and ETag, roughly


def frozen_headers(headers: Mapping[str, str]) -> CIMultiDictProxy[str]:
    """Headers many pages share, built once."""
    return CIMultiDictProxy(CIMultiDict(headers))


class PageCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pages: dict[Hashable, Page] = {}  # oldest first
        self._size = 0
        self.hits = 0  # pages served from here
        self.misses = 0  # pages a request had to render

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def size(self) -> int:
        return self._size

    def get(self, key: Hashable) -> Page | None:
        page = self._pages.get(key)
        if page is not None:
            page.used = True
            self.hits += 1
        return page

    def __contains__(self, key: Hashable) -> bool:
        return key in self._pages

    def put(self, key: Hashable, body: Body, headers: CIMultiDictProxy[str]) -> Page:
        """Keeps a page (unless it alone is larger than the cache) and returns it."""
        page = Page(body, headers)
        self._drop(key)
        if page.size > self.max_bytes:
            return page
        self._pages[key] = page
        self._size += page.size
        self._evict()
        return page

    def forget(self, keys: Iterable[Hashable]) -> None:
        """Drops these pages (their product changed)."""
        for key in keys:
            self._drop(key)

    def _evict(self) -> None:
        pages = self._pages
        while self._size > self.max_bytes:
            key = next(iter(pages))
            page = pages.pop(key)
            if page.used:  # used since it last came round: a second chance, at the back
                page.used = False
                pages[key] = page
            else:
                self._size -= page.size

    def _drop(self, key: Hashable) -> None:
        page = self._pages.pop(key, None)
        if page is not None:
            self._size -= page.size

    def clear(self) -> None:
        self._pages.clear()
        self._size = 0


class Inflight(Generic[T]):
    """Simultaneous calls for one key share one run of the work; nothing is kept after."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[T]] = {}

    async def run(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
        pending = self._running.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            result = await work()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            future.exception()  # retrieved here, so work nobody else awaited logs nothing
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._running[key]

"""Rendered pages kept in memory for as long as what they were made from holds.

A product page is read far more often than it changes. Rendering one costs
some tenths of a millisecond (Jinja and Babel), serving a kept body about
what a bare "hello" handler costs. A page is kept with the `source` it was
rendered from (the product's facts, which already account for the date in
Vietnam): it is served while the facts the request found are the same
object, or equal, and rendered again as soon as they differ, so the cache
itself is never staler than the facts index (see index.py). The least
recently used pages go first once `max_bytes` is reached.

`Inflight` lets simultaneous requests that must read the database for the
same thing share one read.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from multidict import CIMultiDict, CIMultiDictProxy

T = TypeVar("T")


@dataclass(frozen=True, eq=False, slots=True)
class Page:
    """A kept body: `own` bytes, or `own` and `after` with a `shared` block between them
    that every page holds (the style sheet), counted once for all pages."""

    own: bytes
    etag: str
    source: object  # what the body was made from: valid while the request finds the same
    headers: CIMultiDictProxy[str]  # the response headers of a 200 but the ETag (shared)
    shared: bytes = b""
    after: bytes = b""

    @property
    def body(self) -> bytes:
        return b"".join((self.own, self.shared, self.after)) if self.shared else self.own

    @property
    def size(self) -> int:
        return len(self.own) + len(self.after) + 300  # the entry, its key and ETag, roughly


Body = bytes | tuple[bytes, bytes, bytes]  # a body, or (before, shared, after)


def make_page(body: Body, source: object, headers: CIMultiDictProxy[str]) -> Page:
    own, shared, after = (body, b"", b"") if isinstance(body, bytes) else body
    digest = hashlib.blake2b(digest_size=12)
    for part in (own, shared, after):
        digest.update(part)
    etag = f'"{digest.hexdigest()}"'
    return Page(own, etag, source, headers, shared, after)


def frozen_headers(headers: Mapping[str, str]) -> CIMultiDictProxy[str]:
    """Headers many pages share, built once."""
    return CIMultiDictProxy(CIMultiDict(headers))


class PageCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[Hashable, Page] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def size(self) -> int:
        return self._bytes

    def get(self, key: Hashable, source: object) -> Page | None:
        """The kept page when it was made from this source (the same object, or an equal one)."""
        page = self._pages.get(key)
        if page is None or (page.source is not source and page.source != source):
            return None
        self._pages.move_to_end(key)
        return page

    def holds(self, key: Hashable, source: object) -> bool:
        """Whether get() would find the page (without making it the most recently used)."""
        page = self._pages.get(key)
        return page is not None and (page.source is source or page.source == source)

    def get_or_render(
        self,
        key: Hashable,
        source: object,
        render: Callable[[], Body],
        headers: CIMultiDictProxy[str],
    ) -> Page:
        """The kept page, or the one `render()` makes now (synchronously: no two renders race)."""
        page = self.get(key, source)
        if page is not None:
            self.hits += 1
            return page
        self.misses += 1
        return self.put(key, source, render(), headers)

    def put(
        self, key: Hashable, source: object, body: Body, headers: CIMultiDictProxy[str]
    ) -> Page:
        page = make_page(body, source, headers)
        self._drop(key)
        if page.size > self.max_bytes:
            return page
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

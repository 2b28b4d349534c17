"""Every published product's facts in memory, reloaded in the background.

Reading one product through the async ORM costs a few milliseconds of CPU
on SQLite (four queries, each several hops to aiosqlite's thread), about
fifty times what serving a cached page costs. Loading all products with
Core queries a thousand at a time amortises that: the whole national
programme (~20,000 products) loads in a few seconds of background work,
some tens of milliseconds at a time so pages keep flowing, and takes some
tens of megabytes. A product missing from the index (added since the last load)
or an index built on another day (certificates expire by the date) sends
the request to the per-product query instead, so a page is never wrong
for longer than one reload interval, and a new product is never missing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable

from bot.config import Settings
from bot.web.facts import ProductFacts, product_facts
from storage.db import Database
from storage.origin import origin_rows

log = logging.getLogger(__name__)

CHUNK = 1000  # products per transaction: some tens of ms of work between requests' turns


class FactsIndex:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        today: Callable[[], dt.date],
        refresh_seconds: float,
        on_reload: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.today = today
        self.refresh_seconds = refresh_seconds
        self.day: dt.date | None = None
        self._by_code: dict[str, ProductFacts] = {}
        self._by_gtin: dict[str, ProductFacts] = {}
        self._on_reload = on_reload
        self._reload_now = asyncio.Event()

    def by_code(self, code: str) -> ProductFacts | None:
        return self._by_code.get(code) if self._current() else None

    def by_gtin(self, gtin13: str) -> ProductFacts | None:
        return self._by_gtin.get(gtin13) if self._current() else None

    def _current(self) -> bool:
        if self.day == self.today():
            return True
        if self.day is not None:
            self._reload_now.set()  # a new day in Vietnam: expiry flags must be recomputed
        return False

    async def load(self) -> int:
        """Reads every published product, then swaps the new index in at once."""
        started = time.perf_counter()
        today = self.today()
        by_code: dict[str, ProductFacts] = {}
        by_gtin: dict[str, ProductFacts] = {}
        after = 0
        while True:
            async with self.db.transaction() as session:
                products = await origin_rows(session, after, CHUNK)
                facts = [product_facts(self.settings, p, today) for p in products]
            for item in facts:
                by_code[item.code] = item
                if item.gtin:
                    by_gtin.setdefault(item.gtin, item)  # the oldest, as origin_by_gtin
            if len(products) < CHUNK:
                break
            after = products[-1].id
            await asyncio.sleep(0)  # let waiting requests run between chunks
        self._by_code, self._by_gtin, self.day = by_code, by_gtin, today
        self._on_reload()  # pages rendered from the old facts go
        log.info("web: %d products indexed in %.1f s", len(by_code), time.perf_counter() - started)
        return len(by_code)

    async def run(self) -> None:
        """Loads now and again every refresh_seconds (or at once on a new day) until cancelled."""
        while True:
            self._reload_now.clear()
            try:
                await self.load()
            except Exception:
                log.exception("web: loading the product index failed; pages read the database")
            try:
                async with asyncio.timeout(self.refresh_seconds):
                    await self._reload_now.wait()
            except TimeoutError:
                pass

"""Every published product's facts in memory, kept current by asking what changed.

Reading one product from the database costs milliseconds of CPU on SQLite
(several queries, each a few hops to aiosqlite's thread), some fifty times
what serving a kept page costs. So the web app holds the facts of every
published product (20,000 products: one to two seconds of CPU to load, in
chunks between which requests run, and some 75 MB) and serves pages from
them without touching the database.

Freshness. Every `refresh_seconds` (10 s by default) `refresh()` asks the
database what changed since the last look (`storage.origin.page_versions`:
two queries, tens of milliseconds of SQLite time for 20,000 products) and
reads again only the products concerned: rows of products, producers and
listings stamped (`updated_at`) within the last ten minutes whose stamp
differs from last time; photos and certifications, which carry no stamp,
through a checksum of each table and, when it moves, per product; deleted
or unpublished products through the count and sum of published ids. A
change made in the chat therefore shows on the page within
`refresh_seconds` plus the time to read it again, whichever process made
it. As a safety net for what no probe sees (a write that bypasses
`updated_at`, a transaction longer than the ten-minute window) everything
is read again every `full_seconds` (an hour).

Facts that did not change keep their identity and their rendered pages;
facts that did are replaced and `on_change` drops their pages (cache.py).
Facts depend on the date in Vietnam only through the expiry flags, which
are recomputed in memory the first time the index is asked on a new day.
A product missing from the index (added since the last look, or while the
first load is still running) is read from the database by the caller, so
it is never missing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import time
from collections.abc import Callable, Iterable
from types import SimpleNamespace

from bot.config import Settings
from bot.web.facts import ProductFacts, product_facts, with_day
from storage.db import Database
from storage.origin import (
    Versions,
    certification_checksums,
    changed_products,
    differing,
    ids_in_chunks,
    origin_rows,
    origin_rows_by_id,
    page_versions,
    photo_checksums,
    products_of_producers,
    published_ids,
)

log = logging.getLogger(__name__)

REFRESH_SECONDS = 10.0  # how often the index asks what changed: the staleness bound
FULL_SECONDS = 3600.0  # how often everything is read again, whatever the probes say
CHUNK = 500  # products per read: some tens of ms of work between requests' turns
# How long a request waits for the first load before reading the database
# itself: a few seconds at start-up, when a burst of per-product reads would
# only slow the load that answers them all.
FIRST_LOAD_WAIT = 10.0


def utc_now() -> dt.datetime:
    """Real time, as the `updated_at` stamps are written (the app's clock may be a test's)."""
    return dt.datetime.now(dt.UTC)


class FactsIndex:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        today: Callable[[], dt.date],
        refresh_seconds: float = REFRESH_SECONDS,
        full_seconds: float = FULL_SECONDS,
        now: Callable[[], dt.datetime] = utc_now,
        on_change: Callable[[ProductFacts], None] = lambda _old: None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.today = today
        self.refresh_seconds = refresh_seconds
        self.full_seconds = full_seconds
        self._now = now
        self._on_change = on_change  # told of facts replaced or removed (to drop their pages)
        self.day: dt.date | None = None  # the date the facts' expiry flags are for
        self.loaded = False  # a complete load has finished
        self._by_id: dict[int, ProductFacts] = {}
        self._by_code: dict[str, ProductFacts] = {}
        self._gtin_owner: dict[str, int] = {}  # GTIN-13 → the oldest product carrying it
        self._versions: Versions | None = None
        self._photos: dict[int, tuple[int, int]] = {}
        self._certifications: dict[int, tuple[int, int]] = {}
        self._loaded_at = 0.0
        self._first_load = asyncio.Event()  # set once the first load is over, done or failed
        self.changed = asyncio.Event()  # set when facts changed: pages to render ahead
        self._reading = asyncio.Lock()  # one load or refresh at a time
        # Moves whenever any facts are replaced or removed: what the catalogue
        # (catalogue.py) built from all of them is then out of date.
        self.generation = 0

    def __len__(self) -> int:
        return len(self._by_id)

    def all(self) -> list[ProductFacts]:
        """Every product's facts, in the order they were indexed."""
        return list(self._by_id.values())

    # --- lookups (the request path: dictionary reads only) ---------------------

    def current(self, facts: ProductFacts) -> bool:
        """Whether these are the facts the index holds for their product now."""
        return self._by_code.get(facts.code) is facts

    def check_day(self) -> None:
        """Recomputes expiry flags when the date in Vietnam changed (cheap otherwise)."""
        if self.day != self.today():
            self._new_day()

    def by_code(self, code: str) -> ProductFacts | None:
        if self.day != self.today():
            self._new_day()
        return self._by_code.get(code)

    def by_gtin(self, gtin13: str) -> ProductFacts | None:
        if self.day != self.today():
            self._new_day()
        owner = self._gtin_owner.get(gtin13)
        return None if owner is None else self._by_id.get(owner)

    def by_id(self, product_id: int) -> ProductFacts | None:
        if self.day != self.today():
            self._new_day()
        return self._by_id.get(product_id)

    async def first_load(self) -> None:
        """Returns once the first load is over (or after FIRST_LOAD_WAIT seconds)."""
        if not self._first_load.is_set():
            try:
                async with asyncio.timeout(FIRST_LOAD_WAIT):
                    await self._first_load.wait()
            except TimeoutError:
                pass

    def _new_day(self) -> None:
        """Expiry flags for today's date, in memory (certificates expire at midnight in Vietnam)."""
        today = self.today()
        if self.day is not None:
            for product_id, facts in list(self._by_id.items()):
                self._put(product_id, with_day(facts, today))
            self.changed.set()
        self.day = today

    # --- loading ---------------------------------------------------------------

    async def load(self) -> int:
        """Reads every published product; facts that did not change keep their identity."""
        async with self._reading:
            return await self._load()

    async def _load(self) -> int:
        first = not self.loaded
        # While the first load fills the heap with facts, every few chunks
        # would set off a full collection walking all of them again (pauses of
        # a tenth of a second each); collect once at the end instead, then
        # freeze what is there, so later full collections skip it for good.
        # Later loads keep the facts that did not change: once will do.
        collecting = first and gc.isenabled()
        if collecting:
            gc.disable()
        try:
            count = await self._read_all()
        finally:
            if collecting:
                gc.enable()
        if first:
            gc.collect()
            gc.freeze()
        return count

    async def _read_all(self) -> int:
        started = time.perf_counter()
        # What the tables look like before reading them: a change committed
        # after this shows in the next refresh, even where this load saw it.
        async with self.db.read() as session:
            versions = await page_versions(session, self._now())
            photos = await photo_checksums(session)
            certifications = await certification_checksums(session)
        seen: set[int] = set()
        after = 0
        while True:
            async with self.db.read() as session:
                rows = await origin_rows(session, after, CHUNK)
            self._apply(rows)
            seen.update(row.id for row in rows)
            if len(rows) < CHUNK:
                break
            after = rows[-1].id
            await asyncio.sleep(0)  # let waiting requests run between chunks
        self._remove(self._by_id.keys() - seen)
        self._versions, self._photos, self._certifications = versions, photos, certifications
        self._loaded_at = time.monotonic()
        log.info(
            "web: %d products %s in %.1f s",
            len(self._by_id),
            "read again" if self.loaded else "indexed",
            time.perf_counter() - started,
        )
        self.loaded = True
        self.changed.set()
        return len(self._by_id)

    async def refresh(self) -> int:
        """Reads again the products that changed since the last look; how many that was."""
        async with self._reading:
            if self._versions is None:
                await self._load()
                return 0
            return await self._refresh(self._versions)

    async def _refresh(self, before: Versions) -> int:
        async with self.db.read() as session:
            after = await page_versions(session, self._now())
            changed, producers = changed_products(before, after)
            if producers:
                changed |= await products_of_producers(session, producers)
            photos = certifications = None
            if after.photos != before.photos:
                photos = await photo_checksums(session)
                changed |= differing(self._photos, photos)
            if after.certifications != before.certifications:
                certifications = await certification_checksums(session)
                changed |= differing(self._certifications, certifications)
            if after.published != before.published:
                published = await published_ids(session)
                self._remove(self._by_id.keys() - published)
                changed |= published - self._by_id.keys()
        for chunk in ids_in_chunks(changed, CHUNK):
            async with self.db.read() as session:
                rows = await origin_rows_by_id(session, chunk)
            self._apply(rows)
            self._remove(set(chunk) - {row.id for row in rows})  # unpublished or deleted
        self._versions = after
        if photos is not None:
            self._photos = photos
        if certifications is not None:
            self._certifications = certifications
        if changed:
            self.changed.set()
            log.info("web: %d changed products read again", len(changed))
        return len(changed)

    async def run(self) -> None:
        """Loads, then refreshes every refresh_seconds (everything every full_seconds)."""
        while True:
            try:
                if not self.loaded or time.monotonic() - self._loaded_at >= self.full_seconds:
                    await self.load()
                else:
                    await self.refresh()
            except Exception:
                log.exception("web: reading the product index failed; pages use what it holds")
            self._first_load.set()
            await asyncio.sleep(self.refresh_seconds)

    # --- bookkeeping -------------------------------------------------------------

    def _apply(self, rows: Iterable[SimpleNamespace]) -> None:
        if self.day != self.today():
            self._new_day()
        day = self.day
        assert day is not None
        for row in rows:
            facts = product_facts(self.settings, row, day)
            product_id: int = row.id
            old = self._by_id.get(product_id)
            if old == facts:
                continue  # keep the old object: pages rendered from it stay valid
            self._put(product_id, facts)

    def _put(self, product_id: int, facts: ProductFacts) -> None:
        old = self._by_id.get(product_id)
        if old is facts:
            return
        self._by_id[product_id] = facts
        self.generation += 1
        if old is not None:
            self._on_change(old)
        if old is not None and old.code != facts.code:
            self._by_code.pop(old.code, None)
        self._by_code[facts.code] = facts
        if old is not None and old.gtin and old.gtin != facts.gtin:
            self._fix_gtin(old.gtin)
        if facts.gtin:
            owner = self._gtin_owner.get(facts.gtin)
            if owner is None or product_id < owner:
                self._gtin_owner[facts.gtin] = product_id

    def _remove(self, product_ids: Iterable[int]) -> None:
        for product_id in product_ids:
            facts = self._by_id.pop(product_id, None)
            if facts is None:
                continue
            self.generation += 1
            self._on_change(facts)
            if self._by_code.get(facts.code) is facts:
                del self._by_code[facts.code]
            if facts.gtin and self._gtin_owner.get(facts.gtin) == product_id:
                self._fix_gtin(facts.gtin)

    def _fix_gtin(self, gtin13: str) -> None:
        """The oldest product still carrying this GTIN-13, as origin_by_gtin picks it."""
        owners = [pid for pid, facts in self._by_id.items() if facts.gtin == gtin13]
        if owners:
            self._gtin_owner[gtin13] = min(owners)
        else:
            self._gtin_owner.pop(gtin13, None)

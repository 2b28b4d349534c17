"""The public catalogue in memory: every approved product, searchable and filterable.

A `Catalogue` is built from the facts index (index.py) whenever the index
changed (`FactsIndex.generation`), and answers every catalogue, producer
and map request from posting lists: for each word of the products' and
producers' folded names, province, commune, OCOP group, star rating and
marketplace, the sorted positions of the products holding it. A query
walks the shortest list that applies and checks the others by set
membership, so no filter or search ever walks the whole catalogue; with no
filter the page is a slice of the sorted list.

Products are kept in catalogue order: stars (most first, unrated last),
then name without diacritics, then code.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain

from bot.config import Settings
from bot.core import places
from bot.core.ocop import GROUPS
from bot.core.text import clean, fold
from bot.web.facts import ProducerFacts, ProductFacts

MAX_QUERY = 100  # characters of a search; longer input is cut
MAX_WORDS = 8  # words of a search that count
MAX_PAGE_DIGITS = 9  # of ?page=; more reads as the last page


@dataclass(frozen=True)
class Filters:
    """What a catalogue, map or /find asks for; every value checked, unknown ones dropped."""

    q: str = ""
    province: int | None = None
    commune: int | None = None
    group: str | None = None
    stars: int | None = None  # this many or more
    market: str | None = None
    ignored: tuple[str, ...] = ()  # parameters given but not applied (unknown values)

    @property
    def words(self) -> list[str]:
        return fold(self.q).split()[:MAX_WORDS]

    @property
    def any(self) -> bool:
        return bool(
            self.words or self.province or self.commune or self.group or self.stars or self.market
        )

    def params(self) -> list[tuple[str, str]]:
        """The applied filters as URL parameters, in a fixed order (one URL per selection)."""
        pairs = [
            ("q", self.q),
            ("province", str(self.province or "")),
            ("commune", str(self.commune or "")),
            ("group", self.group or ""),
            ("stars", str(self.stars or "")),
            ("market", self.market or ""),
        ]
        return [(name, value) for name, value in pairs if value]


def parse_filters(query: Mapping[str, str], settings: Settings) -> Filters:
    """Filters from URL parameters. A value that names nothing known is ignored and
    reported in `ignored`, so the page can say which filter it did not apply."""
    ignored: list[str] = []

    def number(name: str) -> int | None:
        raw = query.get(name, "").strip()
        if not raw:
            return None
        if raw.isdigit() and len(raw) <= 6:
            return int(raw)
        ignored.append(name)
        return None

    q = clean(query.get("q", ""))[:MAX_QUERY]
    province = number("province")
    if province is not None and places.province(province) is None:
        ignored.append("province")
        province = None
    commune = number("commune")
    if commune is not None:
        owner = places.ward_province(commune)
        if owner is None or (province is not None and owner != province):
            ignored.append("commune")
            commune = None
    group = query.get("group", "").strip() or None
    if group is not None and group not in GROUPS:
        ignored.append("group")
        group = None
    stars = number("stars")
    if stars is not None and not 1 <= stars <= 5:
        ignored.append("stars")
        stars = None
    market = query.get("market", "").strip() or None
    if market is not None and settings.marketplace(market) is None:
        ignored.append("market")
        market = None
    return Filters(q, province, commune, group, stars, market, tuple(ignored))


def page_number(raw: str | None) -> int:
    """?page= as a number from 1; junk reads as 1, a huge number as the last page
    (`Catalogue.page` clamps it)."""
    if raw and raw.isascii() and raw.isdigit():
        return max(1, int(raw)) if len(raw) <= MAX_PAGE_DIGITS else 10**MAX_PAGE_DIGITS
    return 1


@dataclass
class ProducerEntry:
    """A producer with approved products, and those products in catalogue order."""

    facts: ProducerFacts
    products: list[ProductFacts] = field(default_factory=list)

    @property
    def stars(self) -> int:
        return max((p.stars or 0 for p in self.products), default=0)

    @property
    def located(self) -> bool:
        return self.facts.latitude is not None and self.facts.longitude is not None


def catalogue_order(facts: ProductFacts, folded_name: str) -> tuple[int, str, str]:
    return (-(facts.stars or 0), folded_name, facts.code)


def _fold_table() -> dict[int, str | None]:
    """fold() of every precomposed Latin letter, for str.translate: some ten times
    faster than fold() on a whole catalogue; combining marks (decomposed input) drop."""
    table: dict[int, str | None] = {c: None for c in range(0x300, 0x370)}
    for code in range(0xC0, 0x2000):
        folded = fold(chr(code))
        if folded != chr(code).lower() and len(folded) == 1:
            table[code] = folded
    return table


_TABLE = _fold_table()


def quick_fold(text: str) -> str:
    """fold() for names as stored (NFC): lower case, no diacritics, đ→d, single spaces."""
    return " ".join(text.lower().translate(_TABLE).split())


class Catalogue:
    """One consistent snapshot of the public catalogue, answering queries from posting lists."""

    def __init__(
        self,
        products: Iterable[ProductFacts],
        generation: int = 0,
        previous: Catalogue | None = None,
    ) -> None:
        self.generation = generation
        # Names folded for the last snapshot are reused: a rebuild folds only what changed.
        known: dict[str, str] = previous._folded if previous is not None else {}
        folded: dict[str, str] = {}

        def fold_once(text: str) -> str:
            value = folded.get(text)
            if value is None:
                value = folded[text] = known.get(text) or quick_fold(text)
            return value

        self._folded: dict[str, str] = folded
        approved = [(catalogue_order(p, fold_once(p.name)), p) for p in products if p.reviewed]
        approved.sort(key=lambda pair: pair[0])
        self.products: list[ProductFacts] = [p for _key, p in approved]
        self.producers: dict[int, ProducerEntry] = {}
        words: dict[str, list[int]] = defaultdict(list)
        self._lists: dict[tuple[str, object], list[int]] = defaultdict(list)
        for position, facts in enumerate(self.products):
            producer = facts.producer
            entry = self.producers.get(producer.id)
            if entry is None:
                entry = self.producers[producer.id] = ProducerEntry(producer)
            entry.products.append(facts)
            for word in {*fold_once(facts.name).split(), *fold_once(producer.name).split()}:
                words[word].append(position)
            self._lists["province", producer.province_code].append(position)
            self._lists["commune", producer.ward_code].append(position)
            self._lists["group", facts.group].append(position)
            self._lists["stars", facts.stars or 0].append(position)
            for market in {listing.marketplace for listing in facts.listings}:
                self._lists["market", market].append(position)
        self._words = dict(words)
        self._vocabulary = sorted(self._words)
        self._sets: dict[tuple[str, object], frozenset[int]] = {}
        for stars in range(1, 6):  # "N stars or more": merged once here
            merged = chain.from_iterable(self._lists.get(("stars", s), []) for s in range(stars, 6))
            self._lists["min_stars", stars] = sorted(merged)
        self.provinces = sorted({p.facts.province_code for p in self.producers.values()})

    def __len__(self) -> int:
        return len(self.products)

    # --- queries ---------------------------------------------------------------

    def select(self, filters: Filters) -> Sequence[int]:
        """Positions of the matching products, in catalogue order."""
        lists: list[Sequence[int]] = []
        keys: list[tuple[str, object]] = []
        for key in self._filter_keys(filters):
            keys.append(key)
            lists.append(self._lists.get(key, []))
        for word in filters.words:
            key = ("word", word)
            keys.append(key)
            lists.append(self._word_list(word))
        if not lists:
            return range(len(self.products))
        order = sorted(range(len(lists)), key=lambda i: len(lists[i]))
        result: Sequence[int] = lists[order[0]]
        for i in order[1:]:
            if not result:
                break
            members = self._set(keys[i], lists[i])
            result = [position for position in result if position in members]
        return result

    def page(
        self, positions: Sequence[int], number: int, size: int
    ) -> tuple[list[ProductFacts], int, int]:
        """(products of the page, page shown, pages): a page past the end shows the last."""
        pages = max(1, -(-len(positions) // size))
        shown = min(number, pages)
        start = (shown - 1) * size
        return [self.products[i] for i in positions[start : start + size]], shown, pages

    def producers_of(self, positions: Sequence[int]) -> list[ProducerEntry]:
        """The producers of these products, each once, in the order first met."""
        if len(positions) == len(self.products):
            return list(self.producers.values())
        seen: dict[int, ProducerEntry] = {}
        for position in positions:
            producer_id = self.products[position].producer.id
            if producer_id not in seen:
                seen[producer_id] = self.producers[producer_id]
        return list(seen.values())

    def _filter_keys(self, filters: Filters) -> list[tuple[str, object]]:
        keys: list[tuple[str, object]] = []
        if filters.province:
            keys.append(("province", filters.province))
        if filters.commune:
            keys.append(("commune", filters.commune))
        if filters.group:
            keys.append(("group", filters.group))
        if filters.stars:
            keys.append(("min_stars", filters.stars))
        if filters.market:
            keys.append(("market", filters.market))
        return keys

    def _word_list(self, prefix: str) -> list[int]:
        """Products with a word starting with `prefix` ("tra" finds "trà" and "tráng")."""
        key = ("word", prefix)
        cached = self._lists.get(key)
        if cached is not None:
            return cached
        vocabulary = self._vocabulary
        start = bisect.bisect_left(vocabulary, prefix)
        matched: list[list[int]] = []
        for word in vocabulary[start:]:
            if not word.startswith(prefix):
                break
            matched.append(self._words[word])
        merged = matched[0] if len(matched) == 1 else sorted(set(chain.from_iterable(matched)))
        if len(self._lists) < 50_000:  # remembered, within bounds whatever people type
            self._lists[key] = merged
        return merged

    def _set(self, key: tuple[str, object], values: Sequence[int]) -> frozenset[int]:
        found = self._sets.get(key)
        if found is None:
            found = frozenset(values)
            if len(self._sets) < 50_000:
                self._sets[key] = found
        return found

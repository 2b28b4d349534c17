"""/find with the catalogue's filters, typed in plain words.

"/find bánh tráng tỉnh Tây Ninh 4 sao shopee" searches "banh trang" among
products of Tây Ninh with four stars or more that are live on Shopee:

* stars: "4 sao", "4 stars", "4*", "4⭐" — that many or more;
* a province after "tỉnh", "tp", "thành phố", "ở", "tại" or "in"; a commune
  after "xã" or "phường" (within the province named);
* a marketplace by its id or name ("shopee", "postmart");
* an OCOP group by its name in either language ("thủ công mỹ nghệ",
  "handicrafts").

Everything else is the name searched, as before. `split_filters` is pure:
the tests call it with the text alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.config import Marketplace
from bot.core import places
from bot.core.context import Context
from bot.core.ocop import group_key
from bot.core.places import Place
from bot.core.text import fold
from storage.catalogue import FindFilters

_STARS = re.compile(r"^([1-5])(?:\*|sao|⭐+|★)?$")
_STAR_WORDS = {"sao", "star", "stars", "*", "⭐", "★"}
_PROVINCE_MARKERS = ("thanh pho", "tinh", "tp", "tp.", "o", "tai", "in", "province")
_COMMUNE_MARKERS = ("xa", "phuong", "commune", "ward")


@dataclass
class Found:
    words: list[str] = field(default_factory=list)  # what is left: the name searched
    province: Place | None = None
    commune: Place | None = None
    group: str | None = None
    stars: int | None = None
    market: Marketplace | None = None

    @property
    def filters(self) -> FindFilters:
        return FindFilters(
            province=self.province.code if self.province else None,
            commune=self.commune.code if self.commune else None,
            group=self.group,
            stars=self.stars,
            market=self.market.id if self.market else None,
        )

    @property
    def any(self) -> bool:
        return self.filters != FindFilters()


def split_filters(
    text: str, marketplaces: Iterable[Marketplace], group_names: Mapping[str, Sequence[str]]
) -> Found:
    """The filters named in `text` and the words left; `group_names` maps each group id
    to its names (in every language)."""
    tokens = fold(text).split()
    found = Found()
    markets = {tuple(fold(name).split()): m for m in marketplaces for name in (m.id, m.name)}
    groups = {tuple(fold(name).split()): g for g, names in group_names.items() for name in names}
    i = 0
    while i < len(tokens):
        taken = _take(tokens, i, found, markets, groups)
        if taken:
            i += taken
        else:
            found.words.append(tokens[i])
            i += 1
    return found


def _take(
    tokens: list[str],
    i: int,
    found: Found,
    markets: dict[tuple[str, ...], Marketplace],
    groups: dict[tuple[str, ...], str],
) -> int:
    """How many tokens from i name a filter (recorded in `found`); 0 when none do."""
    stars = _STARS.match(tokens[i])
    if stars and found.stars is None:
        unit = i + 1 < len(tokens) and tokens[i + 1] in _STAR_WORDS
        if unit or tokens[i] != stars[1]:
            found.stars = int(stars[1])
            return 2 if unit else 1
    for phrase, market in markets.items():
        if found.market is None and tuple(tokens[i : i + len(phrase)]) == phrase:
            found.market = market
            return len(phrase)
    for phrase, group in groups.items():
        if found.group is None and tuple(tokens[i : i + len(phrase)]) == phrase:
            found.group = group
            return len(phrase)
    for marker in _PROVINCE_MARKERS:
        size = len(marker.split())
        if found.province is None and tokens[i : i + size] == marker.split():
            place, length = _place_after(tokens, i + size, places.provinces())
            if place is not None:
                found.province = place
                return size + length
    if tokens[i] in _COMMUNE_MARKERS and found.province is not None and found.commune is None:
        place, length = _place_after(tokens, i + 1, places.wards(found.province.code))
        if place is not None:
            found.commune = place
            return 1 + length
    return 0


def _place_after(
    tokens: list[str], start: int, candidates: Iterable[Place]
) -> tuple[Place | None, int]:
    """The place whose (folded, prefix-less) name is the longest run of tokens at `start`."""
    best: tuple[Place | None, int] = (None, 0)
    for place in candidates:
        words = place.folded.split()
        if tokens[start : start + len(words)] == words and len(words) > best[1]:
            best = (place, len(words))
    return best


def describe(ctx: Context, found: Found) -> str:
    """The filters applied, for the results' title: "Tây Ninh · 4★+ · Shopee"."""
    parts = []
    if found.commune is not None:
        parts.append(found.commune.name)
    if found.province is not None:
        parts.append(found.province.name)
    if found.group is not None:
        parts.append(ctx.t(group_key(found.group)))
    if found.stars is not None:
        parts.append(ctx.t("find.min_stars", count=found.stars))
    if found.market is not None:
        parts.append(found.market.name)
    return " · ".join(parts)

"""Vietnam's administrative units since the 2025 reform: provinces and communes.

The list comes from the maintained `vietnam-provinces` package; this module
only adds diacritic-insensitive search ("lam dong" finds "Lâm Đồng").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from vietnam_provinces import Province, Ward

from bot.core.text import fold

# Full prefixes as the list writes them, then the abbreviations people type ("TP. Huế").
_PREFIXES = (
    "thanh pho ",
    "tinh ",
    "phuong ",
    "xa ",
    "dac khu ",
    "tp. ",
    "tp.",
    "tp ",
    "p. ",
    "x. ",
)


@dataclass(frozen=True)
class Place:
    code: int
    name: str
    folded: str  # without the "Tỉnh"/"Xã" prefix, for matching


def _strip_prefix(folded: str) -> str:
    for prefix in _PREFIXES:
        if folded.startswith(prefix):
            return folded.removeprefix(prefix)
    return folded


@cache
def provinces() -> tuple[Place, ...]:
    return tuple(
        Place(int(p.code), p.name, _strip_prefix(fold(p.name))) for p in Province.iter_all()
    )


@cache
def wards(province_code: int) -> tuple[Place, ...]:
    return tuple(
        Place(int(w.code), w.name, _strip_prefix(fold(w.name)))
        for w in Ward.iter_all()
        if int(w.province_code) == province_code
    )


@cache
def _province_index() -> dict[int, Place]:
    return {p.code: p for p in provinces()}


@cache
def _ward_index() -> dict[int, tuple[Place, int]]:
    return {
        int(w.code): (Place(int(w.code), w.name, _strip_prefix(fold(w.name))), int(w.province_code))
        for w in Ward.iter_all()
    }


def province(code: int) -> Place | None:
    return _province_index().get(code)


def ward(code: int) -> Place | None:
    found = _ward_index().get(code)
    return found[0] if found else None


def ward_province(code: int) -> int | None:
    found = _ward_index().get(code)
    return found[1] if found else None


def search(places: tuple[Place, ...], query: str, limit: int = 8) -> list[Place]:
    """Best matches first: exact name, then names starting with it, then containing it."""
    wanted = _strip_prefix(fold(query))
    if not wanted:
        return []
    exact = [p for p in places if p.folded == wanted]
    if exact:
        return exact[:limit]
    starts = [p for p in places if p.folded.startswith(wanted)]
    contains = [p for p in places if wanted in p.folded and p not in starts]
    return (starts + contains)[:limit]

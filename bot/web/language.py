"""Which language a page speaks: `?lang=`, then the browser's Accept-Language, then the default."""

from __future__ import annotations

from functools import lru_cache

from bot.i18n import LANGUAGES

_MAX_HEADER = 512  # longer Accept-Language headers are junk; read only the start


def choose_language(query: str | None, accept_language: str | None, default: str) -> str:
    if query in LANGUAGES:
        return query
    if not accept_language:
        return default
    return _from_header(accept_language[:_MAX_HEADER], default)


@lru_cache(maxsize=1024)  # browsers send a handful of distinct headers over and over
def _from_header(accept_language: str, default: str) -> str:
    best, best_q = default, 0.0
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        if language not in LANGUAGES:
            continue
        q = _quality(params)
        if q > best_q:
            best, best_q = language, q
    return best


def _quality(params: str) -> float:
    name, _, value = params.strip().partition("=")
    if name.strip() != "q":
        return 1.0
    try:
        q = float(value)
    except ValueError:
        return 0.0
    return q if 0.0 <= q <= 1.0 else 0.0

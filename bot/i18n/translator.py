"""Message lookup and locale-aware formatting, bound to one user's language.

Catalog msgids are message keys ("product.ask_name"); each language's .po
holds the text. Parameters use str.format names: "Giá: {price}". A message
with a `count` parameter may have a "<key>.one" variant for count == 1
(Vietnamese has no plural forms, so its variants repeat the base text).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("vi", "en")
log = logging.getLogger(__name__)


def N_(key: str) -> str:
    """Marks a message key for extraction where it is not translated yet (tables)."""
    return key


def load_catalog(language: str) -> dict[str, str]:
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


class Translator:
    """Speaks one language: `t("key", name=...)`, money, numbers and dates."""

    def __init__(
        self, language: str, messages: dict[str, str], fallback: dict[str, str], tz: ZoneInfo
    ) -> None:
        self.language = language
        self._messages = messages
        self._fallback = fallback
        self.tz = tz

    def __call__(self, key: str, **params: object) -> str:
        count = params.get("count")
        if count == 1 and f"{key}.one" in self._messages:
            key = f"{key}.one"  # English singular: "1 year", not "1 years"
        text = self._messages.get(key) or self._fallback.get(key)
        if text is None:
            log.error("missing message key %s", key)
            return key
        if isinstance(count, int) and not isinstance(count, bool):
            params = {**params, "count": self.number(count)}  # 1.000 tem, 1,000 stamps
        return text.format(**params) if params else text

    def money(self, vnd: int) -> str:
        return _money(vnd, self.language)

    def number(self, value: float) -> str:
        return _number(value, self.language)

    def date(self, value: dt.date) -> str:
        return format_date(value, "dd/MM/yyyy", locale=self.language)

    def datetime(self, value: dt.datetime) -> str:
        local = value.astimezone(self.tz)
        return format_datetime(local, "dd/MM/yyyy HH:mm", tzinfo=self.tz, locale=self.language)


# Babel parses the locale and the number pattern on every call (about 8 µs); a
# form shows the same few numbers and prices over and over.
@functools.lru_cache(maxsize=4096)
def _number(value: float, language: str) -> str:
    return format_decimal(value, locale=language)


@functools.lru_cache(maxsize=4096)
def _money(vnd: int, language: str) -> str:
    return format_currency(vnd, "VND", locale=language)


class Catalogs:
    """All languages, loaded once at start; hands out per-update translators."""

    def __init__(self, default_language: str = "vi", timezone: str = "Asia/Ho_Chi_Minh") -> None:
        self.default_language = default_language
        self.tz = ZoneInfo(timezone)
        self._messages = {language: load_catalog(language) for language in LANGUAGES}

    def keys(self, language: str) -> set[str]:
        return set(self._messages[language])

    def translator(self, language: str | None) -> Translator:
        chosen = language if language in self._messages else self.default_language
        assert chosen is not None
        return Translator(
            chosen, self._messages[chosen], self._messages[self.default_language], self.tz
        )

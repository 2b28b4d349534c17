"""Jinja2 templates, compiled once at start-up, escaping everything they print."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from bot.core import formatting
from bot.i18n import Translator

PAGES = ("product.html", "stamp.html", "message.html")


class Templates:
    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("bot.web", "templates"),
            autoescape=True,
            undefined=StrictUndefined,  # a typo in a template fails a test, not a page
            auto_reload=False,  # templates never change while the server runs
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # Compiling here keeps the first request of each page as fast as the rest.
        self._pages: dict[str, Template] = {name: self.env.get_template(name) for name in PAGES}
        self._formatters: dict[str, dict[str, Callable[..., str]]] = {}

    def render(self, name: str, t: Translator, **context: Any) -> bytes:
        return (
            self._pages[name].render(t=t, lang=t.language, **self._formats(t), **context).encode()
        )

    def _formats(self, t: Translator) -> dict[str, Callable[..., str]]:
        """Money, dates and quantities of one language, memoised: Babel formatting is
        the slowest part of a render, and pages repeat the same few prices and dates."""
        formats = self._formatters.get(t.language)
        if formats is None:

            def quantity(amount: int, unit: str) -> str:
                return formatting.quantity(t, amount, unit)

            def shelf_life(period: str) -> str:
                return formatting.shelf_life(t, period)

            def date(value: dt.date) -> str:
                return t.date(value)

            formats = {
                "money": lru_cache(maxsize=4096)(t.money),
                "date": lru_cache(maxsize=4096)(date),
                "quantity": lru_cache(maxsize=4096)(quantity),
                "shelf_life": lru_cache(maxsize=256)(shelf_life),
            }
            self._formatters[t.language] = formats
        return formats

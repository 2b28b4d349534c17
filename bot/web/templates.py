"""Jinja2 templates, compiled once per language, escaping everything they print.

A page's fixed words (`{{ t("web.where_to_buy") }}`: a message without
parameters) are put into each language's copy of the templates before
compiling, escaped as the page would have printed them, so rendering calls
Jinja only for what depends on the product; messages with parameters and
Babel formatting are memoised per language. Together that halves what a
render costs.

The inline style sheet (half of every page's bytes) is the same on every
page: `render_parts` leaves it out and returns the text before and after
it, so a kept page holds only its own bytes (`STYLE` goes between them).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from functools import lru_cache
from importlib.resources import files
from typing import Any

from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup, escape

from bot.core import formatting
from bot.i18n import Translator

PAGES = (
    "product.html",
    "stamp.html",
    "message.html",
    "catalogue.html",
    "producer.html",
    "map.html",
    "overview.html",
)
STYLE = (files("bot.web") / "templates" / "origin.css").read_bytes().removesuffix(b"\n")
_STYLE_TEXT = Markup(STYLE.decode())
_INCLUDE_STYLE = '{% include "origin.css" %}'
# Where render_parts cuts: unguessable, so no product text can hold it.
_CUT = Markup(f"\x00{secrets.token_hex(16)}\x00")
# {{ t("web.key") }}: a message without parameters, the same on every page.
_FIXED_MESSAGE = re.compile(r'\{\{\s*t\("([\w.]+)"\)\s*\}\}')


class _OneLanguage(BaseLoader):
    """The package's templates with their fixed messages already in one language."""

    def __init__(self, t: Translator) -> None:
        self.t = t
        self.package = PackageLoader("bot.web", "templates")

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.package.get_source(environment, template)
        source = source.replace(_INCLUDE_STYLE, "{{ style }}")
        return _FIXED_MESSAGE.sub(self._message, source), filename, uptodate

    def _message(self, match: re.Match[str]) -> str:
        text = str(escape(self.t(match[1])))
        if "{%" in text or "{{" in text or "{#" in text:  # keep it a runtime lookup
            return match[0]
        return "{% raw %}" + text + "{% endraw %}"


class Templates:
    def __init__(self, translators: tuple[Translator, ...] = ()) -> None:
        self._pages: dict[str, dict[str, Template]] = {}
        self._formatters: dict[str, dict[str, Any]] = {}
        # Compiling here keeps the first request of each page as fast as the rest.
        for t in translators:
            self._compiled(t)

    def render(self, name: str, t: Translator, **context: Any) -> bytes:
        return self._render(name, t, _STYLE_TEXT, context).encode()

    def render_parts(self, name: str, t: Translator, **context: Any) -> tuple[bytes, bytes]:
        """The page before and after its style sheet: `before + STYLE + after` is `render`."""
        before, cut, after = self._render(name, t, _CUT, context).partition(_CUT)
        assert cut, "the template has no style sheet"
        return before.encode(), after.encode()

    def _render(self, name: str, t: Translator, style: Markup, context: dict[str, Any]) -> str:
        template = self._compiled(t)[name]
        return template.render(lang=t.language, style=style, **self._formats(t), **context)

    def _compiled(self, t: Translator) -> dict[str, Template]:
        pages = self._pages.get(t.language)
        if pages is None:
            env = Environment(
                loader=_OneLanguage(t),
                autoescape=True,
                undefined=StrictUndefined,  # a typo in a template fails a test, not a page
                auto_reload=False,  # templates never change while the server runs
                trim_blocks=True,
                lstrip_blocks=True,
            )
            pages = self._pages[t.language] = {name: env.get_template(name) for name in PAGES}
        return pages

    def _formats(self, t: Translator) -> dict[str, Any]:
        """Messages, money, dates and quantities of one language, memoised: Babel
        formatting is the slowest part of a render (a message with a count formats
        the number), and pages repeat the same few ratings, prices and dates."""
        formats = self._formatters.get(t.language)
        if formats is None:

            def quantity(amount: int, unit: str) -> str:
                return formatting.quantity(t, amount, unit)

            def shelf_life(period: str) -> str:
                return formatting.shelf_life(t, period)

            def date(value: dt.date) -> str:
                return t.date(value)

            formats = {
                "t": lru_cache(maxsize=8192)(t),
                "money": lru_cache(maxsize=4096)(t.money),
                "date": lru_cache(maxsize=4096)(date),
                "quantity": lru_cache(maxsize=4096)(quantity),
                "shelf_life": lru_cache(maxsize=256)(shelf_life),
            }
            self._formatters[t.language] = formats
        return formats

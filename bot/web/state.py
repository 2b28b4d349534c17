"""What every handler shares: settings, database, catalogs, media, clock, templates, cache."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web
from multidict import CIMultiDictProxy

from bot.config import Settings
from bot.core.channel_health import ChannelHealth
from bot.core.media import MediaStore
from bot.i18n import LANGUAGES, Catalogs, Translator
from bot.web.cache import Inflight, PageCache
from bot.web.facts import ProductFacts
from bot.web.index import FactsIndex
from bot.web.language import choose_language
from bot.web.templates import Templates
from bot.web.throttle import Throttle
from storage.db import Database


@dataclass
class WebState:
    settings: Settings
    db: Database
    catalogs: Catalogs
    media: MediaStore
    clock: Callable[[], dt.datetime]
    templates: Templates
    cache: PageCache
    headers: dict[str, str]  # security headers of every HTML page
    channels: ChannelHealth  # written by the chat channels' start-up, read by /readyz
    # Headers of a kept origin page (but its ETag), by language.
    page_headers: dict[str, CIMultiDictProxy[str]] = field(default_factory=dict)
    index: FactsIndex | None = None  # None: every page reads the database
    stamp_throttle: Throttle | None = None  # stamp checks per address a minute; None: no limit
    # Simultaneous requests for a product the index lacks share one database read.
    reads: Inflight[ProductFacts | None] = field(default_factory=Inflight)
    origin_requests: int = 0  # /p/CODE and GS1 links asked for (bot/web/metrics.py)

    def today(self) -> dt.date:
        """Today in Vietnam: certificates expire by the local date."""
        return self.clock().astimezone(self.catalogs.tz).date()

    def language(self, request: web.Request) -> str:
        query = request.query.get("lang") if request.query_string else None
        return choose_language(
            query, request.headers.get("Accept-Language"), self.settings.default_language
        )

    def translator(self, language: str) -> Translator:
        return self.catalogs.translator(language)


STATE = web.AppKey("state", WebState)


def state_of(request: web.Request) -> WebState:
    return request.app[STATE]


def other_language(language: str) -> str:
    return next(other for other in LANGUAGES if other != language)

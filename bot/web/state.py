"""What every handler shares: settings, database, catalogs, media, clock, templates, cache."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from bot.config import Settings
from bot.core.media import MediaStore
from bot.i18n import LANGUAGES, Catalogs, Translator
from bot.web.cache import PageCache
from bot.web.index import FactsIndex
from bot.web.language import choose_language
from bot.web.templates import Templates
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
    index: FactsIndex | None = None  # None: every page reads the database

    def today(self) -> dt.date:
        """Today in Vietnam: certificates expire by the local date."""
        return self.clock().astimezone(self.catalogs.tz).date()

    def language(self, request: web.Request) -> str:
        return choose_language(
            request.query.get("lang"),
            request.headers.get("Accept-Language"),
            self.settings.default_language,
        )

    def translator(self, language: str) -> Translator:
        return self.catalogs.translator(language)


STATE = web.AppKey("state", WebState)


def state_of(request: web.Request) -> WebState:
    return request.app[STATE]


def other_language(language: str) -> str:
    return next(other for other in LANGUAGES if other != language)

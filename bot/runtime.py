"""Assembles the long-lived parts: settings → database, catalogs, media, dispatcher."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.core.context import App, utc_now
from bot.core.dispatcher import Dispatcher
from bot.core.media import MediaStore
from bot.handlers.routes import Router
from bot.i18n import Catalogs
from storage.db import Database


@dataclass
class Runtime:
    settings: Settings
    app: App
    db: Database
    dispatcher: Dispatcher

    async def close(self) -> None:
        await self.db.dispose()


async def build_runtime(
    settings: Settings,
    *,
    migrate: bool = True,
    clock: Callable[[], dt.datetime] = utc_now,
) -> Runtime:
    """Opens the database (migrating it to the newest schema) and wires the core."""
    db = Database(settings.database_url)
    if migrate:
        await db.migrate()
    app = App(
        settings=settings,
        catalogs=Catalogs(settings.default_language, settings.timezone),
        media=MediaStore(settings.media),
        clock=clock,
    )
    dispatcher = Dispatcher(app, db, Router(settings))
    return Runtime(settings, app, db, dispatcher)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL, and Telegram URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)

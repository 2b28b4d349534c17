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
from bot.logs import JsonFormatter
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


class SecretFilter(logging.Filter):
    """Masks secrets in every log line: Telegram URLs and some errors carry the token."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if any(secret in text for secret in self.secrets):
                for secret in self.secrets:
                    text = text.replace(secret, "***")
                record.msg = f"{record.msg}\n{text}"
                record.exc_info, record.exc_text = None, None
        return True


def configure_logging(
    level: str, secrets: list[str] | None = None, log_format: str = "text"
) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact = SecretFilter(secrets or [])
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
        if log_format == "json":
            handler.setFormatter(JsonFormatter(secrets))
    # httpx logs every request URL, and Telegram URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)

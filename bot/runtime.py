"""Assembles the long-lived parts: settings → database, catalogs, media, dispatcher."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

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


# Anything shaped like a Telegram bot token (digits, a colon in any URL
# encoding, 30+ URL-safe characters) is masked even when it is not ours:
# a proxy may echo another path, a test another token.
_TOKEN_SHAPE = r"\d{5,}(?::|%3[aA]|%253[aA])[A-Za-z0-9_-]{30,}"
MASK = "***"


class SecretMask:
    """Replaces secrets in text: each as given, URL-encoded, its secret half, token shapes."""

    def __init__(self, secrets: list[str]) -> None:
        forms: set[str] = set()
        for secret in (s for s in secrets if s):
            forms |= {secret, quote(secret, safe=""), quote(quote(secret, safe=""), safe="")}
            _bot_id, colon, half = secret.partition(":")
            if colon and len(half) >= 16:  # the bot id is public, the half after it is not
                forms.add(half)
        alternatives = [re.escape(form) for form in sorted(forms, key=len, reverse=True)]
        self.pattern = re.compile("|".join([_TOKEN_SHAPE, *alternatives]))

    def __call__(self, text: str) -> str:
        return self.pattern.sub(MASK, text)


class SecretFilter(logging.Filter):
    """Masks secrets in a record's message, arguments, traceback and stack.

    Telegram URLs carry the bot token, and so do error messages that quote
    them (PTB's InvalidToken, a proxy's error page echoing the path).
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.mask = SecretMask(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record, self.mask)
        return True


def mask_record(record: logging.LogRecord, mask: SecretMask) -> None:
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit the format: keep both, masked
        message = f"{record.msg} {record.args!r}"
    masked = mask(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and record.exc_info[1] is not None:
        text = record.exc_text or logging.Formatter().formatException(record.exc_info)
        masked = mask(text)
        if masked != text:
            # Formatters print exc_text when it is set; the live exception is
            # dropped so that no handler formats it again, unmasked.
            record.exc_text, record.exc_info = masked, None
    elif record.exc_text:
        record.exc_text = mask(record.exc_text)
    if record.stack_info:
        record.stack_info = mask(record.stack_info)


_mask = SecretMask([])
_secrets: list[str] = []
_factory_installed = False


def mask_secrets(secrets: list[str]) -> None:
    """Masks `secrets` in every log record of every logger (aiohttp, PTB, asyncio…).

    Records are masked as they are made, so no handler, whoever added it and
    wherever it writes, sees a secret.
    """
    global _mask, _factory_installed
    _secrets[:] = [secret for secret in secrets if secret]
    _mask = SecretMask(_secrets)
    if _factory_installed:
        return
    make_record = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        mask_record(record, _mask)
        return record

    logging.setLogRecordFactory(masked_record)
    _factory_installed = True


def mask_more(*secrets: str) -> None:
    """Adds secrets learnt while running (a rotated OAuth token) to what every log record
    is masked of: a database driver's DEBUG line quotes the statement that stores them."""
    global _mask
    new = [secret for secret in secrets if secret and secret not in _secrets]
    if new:
        _secrets.extend(new)  # a pair a day: a few hundred a year
        _mask = SecretMask(_secrets)


def configure_logging(
    level: str, secrets: list[str] | None = None, log_format: str = "text"
) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    mask_secrets(secrets or [])
    if log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter(secrets))
    # httpx logs every request URL, and Telegram URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)

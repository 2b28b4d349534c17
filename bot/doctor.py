"""`ocop-bot doctor`: is this installation ready to run, and if not, what to fix.

One line per check: "ok", "warn" (works, but not as it should in
production) or "FIX" with what to do. The exit code is 1 when any line
says FIX. Tokens are never printed, nor any error text that could carry
one (a Bot API URL holds the token): only the kind of failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from bot.config import Settings, load_settings
from storage.backup import engine_of, sqlite_path
from storage.checksums import head_revision, schema_revision
from storage.db import Database

OK, WARN, FIX = "ok", "warn", "FIX"
TIMEOUT = 10.0  # seconds for each network check
LOCAL_TIMEOUT = 3.0  # for the web app on this machine
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Check:
    status: str
    name: str
    message: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.name:<10}  {self.message}"


async def examine(environ: Mapping[str, str] | None = None) -> list[Check]:
    """Every check, in the order to fix things in; a broken config stops the rest."""
    env = os.environ if environ is None else environ
    try:
        settings = load_settings(environ=env)
    except Exception as error:  # the file, its TOML or a value in it
        config = env.get("OCOP_CONFIG", "config.toml")
        return [Check(FIX, "config", f"{config} cannot be read: {error}")]
    checks = [Check(OK, "config", f"{env.get('OCOP_CONFIG', 'config.toml')} read")]
    checks.append(await database(settings))
    checks.append(await asyncio.to_thread(media, settings.media.dir))
    checks.append(public_url(settings))
    checks.append(await telegram(settings))
    checks.append(await web_port(settings))
    checks.append(backup_tools(settings))
    return checks


async def database(settings: Settings) -> Check:
    url = settings.database_url
    if engine_of(url) == "sqlite" and not await asyncio.to_thread(sqlite_path(url).is_file):
        return Check(
            FIX,
            "database",
            f"no database at {sqlite_path(url)}: run ocop-bot migrate (or check OCOP_DATABASE_URL)",
        )
    db = Database(url)
    try:
        async with asyncio.timeout(TIMEOUT), db.engine.connect() as connection:
            current = await schema_revision(connection)
    except Exception as error:
        return Check(
            FIX,
            "database",
            f"cannot connect ({type(error).__name__}): check OCOP_DATABASE_URL and that the "
            "server runs",
        )
    finally:
        await db.dispose()
    head = head_revision()
    if current != head:
        return Check(
            FIX, "database", f"schema at {current or 'none'}, code wants {head}: ocop-bot migrate"
        )
    return Check(OK, "database", f"{engine_of(settings.database_url)} reachable, schema {head}")


def media(directory: Path) -> Check:
    """Writable, or its nearest existing parent is (the bot creates it)."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".tmp-doctor-"):
            pass
    except OSError:
        return Check(
            FIX,
            "media",
            f"{existing} is not writable: give the bot's user write access, or set OCOP_MEDIA_DIR",
        )
    if existing != directory:
        return Check(OK, "media", f"{directory} will be created at the first photo")
    return Check(OK, "media", f"{directory} writable")


def public_url(settings: Settings) -> Check:
    url = urlsplit(settings.public_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        return Check(FIX, "public url", f"{settings.public_url!r} is not an http(s) address")
    if url.scheme == "https":
        return Check(OK, "public url", settings.public_url)
    if url.hostname in LOCAL_HOSTS:
        return Check(
            WARN,
            "public url",
            f"{settings.public_url} works on this machine only: set OCOP_PUBLIC_URL to the "
            "https address phones reach",
        )
    return Check(
        WARN,
        "public url",
        f"{settings.public_url} is plain http: set OCOP_PUBLIC_URL to https (deploy/Caddyfile)",
    )


async def telegram(settings: Settings) -> Check:
    token = settings.telegram_token
    if not token:
        return Check(OK, "telegram", "OCOP_TELEGRAM_TOKEN not set: the console chat runs")
    url = f"{settings.telegram_api_url}{token}/getMe"
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as answer:
            status = answer.status
            body = await answer.json(content_type=None) if status == 200 else {}
    except Exception as error:  # its text may hold the URL, and so the token
        return Check(
            FIX, "telegram", f"Bot API not reachable ({type(error).__name__}): check the network"
        )
    if status in (401, 404):
        return Check(
            FIX, "telegram", "the Bot API refused OCOP_TELEGRAM_TOKEN: copy it from @BotFather"
        )
    if status != 200 or not body.get("ok"):
        return Check(FIX, "telegram", f"the Bot API answered {status}: try again later")
    username = str(body["result"].get("username", ""))
    if username != settings.telegram_bot_username:
        return Check(
            WARN,
            "telegram",
            f"token accepted for @{username}, but OCOP_BOT_USERNAME is "
            f"{settings.telegram_bot_username}: set it to {username} (t.me links)",
        )
    return Check(OK, "telegram", f"token accepted: @{username}")


async def web_port(settings: Settings) -> Check:
    host, port = settings.web_host, settings.web_port
    where = f"{host}:{port}"
    try:
        async with asyncio.timeout(LOCAL_TIMEOUT):
            _, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return _bindable(host, port)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    try:
        timeout = aiohttp.ClientTimeout(total=LOCAL_TIMEOUT)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"http://{where}/healthz") as answer,
        ):
            if answer.status == 200:
                return Check(OK, "web", f"the web app answers on {where}")
            return Check(FIX, "web", f"the web app on {where} answers {answer.status}: see its log")
    except Exception:
        pass
    return Check(FIX, "web", f"{where} is taken by another program: set OCOP_WEB_PORT")


def _bindable(host: str, port: int) -> Check:
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        return Check(FIX, "web", f"cannot listen on {host}:{port} ({error.strerror})")
    return Check(OK, "web", f"{host}:{port} is free for the web app")


def backup_tools(settings: Settings) -> Check:
    if engine_of(settings.database_url) != "postgresql":
        return Check(OK, "backup", "SQLite: ocop-bot backup needs nothing more")
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        return Check(
            FIX,
            "backup",
            f"{' and '.join(missing)} not found: apt-get install postgresql-client",
        )
    return Check(OK, "backup", "pg_dump and pg_restore found")


def report(checks: list[Check]) -> int:
    for check in checks:
        print(check.line())
    failing = sum(check.status == FIX for check in checks)
    print("All set." if not failing else f"{failing} to fix.")
    return 1 if failing else 0

"""ocop-bot: run | chat | web | migrate | seed | set-status, and the operator's doctor | backup |
restore | copy-data."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot import backups, doctor
from bot.channels.console import ConsoleChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_sender import TelegramSender
from bot.config import Settings, load_settings
from bot.core.codes import normalize_code
from bot.core.ocop import LISTING_STATUSES
from bot.outbox.attachments import AttachmentStore
from bot.outbox.worker import OutboxWorker
from bot.runtime import Runtime, build_runtime, configure_logging
from bot.scheduler.service import SchedulerService
from bot.web import serve
from storage.db import Database
from storage.products import product_by_code, set_listing

log = logging.getLogger("ocop")


async def _run(settings: Settings, demo: bool) -> None:
    """The bot (Telegram, or the console without a token) with the web app beside it."""
    runtime = await build_runtime(settings)
    stop = asyncio.Event()
    web_task: asyncio.Task[None] | None = None
    try:
        if demo:
            await _seed(runtime.db, runtime.settings)
        web_task = asyncio.create_task(_serve_web(runtime, stop))
        if not settings.telegram_token:
            print(
                "OCOP_TELEGRAM_TOKEN is not set: starting the console chat (/quit to leave).\n"
                f"Origin pages: {settings.public_url}/p/<code>"
            )
            await ConsoleChannel(runtime.dispatcher).run()
            return
        channel = TelegramChannel(settings, runtime.dispatcher)
        await channel.start()
        # Notices, broadcasts and reminders leave through the outbox worker.
        sender = TelegramSender(channel.application.bot, AttachmentStore(runtime.app.media))
        worker = OutboxWorker(runtime.db, sender, settings, catalogs=runtime.app.catalogs)
        await worker.start()
        # Reminders are planned here and leave through the same outbox.
        scheduler = SchedulerService(
            runtime.db, settings, runtime.app.clock, catalogs=runtime.app.catalogs
        )
        await scheduler.start()
        log.info("Telegram polling started; web app on %s", settings.public_url)
        _stop_on_signals(stop)
        await stop.wait()
        await scheduler.stop()
        await worker.stop()  # lets messages in flight settle first
        await channel.stop()
    finally:
        stop.set()
        if web_task is not None:
            await web_task
        await runtime.close()


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def _serve_web(runtime: Runtime, stop: asyncio.Event) -> None:
    app = runtime.app
    try:
        await serve(runtime.settings, runtime.db, app.catalogs, app.media, app.clock, stop=stop)
    except OSError as error:  # the port is taken: the bot still runs
        log.error("web app not started on %s: %s", runtime.settings.public_url, error)


async def _web(settings: Settings) -> None:
    runtime = await build_runtime(settings)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    try:
        log.info("web app on %s:%s", settings.web_host, settings.web_port)
        await _serve_web(runtime, stop)
    finally:
        await runtime.close()


async def _chat(settings: Settings, demo: bool) -> None:
    runtime = await build_runtime(settings)
    try:
        if demo:
            await _seed(runtime.db, runtime.settings)
        await ConsoleChannel(runtime.dispatcher).run()
    finally:
        await runtime.close()


async def _seed(db: Database, settings: Settings) -> None:
    from bot.demo import seed_demo

    async with db.transaction() as session:
        created = await seed_demo(session, settings)
    print(f"Demo data: {created} producers added." if created else "Demo data already loaded.")


async def _seed_command(settings: Settings) -> None:
    runtime = await build_runtime(settings)
    try:
        await _seed(runtime.db, settings)
    finally:
        await runtime.close()


async def _migrate(settings: Settings) -> None:
    db = Database(settings.database_url)
    await db.migrate()
    await db.dispose()
    print("Database is at the newest schema.")


async def _set_status(settings: Settings, args: argparse.Namespace) -> int:
    runtime = await build_runtime(settings)
    try:
        marketplace = settings.marketplace(args.marketplace)
        if marketplace is None:
            known = ", ".join(m.id for m in settings.marketplaces)
            print(f"Unknown marketplace {args.marketplace!r}; known: {known}")
            return 2
        async with runtime.db.transaction() as session:
            product = await product_by_code(session, normalize_code(args.code))
            if product is None:
                print(f"No product with code {args.code!r}")
                return 2
            await set_listing(session, product, marketplace.id, args.status, args.url, args.reason)
        print(f"{product.code} on {marketplace.name}: {args.status}")
        return 0
    finally:
        await runtime.close()


def _add_operations(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """doctor, backup, restore, copy-data (docs/operations.md)."""
    commands.add_parser("doctor", help="check configuration, database, media, token, public URL")
    backup = commands.add_parser("backup", help="back up database and media while the bot runs")
    backup.add_argument("directory", type=Path)
    restore = commands.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("directory", type=Path)
    restore.add_argument("--force", action="store_true", help="replace a non-empty database")
    copy = commands.add_parser("copy-data", help="copy every row to another database")
    copy.add_argument("--to", required=True, metavar="URL", help="e.g. postgresql+asyncpg://…")
    copy.add_argument("--force", action="store_true", help="replace rows the target holds")


OPERATIONS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "backup": lambda settings, args: backups.back_up(settings, args.directory),
    "restore": lambda settings, args: backups.restore(settings, args.directory, force=args.force),
    "copy-data": lambda settings, args: backups.copy_data(settings, args.to, force=args.force),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ocop-bot", description="OCOP Assistant")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="Telegram polling, or the console chat without a token")
    run.add_argument("--demo", action="store_true", help="load the demo data first")
    chat = commands.add_parser("chat", help="chat in this terminal")
    chat.add_argument("--demo", action="store_true", help="load the demo data first")
    commands.add_parser("web", help="serve the origin pages, stamp checks and JSON API")
    commands.add_parser("migrate", help="upgrade the database schema")
    seed = commands.add_parser("seed", help="load data")
    seed.add_argument("--demo", action="store_true", required=True, help="fictional demo data")
    status = commands.add_parser("set-status", help="set a product's listing status")
    status.add_argument("code")
    status.add_argument("marketplace")
    status.add_argument("status", choices=LISTING_STATUSES)
    status.add_argument("--url")
    status.add_argument("--reason")
    _add_operations(commands)
    args = parser.parse_args(argv)

    if args.command == "doctor":  # before load_settings: a broken config is one of its checks
        return doctor.report(asyncio.run(doctor.examine()))
    settings = load_settings()
    secrets = [settings.telegram_token or "", settings.metrics_token or ""]
    configure_logging(settings.log_level, secrets, settings.log_format)
    if args.command in OPERATIONS:
        return asyncio.run(OPERATIONS[args.command](settings, args))
    if args.command == "run":
        asyncio.run(_run(settings, args.demo))
    elif args.command == "chat":
        asyncio.run(_chat(settings, args.demo))
    elif args.command == "web":
        asyncio.run(_web(settings))
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "seed":
        asyncio.run(_seed_command(settings))
    elif args.command == "set-status":
        return asyncio.run(_set_status(settings, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

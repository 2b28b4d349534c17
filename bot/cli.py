"""ocop-bot: run | work | chat | web | migrate | seed | set-status | clean-media, and the
operator's doctor | backup | restore | copy-data."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram.error import InvalidToken, TelegramError

from bot import backups, doctor
from bot.channels.console import ConsoleChannel
from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_sender import TelegramSender
from bot.channels.webhook import InProcess, WebhookChannel
from bot.channels.zalo_bot import CHANNEL as ZALO_BOT
from bot.channels.zalo_bot import ZaloBotChannel
from bot.channels.zalo_bot_api import MaybeSent, NotSent, ZaloBotError
from bot.channels.zalo_bot_errors import token_refused
from bot.channels.zalo_bot_sender import ZaloBotSender
from bot.channels.zalo_oa import ZaloOAChannel
from bot.channels.zalo_oa_api import ZaloOAClient
from bot.channels.zalo_oa_sender import ZaloOASender
from bot.channels.zalo_oa_tokens import CHANNEL as ZALO_OA
from bot.channels.zalo_oa_tokens import ZaloOATokens
from bot.channels.zalo_oa_window import ReplyWindows
from bot.config import Settings, load_settings
from bot.core import channel_health
from bot.core.channel_health import ChannelHealth
from bot.core.codes import normalize_code
from bot.core.errors import Invalid
from bot.core.file_links import file_links
from bot.core.listings import MAX_REASON, MIN_REASON, listing_url, needs_reason
from bot.core.media import MediaStore
from bot.core.ocop import LISTING_STATUSES
from bot.flows import parsers
from bot.inbox.intake import Intake
from bot.inbox.processes import Workers
from bot.inbox.worker import InboxWorker
from bot.outbox.attachments import AttachmentStore
from bot.outbox.limiter import RateLimiter
from bot.outbox.sender import Sender
from bot.outbox.worker import OutboxWorker
from bot.runtime import Runtime, build_runtime, configure_logging, mask_more
from bot.scheduler.service import SchedulerService
from bot.web import serve
from bot.web.webhooks import Webhooks
from storage.db import Database
from storage.products import product_by_code, set_listing

log = logging.getLogger("ocop")
CONNECT_FIRST_WAIT = 1.0  # seconds before asking Telegram again after a failed getMe
CONNECT_MAX_WAIT = 300.0  # the wait doubles up to this


async def _run(settings: Settings, demo: bool, stop: asyncio.Event | None = None) -> None:
    """The bot (Telegram, or the console without a token) with the web app beside it.

    `stop` ends it (tests); without one, SIGINT and SIGTERM do.
    """
    runtime = await build_runtime(settings)
    own_process = stop is None  # not a test's: signals stop it, its heap settles
    if stop is None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
    channels = ChannelHealth()
    web_task: asyncio.Task[None] | None = None
    zalo_oa: ZaloOARunning | None = None
    zalo_task: asyncio.Task[None] | None = None
    handler = InProcess(runtime.dispatcher)  # webhook updates, handled in this process
    webhooks = (
        Webhooks(handler.receive) if settings.webhook or settings.zalo_oa.configured else None
    )
    scheduler: SchedulerService | None = None
    try:
        if demo:
            await _seed(runtime.db, runtime.settings)
        if settings.telegram_token:
            channels.expect(TELEGRAM)  # /readyz says 503 until the token is accepted
        if settings.zalo_bot.token:
            channels.expect(ZALO_BOT)
        if settings.zalo_oa.configured:
            assert webhooks is not None
            zalo_oa = await _start_zalo_oa(runtime, channels)
            webhooks.add(zalo_oa.channel)
        web_task = asyncio.create_task(_serve_web(runtime, stop, channels, webhooks))
        if settings.zalo_bot.token:  # beside Telegram, with its own limiter and worker
            zalo_task = asyncio.create_task(_run_zalo_bot(runtime, channels, stop, webhooks))
        if not settings.telegram_token and (zalo_task or zalo_oa):
            # Reminders are planned here and leave through each channel's outbox.
            scheduler = SchedulerService(
                runtime.db, settings, runtime.app.clock, catalogs=runtime.app.catalogs
            )
            await scheduler.start()
            log.info("chat channels running; web app on %s", settings.public_url)
            if own_process:
                _settle_heap()
            await stop.wait()
            return
        if not settings.telegram_token:
            print(
                "OCOP_TELEGRAM_TOKEN is not set: starting the console chat (/quit to leave).\n"
                f"Origin pages: {settings.public_url}/p/<code>"
            )
            await ConsoleChannel(runtime.dispatcher).run()
            return
        # One limiter for the bot token: interactive replies first, the outbox after.
        limiter = RateLimiter.of(settings.send_limits(TELEGRAM))
        channel = TelegramChannel(settings, runtime.dispatcher, limiter)
        if not await _connect(channel, channels, stop):
            await channel.close()  # the HTTP sessions opened for getMe
            return
        await channel.start(channels)  # a token rejected later: /readyz says so
        # Notices, broadcasts and reminders leave through the outbox worker.
        attachments = AttachmentStore(runtime.app.media)
        sender = TelegramSender(channel.bot, attachments, limiter)
        worker = OutboxWorker(
            runtime.db, sender, settings, catalogs=runtime.app.catalogs, limiter=limiter
        )
        await worker.start()
        # Reminders are planned here and leave through the same outbox.
        scheduler = SchedulerService(
            runtime.db, settings, runtime.app.clock, catalogs=runtime.app.catalogs
        )
        await scheduler.start()
        log.info("Telegram polling started; web app on %s", settings.public_url)
        if own_process:
            _settle_heap()
        await stop.wait()
        await scheduler.stop()
        scheduler = None
        await worker.stop()  # lets messages in flight settle first
        await channel.stop()
    finally:
        stop.set()
        if scheduler is not None:
            await scheduler.stop()
        if zalo_task is not None:
            await zalo_task
        if web_task is not None:
            await web_task
        await handler.drain()
        if zalo_oa is not None:
            await _stop_zalo_oa(zalo_oa)
        await runtime.close()


@dataclass
class ZaloOARunning:
    """What `ocop-bot run` starts for a Zalo Official Account (docs/zalo.md)."""

    tokens: ZaloOATokens
    client: ZaloOAClient
    channel: ZaloOAChannel
    worker: OutboxWorker | None  # None in a webhook worker process: the main one sends


async def _start_zalo_oa(
    runtime: Runtime, channels: ChannelHealth, *, outbox: bool = True
) -> ZaloOARunning:
    """Tokens (seeded from the environment on first start), the webhook channel, and the
    OA's outbox worker, all under one limiter for the OA."""
    settings, app = runtime.settings, runtime.app
    channels.expect(ZALO_OA)
    tokens = ZaloOATokens(runtime.db, settings, app.clock, app.catalogs, channels, learnt=mask_more)
    if await tokens.bootstrap():
        channels.ready(ZALO_OA)  # a refused refresh token turns it "token rejected"
    client = ZaloOAClient(settings.zalo_oa, tokens)
    windows = ReplyWindows(runtime.db, settings.zalo_oa, app.clock)
    limiter = RateLimiter.of(settings.zalo_oa.limits)
    # Documents the OA's upload refuses go as the web app's expiring links.
    links = file_links(settings, app.media.root, app.clock)
    channel = ZaloOAChannel(settings, client, windows, runtime.db, limiter, links)
    sender = ZaloOASender(
        client,
        windows,
        AttachmentStore(app.media),
        links,
        limiter,
        max_text=settings.zalo_oa.limits.max_text,
    )
    worker = None
    if outbox:
        worker = OutboxWorker(runtime.db, sender, settings, catalogs=app.catalogs, limiter=limiter)
        await worker.start()
    return ZaloOARunning(tokens, client, channel, worker)


async def _stop_zalo_oa(running: ZaloOARunning) -> None:
    await running.channel.drain()
    if running.worker is not None:
        await running.worker.stop()
    await running.client.close()
    await running.tokens.close()


async def _connect(channel: TelegramChannel, channels: ChannelHealth, stop: asyncio.Event) -> bool:
    """Asks Telegram who the bot is (getMe) until it answers; False if told to stop first."""

    def rejected(error: Exception) -> bool | None:
        return isinstance(error, InvalidToken) if isinstance(error, TelegramError) else None

    return await _connect_until_accepted(
        TELEGRAM,
        "Telegram",
        "OCOP_TELEGRAM_TOKEN",
        channel.connect,
        rejected,
        channels,
        stop,
    )


async def _connect_until_accepted(
    name: str,
    label: str,
    variable: str,
    connect: Callable[[], Awaitable[object]],
    rejected: Callable[[Exception], bool | None],
    channels: ChannelHealth,
    stop: asyncio.Event,
) -> bool:
    """Calls `connect` (the platform's getMe) until it succeeds; False if told to stop first.

    `rejected` tells a refused token (True) from an unreachable platform (False); None
    means an error that is neither, raised on. Each failed try is one log line, then a
    wait that doubles up to CONNECT_MAX_WAIT: the process stays up (its web app too,
    /readyz saying why it is not ready) instead of exiting and being restarted in a loop
    by its supervisor.
    """
    wait, attempt = CONNECT_FIRST_WAIT, 1
    while not stop.is_set():
        try:
            await connect()
        except Exception as error:
            refused = rejected(error)
            if refused is None:
                raise
            reason = channel_health.TOKEN_REJECTED if refused else channel_health.UNREACHABLE
            channels.failed(name, reason)
            hint = f"check {variable}" if refused else "check the network"
            log.error(
                "%s: %s (%s, try %d; %s); trying again in %.0f s",
                label,
                reason,
                type(error).__name__,
                attempt,
                hint,
                wait,
            )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await stop.wait()
            wait, attempt = min(wait * 2, CONNECT_MAX_WAIT), attempt + 1
        else:
            channels.ready(name)
            if attempt > 1:
                log.info("%s: the token was accepted on try %d", label, attempt)
            return True
    return False


async def _run_zalo_bot(
    runtime: Runtime, channels: ChannelHealth, stop: asyncio.Event, webhooks: Webhooks | None
) -> None:
    """The Zalo Bot channel until `stop`: getMe with backoff, then long polling (or the
    webhook registered), its own limiter and outbox worker."""
    settings = runtime.settings
    limiter = RateLimiter.of(settings.zalo_bot.limits)  # one per token
    channel = ZaloBotChannel(settings, runtime.dispatcher, limiter)
    try:
        if not await _connect_zalo_bot(channel, channels, stop):
            return
        if webhooks is not None:
            webhooks.add(channel)
            await channel.register_webhook(f"{settings.public_url}/webhook/{ZALO_BOT}")
        else:
            await channel.start_polling()
        attachments = AttachmentStore(runtime.app.media)
        sender = ZaloBotSender(
            channel.api, attachments, channel.links, settings.zalo_bot.limits, limiter
        )
        worker = OutboxWorker(
            runtime.db, sender, settings, catalogs=runtime.app.catalogs, limiter=limiter
        )
        await worker.start()
        mode = "webhook" if webhooks is not None else "polling"
        log.info("Zalo Bot %s started; web app on %s", mode, settings.public_url)
        await stop.wait()
        await worker.stop()  # lets messages in flight settle first
    except (ZaloBotError, NotSent, MaybeSent) as error:
        log.error("Zalo Bot: could not start (%s)", error)
        channels.failed(ZALO_BOT, channel_health.UNREACHABLE)
    finally:
        await channel.stop()


async def _connect_zalo_bot(
    channel: ZaloBotChannel, channels: ChannelHealth, stop: asyncio.Event
) -> bool:
    """getMe until the platform accepts the token, as `_connect` does for Telegram."""

    def rejected(error: Exception) -> bool | None:
        if isinstance(error, ZaloBotError):
            return token_refused(error)
        return False if isinstance(error, (NotSent, MaybeSent)) else None

    return await _connect_until_accepted(
        ZALO_BOT, "Zalo Bot", "OCOP_ZALO_BOT_TOKEN", channel.connect, rejected, channels, stop
    )


# --- webhook mode: `run --webhook [--workers N]` and `work` (docs/operations.md) ----------


async def _run_webhook(
    settings: Settings, demo: bool, workers: int, stop: asyncio.Event | None = None
) -> int:
    """Platforms POST updates to <public_url>/webhook/<channel>; each is stored in the inbox
    and answered 200 at once. With `workers` 0 this process handles them too; otherwise
    that many `ocop-bot work` processes do, on the same (PostgreSQL) database. This process
    also runs each channel's outbox worker and the scheduler."""
    if not (settings.telegram_token or settings.zalo_bot.token or settings.zalo_oa.configured):
        print(
            "Webhook mode needs a channel: set OCOP_TELEGRAM_TOKEN, OCOP_ZALO_BOT_TOKEN "
            "or the OCOP_ZALO_OA_* variables.",
            file=sys.stderr,
        )
        return 2
    runtime = await build_runtime(settings)
    own_process = stop is None  # not a test's: signals stop it, its heap settles
    if stop is None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
    health = ChannelHealth()
    web_task: asyncio.Task[None] | None = None
    opened = _Opened()
    try:
        if demo:
            await _seed(runtime.db, runtime.settings)
        channels = await _webhook_channels(settings, runtime, health, opened, outbox=True)
        here = None
        if workers == 0:
            here = InboxWorker(runtime.db, runtime.dispatcher, channels, settings.inbox)
        webhooks = Webhooks(Intake(runtime.db, here.wake if here else None).receive)
        for channel in channels.values():
            webhooks.add(channel)
        web_task = asyncio.create_task(_serve_web(runtime, stop, health, webhooks))
        if not await opened.connect(health, stop):
            return 0
        for name, channel in channels.items():
            await channel.register_webhook(f"{settings.public_url}/webhook/{name}")
        scheduler = SchedulerService(
            runtime.db, settings, runtime.app.clock, catalogs=runtime.app.catalogs
        )
        if workers and runtime.db.is_sqlite:
            log.warning(
                "%d worker processes on SQLite take turns to write; use PostgreSQL", workers
            )
        processes = Workers(workers) if workers else None
        await opened.start_outboxes(runtime)
        await scheduler.start()
        if here is not None:
            await here.start()
        if processes is not None:
            await processes.start()
        log.info(
            "webhooks registered; %d worker processes; web app on %s", workers, settings.public_url
        )
        if own_process:
            _settle_heap()
        await stop.wait()
        # SIGTERM: nothing new taken, what is in hand finished (at most [inbox] stop_grace).
        if here is not None:
            await here.stop()
        if processes is not None:
            await processes.stop()
        await scheduler.stop()
    finally:
        stop.set()
        await opened.close()
        if web_task is not None:
            await web_task
        await runtime.close()
    return 0


@dataclass
class _Opened:
    """The webhook-mode channels this process opened: connected at start, each one's
    outbox worker (in the process that takes the webhooks), closed at the end."""

    telegram: TelegramChannel | None = None
    zalo_bot: ZaloBotChannel | None = None
    zalo_oa: ZaloOARunning | None = None
    outboxes: list[OutboxWorker] = field(default_factory=list)

    async def connect(self, health: ChannelHealth, stop: asyncio.Event) -> bool:
        """getMe on the channels that have it; False if told to stop first."""
        if self.telegram is not None and not await _connect(self.telegram, health, stop):
            return False
        return self.zalo_bot is None or await _connect_zalo_bot(self.zalo_bot, health, stop)

    async def start_outboxes(self, runtime: Runtime) -> None:
        settings, app = runtime.settings, runtime.app
        attachments = AttachmentStore(app.media)
        senders: list[tuple[Sender, RateLimiter]] = []
        if self.telegram is not None:
            bot, limiter = self.telegram.bot, self.telegram.limiter
            senders.append((TelegramSender(bot, attachments, limiter), limiter))
        if self.zalo_bot is not None:
            zalo, limiter = self.zalo_bot, self.zalo_bot.limiter
            zalo_sender = ZaloBotSender(
                zalo.api, attachments, zalo.links, settings.zalo_bot.limits, limiter
            )
            senders.append((zalo_sender, limiter))
        for sender, limiter in senders:
            worker = OutboxWorker(
                runtime.db, sender, settings, catalogs=app.catalogs, limiter=limiter
            )
            await worker.start()
            self.outboxes.append(worker)

    async def close(self) -> None:
        for worker in self.outboxes:
            await worker.stop()  # lets messages in flight settle first
        if self.telegram is not None:
            await self.telegram.close()
        if self.zalo_bot is not None:
            await self.zalo_bot.stop()
        if self.zalo_oa is not None:
            await _stop_zalo_oa(self.zalo_oa)


async def _webhook_channels(
    settings: Settings, runtime: Runtime, health: ChannelHealth, opened: _Opened, outbox: bool
) -> dict[str, WebhookChannel]:
    """Every configured channel that takes webhooks, by name (each with its own limiter).
    `outbox`: the Zalo OA's outbox worker starts with it (the OA has no getMe to wait for)."""
    channels: dict[str, WebhookChannel] = {}
    if settings.telegram_token:
        health.expect(TELEGRAM)
        limiter = RateLimiter.of(settings.send_limits(TELEGRAM))
        opened.telegram = TelegramChannel(settings, runtime.dispatcher, limiter)
        channels[TELEGRAM] = opened.telegram
    if settings.zalo_bot.token:
        health.expect(ZALO_BOT)
        limiter = RateLimiter.of(settings.send_limits(ZALO_BOT))
        opened.zalo_bot = ZaloBotChannel(settings, runtime.dispatcher, limiter)
        channels[ZALO_BOT] = opened.zalo_bot
    if settings.zalo_oa.configured:
        opened.zalo_oa = await _start_zalo_oa(runtime, health, outbox=outbox)
        channels[ZALO_OA] = opened.zalo_oa.channel
    return channels


async def _work(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """One worker process: leases inbox rows and handles them, until SIGTERM."""
    runtime = await build_runtime(settings, migrate=False)  # `run` (or `migrate`) migrates
    own_process = stop is None  # not a test's: signals stop it, its heap settles
    if stop is None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
    health = ChannelHealth()
    opened = _Opened()
    try:
        channels = await _webhook_channels(settings, runtime, health, opened, outbox=False)
        if not channels:
            print("No channel configured: set OCOP_TELEGRAM_TOKEN.", file=sys.stderr)
            return 2
        if not await opened.connect(health, stop):
            return 0
        worker = InboxWorker(runtime.db, runtime.dispatcher, channels, settings.inbox)
        await worker.start()
        log.info("inbox worker %s started", worker.id)
        if own_process:
            _settle_heap()
        await stop.wait()
        await worker.stop()
    finally:
        await opened.close()
        await runtime.close()
    return 0


# The collector's first generation is collected after this many new container
# objects instead of CPython's 700: most of an update's objects are freed by
# their reference counts before then, so far fewer are walked at all.
GC_THRESHOLDS = (10_000, 10, 10)


def _settle_heap() -> None:
    """Once a long-running command has started: what start-up built (modules, the
    ORM's mappers, the catalogs) lives until exit, so it leaves the collector's
    reach. A full collection then walks only what updates made since, instead
    of every object of the process (BENCHMARKS.md, "CPU per update")."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def _serve_web(
    runtime: Runtime,
    stop: asyncio.Event,
    channels: ChannelHealth | None = None,
    webhooks: Webhooks | None = None,
) -> None:
    app = runtime.app
    try:
        await serve(
            runtime.settings,
            runtime.db,
            app.catalogs,
            app.media,
            app.clock,
            stop=stop,
            channels=channels,
            webhooks=webhooks,
        )
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


def _listing_fields(
    args: argparse.Namespace, runtime: Runtime
) -> tuple[str | None, str | None] | str:
    """--url and --reason checked as the chat and the CSV upload check them, or the error."""
    t = runtime.app.catalogs.translator("en")
    try:
        url = listing_url(args.url) if args.url is not None else None
    except Invalid as error:
        return f"--url refused: {t(error.key, **error.params)}"
    reason = args.reason
    if reason is None and needs_reason(args.status):
        return "--reason is needed: a rejected listing says why, so the producer can fix it"
    try:
        reason = parsers.text(MIN_REASON, MAX_REASON)(reason) if reason is not None else None
    except Invalid as error:
        return f"--reason refused: {t(error.key, **error.params)}"
    return url, reason


async def _set_status(settings: Settings, args: argparse.Namespace) -> int:
    runtime = await build_runtime(settings)
    try:
        marketplace = settings.marketplace(args.marketplace)
        if marketplace is None:
            known = ", ".join(m.id for m in settings.marketplaces)
            print(f"Unknown marketplace {args.marketplace!r}; known: {known}", file=sys.stderr)
            return 2
        fields = _listing_fields(args, runtime)
        if isinstance(fields, str):
            print(fields, file=sys.stderr)
            return 2
        url, reason = fields
        async with runtime.db.transaction() as session:
            product = await product_by_code(session, normalize_code(args.code))
            if product is None:
                print(f"No product with code {args.code!r}", file=sys.stderr)
                return 2
            await set_listing(session, product, marketplace.id, args.status, url, reason)
        print(f"{product.code} on {marketplace.name}: {args.status}")
        return 0
    finally:
        await runtime.close()


def _clean_media(settings: Settings) -> int:
    """Photos stored before they were cleaned on arrival: rewritten without EXIF/GPS."""
    counts = MediaStore(settings.media).clean_all()
    print(
        f"Photos: {counts['cleaned']} cleaned, {counts['clean']} already clean, "
        f"{counts['refused']} not readable within the limits (not served)."
    )
    return 0


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
    run = commands.add_parser(
        "run", help="Telegram and/or Zalo Bot, or the console chat without a chat token"
    )
    run.add_argument("--demo", action="store_true", help="load the demo data first")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="take updates by webhook (also [bot] webhook, OCOP_WEBHOOK) into the inbox",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="webhook mode: N `ocop-bot work` processes handle the updates (PostgreSQL)",
    )
    commands.add_parser("work", help="webhook mode: handle stored updates (one worker process)")
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
    commands.add_parser(
        "clean-media", help="remove EXIF (GPS) from photos stored before photos were cleaned"
    )
    _add_operations(commands)
    args = parser.parse_args(argv)

    if args.command == "doctor":  # before load_settings: a broken config is one of its checks
        return doctor.report(asyncio.run(doctor.examine()))
    settings = load_settings()
    secrets = [
        settings.telegram_token or "",
        settings.check_secret or "",
        settings.metrics_token or "",
        settings.zalo_oa.secret or "",
        settings.zalo_oa.webhook_secret or "",
        settings.zalo_oa.refresh_token or "",
        settings.zalo_bot.token or "",
        settings.webhook_secret or "",
        settings.file_link_secret,
    ]
    configure_logging(settings.log_level, secrets, settings.log_format)
    if args.command in OPERATIONS:
        return asyncio.run(OPERATIONS[args.command](settings, args))
    if args.command == "run" and (args.webhook or settings.webhook):
        return asyncio.run(_run_webhook(settings, args.demo, max(0, args.workers)))
    if args.command == "work":
        return asyncio.run(_work(settings))
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
    elif args.command == "clean-media":
        return _clean_media(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The baseline: a bare python-telegram-bot echo bot, configured like the real one.

Same Bot API URLs (OCOP_TELEGRAM_TOKEN / _API_URL / _FILE_URL) and the same
polling parameters (poll_interval=0, the configured poll timeout) as
`bot/channels/telegram.py`, read from the same settings; a MessageHandler
and a CallbackQueryHandler each answer with one sendMessage and touch no
database. Its HTTP client is PTB's default (httpx), as in a bare bot;
BENCH_ECHO_TRANSPORT=aiohttp gives it the bot's own
(bot/channels/telegram_http.py) for a like-for-like comparison.

It handles 4 updates at a time (BENCH_ECHO_CONCURRENT; PTB's default is 1),
not the bot's 64: with many requests in flight httpx's pool costs several
times the CPU per request (BENCHMARKS.md, "What was wrong with the echo
baseline"), which made this baseline slower than PTB really is; 4 was its
ceiling on a core of its own (2, 4, 8 and 16 measured).
BENCH_ECHO_POOL sets httpx's pool size (PTB's default 256). Runs until
SIGTERM / SIGINT:

    python -m bench.echo_bot
"""

from __future__ import annotations

import asyncio
import os
import signal

from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

import bench  # noqa: F401  (puts the repository root on sys.path)
from bot.channels.telegram_http import AiohttpRequest
from bot.config import load_settings


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    await context.bot.send_message(chat.id, message.text or message.caption or "…")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    await query.answer()  # like the real bot: stop the button's spinner
    await context.bot.send_message(chat.id, query.data or "…")


async def main() -> None:
    settings = load_settings()
    if not settings.telegram_token:
        raise SystemExit("OCOP_TELEGRAM_TOKEN is not set")
    concurrent = int(os.environ.get("BENCH_ECHO_CONCURRENT", "4"))
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_file_url)
        .concurrent_updates(concurrent)
    )
    pool = os.environ.get("BENCH_ECHO_POOL")
    if os.environ.get("BENCH_ECHO_TRANSPORT") == "aiohttp":
        builder = builder.request(
            AiohttpRequest(connection_pool_size=int(pool or 256))
        ).get_updates_request(AiohttpRequest(connection_pool_size=1))
    elif pool:
        builder = builder.connection_pool_size(int(pool))
    application = builder.build()
    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0, timeout=settings.telegram_poll_timeout, drop_pending_updates=False
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


if __name__ == "__main__":
    asyncio.run(main())

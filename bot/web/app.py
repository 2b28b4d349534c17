"""The public web app: origin pages, stamp checks, the JSON API, photos and health.

`create_app` builds the aiohttp application from the long-lived parts the
bot already has; `serve` runs it on settings.web_host:web_port until told
to stop. Every URL it prints starts from settings.public_url.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from bot.config import Settings
from bot.core.channel_health import ChannelHealth
from bot.core.context import utc_now
from bot.core.media import MediaStore
from bot.i18n import LANGUAGES, Catalogs
from bot.web import api, file_links, media, metrics, probes, product_pages, stamp_pages
from bot.web.cache import PageCache, frozen_headers
from bot.web.errors import error_pages, quiet_bad_requests
from bot.web.index import REFRESH_SECONDS, FactsIndex
from bot.web.public_routes import add_public_routes
from bot.web.responses import cacheable_headers, page_headers
from bot.web.state import STATE, WebState
from bot.web.templates import Templates
from bot.web.throttle import Throttle
from bot.web.webhooks import Webhooks, add_webhook_routes
from storage.db import Database

log = logging.getLogger(__name__)

# How long a change to a product may take to show on its page: the facts
# index asks the database what changed this often (see index.py).
CACHE_SECONDS = REFRESH_SECONDS
CACHE_BYTES = 256 * 1024 * 1024  # every product page of the national programme fits


def create_app(
    settings: Settings,
    db: Database,
    catalogs: Catalogs,
    media_store: MediaStore,
    clock: Callable[[], dt.datetime] = utc_now,
    *,
    cache_seconds: float = CACHE_SECONDS,
    cache_bytes: int = CACHE_BYTES,
    prerender: bool = True,
    channels: ChannelHealth | None = None,
    webhooks: Webhooks | None = None,
) -> web.Application:
    """The web app. `cache_seconds` is how often the facts index looks for changes (the
    longest a change takes to show); 0 turns the index off, and every page then reads
    the database (rendered pages are still reused while the facts they show are equal).
    `prerender` renders the default language's pages of the index ahead of requests.
    `channels` is what the chat channels of this process report, for /readyz;
    `webhooks`, the channels whose platforms POST updates to /webhook/<name>."""
    quiet_bad_requests()  # malformed requests: one line, no client address
    app = web.Application(middlewares=[error_pages])
    cache = PageCache(cache_bytes)
    state = WebState(
        settings=settings,
        db=db,
        catalogs=catalogs,
        media=media_store,
        clock=clock,
        templates=Templates(tuple(catalogs.translator(lang) for lang in LANGUAGES)),
        cache=cache,
        headers=page_headers(settings.public_url),
        channels=channels or ChannelHealth(),
        stamp_throttle=(
            Throttle(settings.stamp_checks_per_minute, lambda: clock().timestamp())
            if settings.stamp_checks_per_minute > 0
            else None
        ),
    )
    state.page_headers = {
        language: frozen_headers(
            cacheable_headers(state.headers, language, product_pages.BROWSER_MAX_AGE)
        )
        for language in LANGUAGES
    }
    if cache_seconds > 0:
        state.index = FactsIndex(
            db,
            settings,
            state.today,
            cache_seconds,
            on_change=lambda old: cache.forget(product_pages.page_keys(old.code)),
        )
        app.cleanup_ctx.append(_run_index)
        if prerender:
            app.cleanup_ctx.append(_run_prerender)
    app[STATE] = state
    # Every route is a fixed prefix and a single segment or a fixed GS1 shape,
    # so no two patterns overlap and their order does not matter. Anything
    # else, "/p/../../etc/passwd" included, matches nothing and gets the 404 page.
    # GET routes answer HEAD too; stamp checks do not count a HEAD.
    app.router.add_get("/p/{code}", product_pages.product_page)
    app.router.add_get("/01/{gtin}", product_pages.gs1_product_page)
    app.router.add_get("/01/{gtin}/10/{lot}", product_pages.gs1_product_page)
    app.router.add_get("/01/{gtin}/21/{serial}", stamp_pages.gs1_stamp_page)
    app.router.add_get("/01/{gtin}/10/{lot}/21/{serial}", stamp_pages.gs1_stamp_page)
    app.router.add_get("/s/{serial}", stamp_pages.stamp_page)
    app.router.add_get("/api/v1/products/{code}", api.product_json)
    app.router.add_get("/media/{name}", media.photo)
    app.router.add_get("/media/thumbs/{name}", media.thumbnail)
    app.router.add_get("/f/{token}/{name}", file_links.linked_file)  # expiring file links
    app.router.add_get("/healthz", probes.health)
    app.router.add_get("/readyz", probes.ready)
    add_public_routes(app)  # catalogue, producers, map, overviews, sitemap (docs/catalogue.md)
    app.router.add_get("/metrics", metrics.scrape)  # off unless OCOP_METRICS_TOKEN is set
    if webhooks is not None:
        add_webhook_routes(app, webhooks)  # POST /webhook/<channel>
    return app


async def _run_index(app: web.Application) -> AsyncIterator[None]:
    index = app[STATE].index
    assert index is not None
    task = asyncio.create_task(index.run(), name="web-facts-index")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _run_prerender(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(product_pages.prerender(app[STATE]), name="web-prerender")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def serve(
    settings: Settings,
    db: Database,
    catalogs: Catalogs,
    media_store: MediaStore,
    clock: Callable[[], dt.datetime] = utc_now,
    *,
    stop: asyncio.Event | None = None,
    channels: ChannelHealth | None = None,
    webhooks: Webhooks | None = None,
) -> None:
    """Serves the web app until `stop` is set (or the task is cancelled).

    No access log: it would write every consumer's IP address to disk.
    """
    app = create_app(
        settings, db, catalogs, media_store, clock, channels=channels, webhooks=webhooks
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.web_host, settings.web_port)
        await site.start()
        log.info(
            "web: serving on %s:%s, public URL %s",
            settings.web_host,
            settings.web_port,
            settings.public_url,
        )
        await (stop or asyncio.Event()).wait()
    finally:
        await runner.cleanup()

"""The public side around the origin pages: catalogue, producers, map, overviews, SEO files.

Every path is a fixed prefix with at most one segment, in Vietnamese and
in English; none overlaps an origin-page route (app.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from bot.web import catalogue_pages, map_pages, overview_pages
from bot.web.public import (
    CATALOGUE_PATHS,
    MAP_PATHS,
    PRODUCER_PREFIXES,
    PROVINCE_PREFIXES,
    setup_state,
)
from bot.web.state import STATE
from bot.web.static_files import STATIC, StaticFiles, static_file


def add_public_routes(app: web.Application) -> None:
    setup_state(app)
    if app[STATE].index is not None:
        app.cleanup_ctx.append(_keep_ready)
    app[STATIC] = StaticFiles()
    router = app.router
    for path in CATALOGUE_PATHS:
        router.add_get(path, catalogue_pages.catalogue_page)
    for prefix in PRODUCER_PREFIXES:
        router.add_get(prefix + "/{id}", catalogue_pages.producer_page)
    for path in MAP_PATHS:
        router.add_get(path, map_pages.map_page)
    for prefix in PROVINCE_PREFIXES:
        router.add_get(prefix + "/{code}", overview_pages.overview_page)
    router.add_get(map_pages.GEOJSON_PATH, map_pages.map_geojson)
    router.add_get("/sitemap.xml", catalogue_pages.sitemap_xml)
    router.add_get("/robots.txt", catalogue_pages.robots_txt)
    router.add_get("/static/{name:[A-Za-z0-9_./-]+}", static_file)


async def _keep_ready(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(catalogue_pages.keep_current(app), name="web-catalogue-ready")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

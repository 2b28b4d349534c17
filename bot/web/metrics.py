"""GET /metrics: Prometheus metrics, for a scraper that holds OCOP_METRICS_TOKEN.

Off (404, as if there were no such page) unless OCOP_METRICS_TOKEN is set,
and then only with `Authorization: Bearer <token>`: queue depths and
request counts are nobody's business on the public internet. The Caddyfile
in deploy/ also refuses /metrics from outside.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.metrics import WebCounters, exposition
from bot.web.errors import not_found
from bot.web.state import WebState, state_of
from storage.backlog import Backlog, backlog

log = logging.getLogger(__name__)

READ_TIMEOUT = 5.0


async def scrape(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    token = state.settings.metrics_token
    if not token:
        return not_found(request)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return web.Response(
            status=401, text="unauthorized\n", headers={"WWW-Authenticate": "Bearer"}
        )
    body = exposition(await _backlog(state), _web_counters(state), state.clock())
    return web.Response(
        body=body,
        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
    )


async def _backlog(state: WebState) -> Backlog | None:
    """None when the database does not answer: the process metrics still go out."""
    try:
        async with asyncio.timeout(READ_TIMEOUT), state.db.read() as session:
            return await backlog(session, state.clock())
    except Exception:
        log.exception("metrics: the database does not answer")
        return None


def _web_counters(state: WebState) -> WebCounters:
    cache = state.cache
    return WebCounters(
        origin_requests=state.origin_requests,
        cache_hits=cache.hits,
        cache_misses=cache.misses,
        cache_pages=len(cache),
        cache_bytes=cache.size,
    )

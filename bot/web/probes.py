"""/healthz (is the process alive and its database answering) and /readyz (may it serve).

/readyz is for a load balancer or an orchestrator: 200 only when the
database answers, its schema is the newest, and every chat channel this
process runs has been accepted by its platform; otherwise 503 with a JSON
body naming the checks that failed.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import text

from bot.web.state import state_of
from storage.schema import current_revision, head_revision

log = logging.getLogger(__name__)
TIMEOUT = 5.0
NO_STORE = {"Cache-Control": "no-store"}


async def health(request: web.Request) -> web.Response:
    """200 when the database answers a query within a few seconds, else 503."""
    db = state_of(request).db
    try:
        async with asyncio.timeout(TIMEOUT), db.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        log.exception("health check: the database does not answer")
        return web.Response(status=503, text="database unavailable\n", headers=NO_STORE)
    return web.Response(text="ok\n", headers=NO_STORE)


async def ready(request: web.Request) -> web.Response:
    """200 with every check "ok", or 503 naming what is not ready."""
    state = state_of(request)
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(TIMEOUT), state.db.read() as session:
            await session.execute(text("SELECT 1"))
            checks["database"] = "ok"
            revision = await current_revision(session)
    except Exception as error:
        log.warning("readiness: the database does not answer (%s)", type(error).__name__)
        checks["database"] = "not reachable"
    else:
        head = head_revision()
        checks["migrations"] = "ok" if revision == head else f"at {revision}, newest {head}"
    for channel, channel_state in state.channels.states.items():
        checks[f"channel:{channel}"] = channel_state
    failed = sorted(name for name, result in checks.items() if result != "ok")
    body = {"ready": not failed, "checks": checks, "failed": failed}
    return web.json_response(body, status=503 if failed else 200, headers=NO_STORE)

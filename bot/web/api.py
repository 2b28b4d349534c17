"""GET /api/v1/products/{code}: the origin page's facts as JSON."""

from __future__ import annotations

import json

from aiohttp import web

from bot.web.cache import frozen_headers
from bot.web.errors import json_error
from bot.web.facts import facts_json
from bot.web.product_pages import BROWSER_MAX_AGE, facts_by_code, keep, parse_code
from bot.web.responses import cached_response
from bot.web.state import STATE

MAX_AGE = BROWSER_MAX_AGE  # as the HTML page's
HEADERS = frozen_headers(
    {
        "Cache-Control": f"public, max-age={MAX_AGE}",
        "Access-Control-Allow-Origin": "*",  # public facts: any site may show them
        "Content-Type": "application/json; charset=utf-8",
    }
)


async def product_json(request: web.Request) -> web.StreamResponse:
    code = parse_code(request.match_info["code"])
    if code is None:
        return json_error(404, "not_found")
    state = request.app[STATE]
    if state.index is not None:
        state.index.check_day()
        page = state.cache.get(("api", code))
        if page is not None:
            return cached_response(request, page)
    facts = await facts_by_code(state, code)
    if facts is None:
        return json_error(404, "not_found")
    page = keep(
        state,
        ("api", code),
        facts,
        lambda: json.dumps(facts_json(facts), ensure_ascii=False).encode(),
        HEADERS,
    )
    return cached_response(request, page)

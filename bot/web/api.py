"""GET /api/v1/products/{code}: the origin page's facts as JSON."""

from __future__ import annotations

import json

from aiohttp import web

from bot.web.errors import json_error
from bot.web.facts import facts_json
from bot.web.product_pages import facts_by_code, parse_code
from bot.web.state import state_of

MAX_AGE = 300


async def product_json(request: web.Request) -> web.StreamResponse:
    code = parse_code(request.match_info["code"])
    if code is None:
        return json_error(404, "not_found")
    state = state_of(request)
    today = state.today()

    async def build() -> bytes | None:
        facts = await facts_by_code(state, code)
        return json.dumps(facts_json(facts), ensure_ascii=False).encode() if facts else None

    page = await state.cache.get_or_build(("api", code), today, build)
    if page is None:
        return json_error(404, "not_found")
    headers = {
        "ETag": page.etag,
        "Cache-Control": f"public, max-age={MAX_AGE}",
        "Access-Control-Allow-Origin": "*",  # public facts: any site may show them
    }
    if page.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = "application/json; charset=utf-8"
    return web.Response(body=page.body, headers=headers)

"""The product-origin page: /p/{code}, and the same page for /01/{gtin} (GS1 Digital Link)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.codes import looks_like_code, normalize_code
from bot.web.errors import message_page, not_found
from bot.web.facts import ProductFacts, product_facts
from bot.web.gs1 import WrongCheckDigit, gtin13_of
from bot.web.responses import cached_page
from bot.web.state import WebState, other_language, state_of
from storage.models import Product
from storage.origin import origin_by_code, origin_by_gtin

MAX_RAW_CODE = 32  # "7K3-M9P" with spaces and dashes fits many times over
BROWSER_MAX_AGE = 300  # seconds a phone may reuse a page without asking again

Lookup = Callable[[AsyncSession], Awaitable[Product | None]]


def parse_code(raw: str) -> str | None:
    """The product code in a URL, or None for anything that cannot be one (no DB query)."""
    if len(raw) > MAX_RAW_CODE:
        return None
    code = normalize_code(raw)
    return code if looks_like_code(code) else None


async def facts_by_code(state: WebState, code: str) -> ProductFacts | None:
    """From the in-memory index when it has the product, else from the database."""
    facts = state.index.by_code(code) if state.index else None
    return facts or await _read(state, lambda session: origin_by_code(session, code))


async def facts_by_gtin(state: WebState, gtin13: str) -> ProductFacts | None:
    facts = state.index.by_gtin(gtin13) if state.index else None
    return facts or await _read(state, lambda session: origin_by_gtin(session, gtin13))


async def _read(state: WebState, lookup: Lookup) -> ProductFacts | None:
    today = state.today()
    # On SQLite transaction() queues behind the one writer; see docs/origin-page.md.
    async with state.db.transaction() as session:
        product = await lookup(session)
        return product_facts(state.settings, product, today) if product else None


async def product_page(request: web.Request) -> web.StreamResponse:
    """GET /p/{code}: the origin page, case-insensitive in the code."""
    code = parse_code(request.match_info["code"])
    if code is None:
        return not_found(request)
    state = state_of(request)
    return await _page(request, ("p", code), lambda: facts_by_code(state, code))


async def gs1_product_page(request: web.Request) -> web.StreamResponse:
    """GET /01/{gtin}[/10/{lot}]: the same page, found by barcode."""
    try:
        gtin13 = gtin13_of(request.match_info["gtin"])
    except WrongCheckDigit:
        return message_page(request, 400, "web.bad_barcode_title", "web.bad_barcode_text")
    if gtin13 is None:
        return not_found(request)
    state = state_of(request)
    return await _page(request, ("01", gtin13), lambda: facts_by_gtin(state, gtin13))


async def _page(
    request: web.Request,
    key: tuple[str, str],
    find: Callable[[], Awaitable[ProductFacts | None]],
) -> web.StreamResponse:
    state = state_of(request)
    language = state.language(request)

    async def build() -> bytes | None:
        facts = await find()
        return render_product(state, language, facts) if facts else None

    page = await state.cache.get_or_build((*key, language), state.today(), build)
    if page is None:
        return not_found(request)
    return cached_page(request, page, language, state.headers, BROWSER_MAX_AGE)


def render_product(state: WebState, language: str, facts: ProductFacts) -> bytes:
    return state.templates.render(
        "product.html",
        state.translator(language),
        f=facts,
        switch_url=f"{facts.url}?lang={other_language(language)}",
        other_lang=other_language(language),
    )

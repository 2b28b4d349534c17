"""The product-origin page: /p/{code}, and the same page for /01/{gtin} (GS1 Digital Link).

The request path reads no database when the facts index has the product.
A page already rendered is one dictionary lookup by the code in the URL
(the cache drops a product's pages when its facts change, see cache.py);
else the index gives the facts and the page is rendered and kept. A product
the index lacks (added in the last few seconds, or the index is off) is
read with Core queries in a read-only session, which queues behind no
writer, and its page is rendered for that request only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web
from multidict import CIMultiDictProxy

from bot.core.codes import looks_like_code, normalize_code
from bot.i18n import LANGUAGES
from bot.web.cache import Body, Page
from bot.web.errors import message_page, not_found
from bot.web.facts import ProductFacts, product_facts
from bot.web.gs1 import WrongCheckDigit, gtin13_of
from bot.web.responses import cached_response
from bot.web.seo import json_ld, product_ld
from bot.web.state import STATE, WebState, other_language
from bot.web.templates import STYLE
from storage.origin import origin_row

log = logging.getLogger(__name__)

PRERENDER_BATCH = 8  # pages rendered ahead (a millisecond or two) between requests' turns
PRERENDER_SHARE = 0.75  # of the page cache, at most, filled ahead of requests
MAX_RAW_CODE = 32  # "7K3-M9P" with spaces and dashes fits many times over
# Seconds a phone may reuse a page without asking again: on top of the index's
# refresh interval, how long a change may take to show on a phone that has
# just opened the page. Asking again is cheap (304 Not Modified).
BROWSER_MAX_AGE = 60


def parse_code(raw: str) -> str | None:
    """The product code in a URL, or None for anything that cannot be one (no DB query)."""
    if len(raw) > MAX_RAW_CODE:
        return None
    code = normalize_code(raw)
    return code if looks_like_code(code) else None


async def facts_by_code(state: WebState, code: str) -> ProductFacts | None:
    """From the in-memory index when it has the product, else from the database."""
    if state.index is not None:
        await state.index.first_load()
        facts = state.index.by_code(code)
        if facts is not None:
            return facts
    return await state.reads.run(("code", code), lambda: read_facts(state, code=code))


async def facts_by_gtin(state: WebState, gtin13: str) -> ProductFacts | None:
    if state.index is not None:
        await state.index.first_load()
        facts = state.index.by_gtin(gtin13)
        if facts is not None:
            return facts
    return await state.reads.run(("gtin", gtin13), lambda: read_facts(state, gtin13=gtin13))


async def read_facts(
    state: WebState, *, code: str | None = None, gtin13: str | None = None
) -> ProductFacts | None:
    today = state.today()
    async with state.db.read() as session:  # no write lock: see storage/db.py
        row = await origin_row(session, code=code, gtin13=gtin13)
    return product_facts(state.settings, row, today) if row else None


def page_keys(code: str) -> list[tuple[str, ...]]:
    """The cache keys of everything kept for a product: its page in each language, its JSON."""
    return [*(("p", code, language) for language in LANGUAGES), ("api", code)]


async def product_page(request: web.Request) -> web.StreamResponse:
    """GET /p/{code}: the origin page, case-insensitive in the code."""
    state = request.app[STATE]
    state.origin_requests += 1
    raw = request.match_info["code"]
    language = state.language(request)
    if state.index is not None:
        state.index.check_day()  # a new day drops the pages whose expiry flags flip
        # The code as printed in QR codes is the key as it is: one lookup.
        page = state.cache.get(("p", raw, language))
        if page is not None:
            return cached_response(request, page)
    code = parse_code(raw)
    if code is None:
        return not_found(request)
    facts = await facts_by_code(state, code)
    if facts is None:
        return not_found(request)
    return _page(request, state, facts, language)


async def gs1_product_page(request: web.Request) -> web.StreamResponse:
    """GET /01/{gtin}[/10/{lot}]: the same page, found by barcode."""
    request.app[STATE].origin_requests += 1
    try:
        gtin13 = gtin13_of(request.match_info["gtin"])
    except WrongCheckDigit:
        return message_page(request, 400, "web.bad_barcode_title", "web.bad_barcode_text")
    if gtin13 is None:
        return not_found(request)
    state = request.app[STATE]
    facts = await facts_by_gtin(state, gtin13)
    if facts is None:
        return not_found(request)
    return _page(request, state, facts, state.language(request))


def _page(
    request: web.Request, state: WebState, facts: ProductFacts, language: str
) -> web.Response:
    key = ("p", facts.code, language)
    page = state.cache.get(key)
    if page is None:
        page = keep(
            state,
            key,
            facts,
            lambda: render_product(state, language, facts),
            state.page_headers[language],
        )
    return cached_response(request, page)


def keep(
    state: WebState,
    key: tuple[str, ...],
    facts: ProductFacts,
    render: Callable[[], Body],
    headers: CIMultiDictProxy[str],
) -> Page:
    """Renders a page for a request; keeps it only when the facts are the index's own
    (the index then drops it when they change): a page read from the database is not."""
    state.cache.misses += 1
    if state.index is not None and state.index.current(facts):
        return state.cache.put(key, render(), headers)
    return Page(render(), headers)


def render_product(state: WebState, language: str, facts: ProductFacts) -> Body:
    """The page as (before, style sheet, after): the cache keeps the style sheet once."""
    before, after = state.templates.render_parts(
        "product.html",
        state.translator(language),
        f=facts,
        switch_url=f"{facts.url}?lang={other_language(language)}",
        other_lang=other_language(language),
        ld=json_ld(product_ld(facts)),  # schema.org Product, for link previews and search
    )
    return before, STYLE, after


async def prerender(state: WebState) -> None:
    """Renders every indexed product's page in the default language ahead of requests.

    Runs whenever the index changed (the first load, a refresh that read
    products again, a new day), a few pages at a time so requests keep
    flowing, and only while the page cache is less than PRERENDER_SHARE
    full. A product's first visit is then as cheap as any other, even when
    visits spread over the whole catalogue; other languages and the JSON
    API are rendered on their first request.
    """
    index = state.index
    assert index is not None
    language = state.settings.default_language
    headers = state.page_headers[language]
    cache = state.cache
    while True:
        await index.changed.wait()
        index.changed.clear()
        rendered = 0
        for facts in index.all():
            if cache.size > PRERENDER_SHARE * cache.max_bytes:
                break
            key = ("p", facts.code, language)
            if key in cache or not index.current(facts):  # kept, or replaced meanwhile
                continue
            try:
                cache.put(key, render_product(state, language, facts), headers)
            except Exception:  # that page will fail (and be logged) on its request instead
                log.exception("web: rendering %s ahead failed", facts.code)
                continue
            rendered += 1
            if rendered % PRERENDER_BATCH == 0:
                await asyncio.sleep(0)

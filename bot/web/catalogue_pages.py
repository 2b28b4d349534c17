"""The catalogue (/san-pham, /products), producer pages, sitemap.xml and robots.txt.

Each page is rendered once per snapshot of the catalogue and kept under
the exact query it was asked with (a second visit is one dictionary
lookup), as origin pages are; public.py drops them when the index moves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from aiohttp import web

from bot.core import places
from bot.i18n import Translator
from bot.web.catalogue import Catalogue, Filters, ProducerEntry, page_number, parse_filters
from bot.web.errors import not_found
from bot.web.overview_pages import visible_provinces
from bot.web.public import (
    CATALOGUE_PATHS,
    MAP_PATHS,
    PRODUCER_PREFIXES,
    PROVINCE_PREFIXES,
    PUBLIC,
    cacheable,
    current,
    filter_options,
    ignored_names,
    keep_page,
    kept_page,
    links_for,
    links_of,
    page_context,
    query_of,
    snapshot_now,
    whole_catalogue_page,
)
from bot.web.responses import cached_response
from bot.web.seo import item_list_ld, json_ld, producer_ld, robots, sitemap
from bot.web.state import STATE, WebState

MAX_PRODUCER_ID = 9  # digits
READY_SECONDS = 1.0  # how often the snapshot is checked against the index


async def catalogue_page(request: web.Request) -> web.StreamResponse:
    headers = request.app[PUBLIC].headers
    return await whole_catalogue_page(request, "catalogue", render_catalogue, headers)


def render_catalogue(request: web.Request, catalogue: Catalogue, language: str) -> bytes:
    state = request.app[STATE]
    t = state.translator(language)
    query = query_of(request)
    filters = parse_filters(query, state.settings)
    positions = catalogue.select(filters)
    size = state.settings.catalogue.page_size
    cards, shown, pages = catalogue.page(positions, page_number(query.get("page")), size)
    links = links_of(request)
    params = filters.params()
    base = state.settings.public_url

    def page_url(number: int) -> str:
        extra = [("page", str(number))] if number > 1 else []
        return links.with_query(CATALOGUE_PATHS[0], params + extra)

    heading = _heading(t, filters)
    canonical = base + links.with_query(
        CATALOGUE_PATHS[0], params + ([("page", str(shown))] if shown > 1 else [])
    )
    context = page_context(
        request,
        language,
        canonical=canonical,
        section="catalogue",
        og_title=heading,
        description=t("web.catalogue_description", count=len(positions)),
        ld=json_ld(item_list_ld(cards, canonical, heading)),
        og_image=next((f.cover.url for f in cards if f.cover), None),
    )
    return state.templates.render(
        "catalogue.html",
        t,
        heading=heading,
        filters=filters,
        ignored=ignored_names(t, filters),
        options=filter_options(state, filters),
        form_action=CATALOGUE_PATHS[0],
        cards=cards,
        total=len(positions),
        page=shown,
        pages=pages,
        prev_url=page_url(shown - 1) if shown > 1 else None,
        next_url=page_url(shown + 1) if shown < pages else None,
        **context,
    )


def _heading(t: Translator, filters: Filters) -> str:
    parts = [t("web.catalogue_title")]
    if filters.commune:
        commune = places.ward(filters.commune)
        parts.append(commune.name if commune else "")
    if filters.province:
        province = places.province(filters.province)
        parts.append(province.name if province else "")
    return " · ".join(part for part in parts if part)


async def producer_page(request: web.Request) -> web.StreamResponse:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > MAX_PRODUCER_ID:
        return not_found(request)
    state = request.app[STATE]
    public = request.app[PUBLIC]
    language = state.language(request)
    key = producer_key(language, request.path, request.query_string)
    page = kept_page(request, key)
    if page is None:
        catalogue = await current(request)
        entry = catalogue.producers.get(int(raw))
        if entry is None:
            return not_found(request)
        body = render_producer(state, entry, language, request.path, request.query)
        page = keep_page(request, key, body, public.headers[language])
    return cached_response(request, page)


def producer_key(language: str, path: str, query_string: str) -> tuple[str, ...]:
    return ("producer", language, path, query_string)


def render_producer(
    state: WebState, entry: ProducerEntry, language: str, path: str, query: Mapping[str, str]
) -> bytes:
    t = state.translator(language)
    links = links_for(state, query)
    p = entry.facts
    url = f"{state.settings.public_url}{PRODUCER_PREFIXES[0]}/{p.id}"
    # Its own story; without one, up to three of its products' stories.
    stories = (
        [p.story]
        if p.story
        else list(dict.fromkeys(f.story for f in entry.products if f.story))[:3]
    )
    where = ", ".join(part for part in (p.ward, p.province) if part)
    count = t("web.producer_products", count=len(entry.products))
    context = page_context(
        (state, path, query),
        language,
        canonical=url,
        section="catalogue",
        og_title=p.name + (f" · {t('web.rating', count=entry.stars)}" if entry.stars else ""),
        description=" · ".join(part for part in (where, count) if part),
        ld=json_ld(producer_ld(entry, url)),
        og_image=next((f.cover.url for f in entry.products if f.cover), None),
        og_type="profile",
    )
    located = p.latitude is not None and p.longitude is not None
    return state.templates.render(
        "producer.html",
        t,
        p=p,
        best=entry.stars,
        products=entry.products,
        stories=stories,
        map_link=f"{links.map}#15/{p.latitude:.5f}/{p.longitude:.5f}" if located else None,
        province_url=links.with_query(CATALOGUE_PATHS[0], [("province", str(p.province_code))]),
        commune_url=links.with_query(
            CATALOGUE_PATHS[0],
            [("province", str(p.province_code)), ("commune", str(p.ward_code))],
        ),
        **context,
    )


async def keep_current(app: web.Application) -> None:
    """Rebuilds the catalogue snapshot as soon as the index moved on (checked every
    READY_SECONDS), so requests seldom find it out of date.

    Producer pages are not rendered ahead (origin pages are, product_pages.prerender):
    rendering 8,500 of them at start-up would compete with the origin pages' own
    rendering ahead; a producer page is rendered on its first visit (a millisecond or
    two) and kept until the catalogue changes."""
    index = app[STATE].index
    assert index is not None
    await index.first_load()
    while True:
        snapshot_now(app)
        await asyncio.sleep(READY_SECONDS)


# --- sitemap.xml and robots.txt -----------------------------------------------------


async def sitemap_xml(request: web.Request) -> web.Response:
    state = request.app[STATE]
    public = request.app[PUBLIC]
    catalogue = await current(request)
    body = public.extra.get("sitemap") if cacheable(request) else None
    if body is None:
        base = state.settings.public_url
        urls = [f"{base}{CATALOGUE_PATHS[0]}", f"{base}{MAP_PATHS[0]}"]
        urls += [
            f"{base}{PROVINCE_PREFIXES[0]}/{code}"
            for code in visible_provinces(state.settings, catalogue)
        ]
        urls += [f"{base}{PRODUCER_PREFIXES[0]}/{pid}" for pid in sorted(catalogue.producers)]
        urls += [facts.url for facts in catalogue.products]
        body = public.extra["sitemap"] = sitemap(urls)
    return web.Response(
        body=body,
        headers={
            "Content-Type": "application/xml; charset=utf-8",
            "Cache-Control": "public, max-age=3600",
        },
    )


async def robots_txt(request: web.Request) -> web.Response:
    return web.Response(
        body=robots(request.app[STATE].settings.public_url),
        headers={
            "Content-Type": "text/plain; charset=utf-8",
            "Cache-Control": "public, max-age=86400",
        },
    )

"""A province's OCOP results in public (/tinh/{code}, /provinces/{code}).

The figures the provincial plans count: products by stars and by group,
the share of 3-star-and-up products on at least one marketplace, the share
with a QR label, trainings held. They come from storage.kpis (three
aggregate queries) and storage.catalogue.trainings_held, read at most once
every FIGURES_SECONDS per province. An officer switches a province's page
off with `[catalogue] hidden_overviews` in config.toml: it then answers 404
and leaves the sitemap.
"""

from __future__ import annotations

import time

from aiohttp import web

from bot.config import Settings
from bot.core import places
from bot.core.ocop import GROUPS
from bot.i18n import Translator
from bot.web.cache import Page
from bot.web.catalogue import Catalogue
from bot.web.errors import not_found
from bot.web.public import (
    CATALOGUE_PATHS,
    MAP_PATHS,
    PROVINCE_PREFIXES,
    PUBLIC,
    cacheable,
    links_of,
    page_context,
)
from bot.web.responses import cached_response
from bot.web.seo import json_ld
from bot.web.state import STATE
from storage.catalogue import trainings_held
from storage.kpis import Kpis, kpis, share

FIGURES_SECONDS = 600.0  # figures for a whole province change slowly


def visible_provinces(settings: Settings, catalogue: Catalogue) -> list[int]:
    """Provinces with products in the catalogue whose overview is not switched off."""
    hidden = set(settings.catalogue.hidden_overviews)
    return [code for code in catalogue.provinces if code not in hidden]


async def overview_page(request: web.Request) -> web.StreamResponse:
    raw = request.match_info["code"]
    state = request.app[STATE]
    if not raw.isdigit() or len(raw) > 3:
        return not_found(request)
    code = int(raw)
    province = places.province(code)
    if province is None or code in state.settings.catalogue.hidden_overviews:
        return not_found(request)
    public = request.app[PUBLIC]
    language = state.language(request)
    key = ("overview", language, code, request.query_string)
    kept = public.extra.get(key) if cacheable(request) else None
    if kept is not None and time.monotonic() - kept[0] < FIGURES_SECONDS:
        return cached_response(request, kept[1])
    figures, held = await _figures(request, code)
    body = _render(request, language, province.name, code, figures, held)
    page = Page(body, public.headers[language])
    if cacheable(request):
        public.extra[key] = (time.monotonic(), page)
    return cached_response(request, page)


async def _figures(request: web.Request, code: int) -> tuple[Kpis, int]:
    state = request.app[STATE]
    async with state.db.read() as session:
        figures = await kpis(session, code, state.today())
        held = await trainings_held(session, code, state.clock())
    return figures, held


def _render(
    request: web.Request, language: str, name: str, code: int, figures: Kpis, held: int
) -> bytes:
    state = request.app[STATE]
    t = state.translator(language)
    links = links_of(request)
    canonical = f"{state.settings.public_url}{PROVINCE_PREFIXES[0]}/{code}"
    total = figures.total
    title = t("web.overview_title", province=name)
    context = page_context(
        request,
        language,
        canonical=canonical,
        section="catalogue",
        og_title=title,
        description=t("web.overview_products", count=total.products),
        ld=json_ld(
            {
                "@context": "https://schema.org",
                "@type": "WebPage",
                "name": title,
                "url": canonical,
                "about": {"@type": "AdministrativeArea", "name": name},
            }
        ),
    )

    def percent(part: int, whole: int) -> str:
        return _percent(t, part, whole)

    return state.templates.render(
        "overview.html",
        t,
        province_name=name,
        k=figures,
        trainings=held,
        by_stars=sorted(figures.by_stars.items(), key=lambda item: -item[0] or 99),
        by_group=[(g, figures.by_group[g]) for g in GROUPS if figures.by_group.get(g)],
        number=t.number,
        share=percent,
        catalogue_link=links.with_query(CATALOGUE_PATHS[0], [("province", str(code))]),
        map_link=links.with_query(MAP_PATHS[0], [("province", str(code))]),
        **context,
    )


def _percent(t: Translator, part: int, whole: int) -> str:
    ratio = share(part, whole)
    return "—" if ratio is None else f"{t.number(round(ratio * 100))}%"

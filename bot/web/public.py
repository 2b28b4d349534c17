"""What the public catalogue, producer, map and overview pages share.

`PublicState` holds the current `Catalogue` snapshot and the pages and
GeoJSON bodies made from it. A snapshot is rebuilt when the facts index
moved on (`FactsIndex.generation`), which drops everything made from the
old one; so a kept page is never staler than the index, as for origin
pages. With the index off (tests) every request reads the database.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from markupsafe import Markup
from multidict import CIMultiDictProxy

from bot.core import places
from bot.core.ocop import GROUPS
from bot.i18n import LANGUAGES
from bot.web.cache import Page, PageCache, frozen_headers
from bot.web.catalogue import Catalogue, Filters
from bot.web.facts import ProductFacts, product_facts
from bot.web.responses import HTML, cached_response
from bot.web.state import STATE, WebState, other_language
from storage.origin import origin_rows

CSS = Markup((files("bot.web") / "templates" / "catalogue.css").read_text().strip())
# Catalogue pages, every producer page gzipped (8,500: some 30 MB) and map data.
CACHE_BYTES = 96 * 1024 * 1024
BROWSER_MAX_AGE = 60
CHUNK = 500

# Canonical paths (Vietnamese) and their English aliases.
CATALOGUE_PATHS = ("/san-pham", "/products")
MAP_PATHS = ("/ban-do", "/map")
PRODUCER_PREFIXES = ("/nha-san-xuat", "/producers")
PROVINCE_PREFIXES = ("/tinh", "/provinces")


@dataclass
class PublicState:
    pages: PageCache = field(default_factory=lambda: PageCache(CACHE_BYTES))
    snapshot: Catalogue | None = None
    headers: dict[str, CIMultiDictProxy[str]] = field(default_factory=dict)  # by language
    map_headers: dict[str, CIMultiDictProxy[str]] = field(default_factory=dict)
    # The same, for a body kept gzipped (every browser asks for gzip: a third of the bytes).
    gzip_headers: dict[int, CIMultiDictProxy[str]] = field(default_factory=dict)  # by id()
    extra: dict[Any, Any] = field(default_factory=dict)  # sitemap and the like, per snapshot


PUBLIC = web.AppKey("public", PublicState)


def csp(public_url: str, tiles_url: str = "", scripts: bool = False) -> str:
    """No script on the catalogue pages (JSON-LD is data, not run); the map page runs
    this server's own scripts and draws tiles from the configured tile server."""
    tiles = tile_origin(tiles_url) if tiles_url else ""
    parts = [
        "default-src 'none'",
        f"img-src 'self' data: {public_url} {tiles}".strip(),
        "style-src 'self' 'unsafe-inline'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    if scripts:
        parts += ["script-src 'self'", "connect-src 'self'"]
    return "; ".join(parts)


def tile_origin(tiles_url: str) -> str:
    """The scheme and host of a tile URL template ({s} stands for any subdomain)."""
    parts = urlsplit(tiles_url.replace("{s}.", "*.").replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def setup_state(app: web.Application) -> PublicState:
    state = app[STATE]
    settings = state.settings
    public = PublicState()
    for language in LANGUAGES:
        common = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "Cache-Control": f"public, max-age={BROWSER_MAX_AGE}",
            "Vary": "Accept-Language, Accept-Encoding",
            "Content-Language": language,
            "Content-Type": HTML,
        }
        public.headers[language] = frozen_headers(
            {**common, "Content-Security-Policy": csp(settings.public_url)}
        )
        public.map_headers[language] = frozen_headers(
            {
                **common,
                "Content-Security-Policy": csp(
                    settings.public_url, settings.catalogue.map_tiles_url, scripts=True
                ),
            }
        )
    for headers in (*public.headers.values(), *public.map_headers.values()):
        public.gzip_headers[id(headers)] = frozen_headers({**headers, "Content-Encoding": "gzip"})
    app[PUBLIC] = public
    return public


def wants_gzip(request: web.Request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "")


def kept_page(request: web.Request, key: tuple[object, ...]) -> Page | None:
    """A kept page for this request (gzipped if the client takes gzip), when the snapshot
    it was made from is still the index's: the request path of nearly every visit."""
    index = request.app[STATE].index
    if index is None:
        return None
    index.check_day()
    public = request.app[PUBLIC]
    snapshot = public.snapshot
    if snapshot is None or snapshot.generation != index.generation:
        return None
    return public.pages.get((*key, "gzip") if wants_gzip(request) else key)


def keep_page(
    request: web.Request, key: tuple[object, ...], body: bytes, headers: CIMultiDictProxy[str]
) -> Page:
    """Keeps the page as rendered, plain or gzipped as this client asks (the other form
    is made when a client asks for it), and returns it."""
    public = request.app[PUBLIC]
    if wants_gzip(request):
        key, body, headers = (*key, "gzip"), zipped(body), public.gzip_headers[id(headers)]
    if cacheable(request):
        return public.pages.put(key, body, headers)
    return Page(body, headers)


def zipped(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=6, mtime=0)


Render = Callable[[web.Request, Catalogue, str], bytes]


async def whole_catalogue_page(
    request: web.Request,
    name: str,
    render: Render,
    headers: Mapping[str, CIMultiDictProxy[str]],
) -> web.StreamResponse:
    """A page drawn from the whole catalogue (the catalogue, the map): the kept copy
    while the snapshot is current, else rendered from the snapshot and kept."""
    language = request.app[STATE].language(request)
    key = (name, language, request.query_string)
    page = kept_page(request, key)
    if page is None:
        body = render(request, await current(request), language)
        page = keep_page(request, key, body, headers[language])
    return cached_response(request, page)


async def current(request: web.Request) -> Catalogue:
    """The catalogue as the index holds it now. The snapshot is normally rebuilt ahead of
    requests (`keep_ready`); a request finds it out of date only in the second between."""
    state = request.app[STATE]
    if state.index is None:
        return await read_catalogue(state)
    await state.index.first_load()
    return snapshot_now(request.app)


def snapshot_now(app: web.Application) -> Catalogue:
    """The snapshot for the index's current generation (rebuilt, kept pages dropped, if
    the index moved on)."""
    index = app[STATE].index
    assert index is not None
    public = app[PUBLIC]
    index.check_day()
    snapshot = public.snapshot
    if snapshot is None or snapshot.generation != index.generation:
        snapshot = public.snapshot = Catalogue(index.all(), index.generation, snapshot)
        public.pages.clear()
        public.extra.clear()
    return snapshot


async def read_catalogue(state: WebState) -> Catalogue:
    """Every published product from the database (only with the index off: tests)."""
    today = state.today()
    facts: list[ProductFacts] = []
    after = 0
    while True:
        async with state.db.read() as session:
            rows = await origin_rows(session, after, CHUNK)
        facts.extend(product_facts(state.settings, row, today) for row in rows)
        if len(rows) < CHUNK:
            return Catalogue(facts, -1)
        after = rows[-1].id


def cacheable(request: web.Request) -> bool:
    """Pages are kept only when built from the index (the test mode reads afresh)."""
    return request.app[STATE].index is not None


# --- links -----------------------------------------------------------------------


@dataclass(frozen=True)
class Links:
    """Where the shared parts of a page point, in the reader's chosen language."""

    base: str  # public URL
    lang: str | None  # ?lang= as the reader chose it explicitly, else None

    @property
    def suffix(self) -> str:
        return f"?lang={self.lang}" if self.lang else ""

    def with_query(self, path: str, params: list[tuple[str, str]]) -> str:
        pairs = [*params, *([("lang", self.lang)] if self.lang else [])]
        return f"{path}?{urlencode(pairs)}" if pairs else path

    @property
    def catalogue(self) -> str:
        return f"{CATALOGUE_PATHS[0]}{self.suffix}"

    @property
    def map(self) -> str:
        return f"{MAP_PATHS[0]}{self.suffix}"

    def producer(self, producer_id: int) -> str:
        return f"{PRODUCER_PREFIXES[0]}/{producer_id}{self.suffix}"

    def province(self, code: int) -> str:
        return f"{PROVINCE_PREFIXES[0]}/{code}{self.suffix}"


def links_of(request: web.Request) -> Links:
    return links_for(request.app[STATE], request.query)


def links_for(state: WebState, query: Mapping[str, str]) -> Links:
    chosen = query.get("lang")
    return Links(state.settings.public_url, chosen if chosen in LANGUAGES else None)


def switch_url(path: str, query: Mapping[str, str], language: str) -> str:
    """This page in the other language (its filters kept)."""
    params = [(k, v) for k, v in query.items() if k != "lang"]
    params.append(("lang", other_language(language)))
    return f"{path}?{urlencode(params)}"


def page_context(
    where: web.Request | tuple[WebState, str, Mapping[str, str]],
    language: str,
    *,
    canonical: str,
    section: str,
    og_title: str,
    description: str,
    ld: Markup,
    og_image: str | None = None,
    og_type: str = "website",
) -> dict[str, Any]:
    """What public.html prints; `where` is the request, or (state, path, query) when a
    page is rendered ahead of any request."""
    query: Mapping[str, str]
    if isinstance(where, web.Request):
        state, path, query = where.app[STATE], where.path, where.query
    else:
        state, path, query = where
    links = links_for(state, query)
    return {
        "canonical": canonical,
        "section": section,
        "og_title": og_title,
        "og_type": og_type,
        "og_image": og_image,
        "description": description,
        "ld": ld,
        "links": links,
        "lang_suffix": links.suffix,
        "explicit_lang": links.lang is not None,
        "switch_url": switch_url(path, query, language),
        "other_lang": other_language(language),
        "catalogue_css": CSS,
        "producer_url": links.producer,
    }


def filter_options(state: WebState, filters: Filters) -> dict[str, Any]:
    """The choices the filter bar offers; communes only once a province is chosen."""
    return {
        "provinces": places.provinces(),
        "communes": places.wards(filters.province) if filters.province else (),
        "groups": tuple(GROUPS),
        "markets": state.settings.marketplaces,
    }


def ignored_names(t: Any, filters: Filters) -> str:
    """The filters not applied, by their labels ("Tỉnh/thành, Sao")."""
    labels = {
        "province": "web.filter_province",
        "commune": "web.filter_commune",
        "group": "web.filter_group",
        "stars": "web.filter_stars",
        "market": "web.filter_market",
    }
    return ", ".join(t(labels[name]) for name in dict.fromkeys(filters.ignored) if name in labels)


def query_of(request: web.Request) -> Mapping[str, str]:
    """The query without repeats (the first value of each name counts)."""
    first: dict[str, str] = {}
    for key, value in request.query.items():
        first.setdefault(key, value)
    return first

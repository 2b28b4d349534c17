"""The map (/ban-do, /map) and its data (/api/v1/map.geojson).

The page is the filter bar and a Leaflet map (served from /static, no
CDN) whose tiles come from `[catalogue] map_tiles_url`. Its script fetches
the GeoJSON with the same filters: one point per producer that shared its
location in /register and has an approved product matching them. A
producer without a location stays in the catalogue and in its province's
list, not on the map.

The GeoJSON of a selection is built once per snapshot of the catalogue and
kept gzipped (every producer of the national programme: a few hundred KB
raw, under 300 KB gzipped); a phone that sends no Accept-Encoding: gzip
gets it unzipped.
"""

from __future__ import annotations

import gzip
import hashlib
import json

from aiohttp import web

from bot.web.catalogue import Catalogue, ProducerEntry, parse_filters
from bot.web.public import (
    MAP_PATHS,
    PRODUCER_PREFIXES,
    PUBLIC,
    cacheable,
    current,
    filter_options,
    ignored_names,
    links_of,
    page_context,
    query_of,
    whole_catalogue_page,
)
from bot.web.seo import json_ld
from bot.web.state import STATE
from bot.web.static_files import STATIC

GEOJSON_PATH = "/api/v1/map.geojson"
MAX_KEPT = 256  # selections whose GeoJSON is kept per snapshot
SCRIPTS = ("vendor/leaflet/leaflet.js", "vendor/markercluster/leaflet.markercluster.js", "map.js")
STYLESHEETS = (
    "vendor/leaflet/leaflet.css",
    "vendor/markercluster/MarkerCluster.css",
    "vendor/markercluster/MarkerCluster.Default.css",
)


async def map_page(request: web.Request) -> web.StreamResponse:
    headers = request.app[PUBLIC].map_headers
    return await whole_catalogue_page(request, "map", _render, headers)


def _render(request: web.Request, catalogue: Catalogue, language: str) -> bytes:
    state = request.app[STATE]
    t = state.translator(language)
    static = request.app[STATIC]
    filters = parse_filters(query_of(request), state.settings)
    producers = catalogue.producers_of(catalogue.select(filters))
    located = sum(1 for entry in producers if entry.located)
    links = links_of(request)
    params = filters.params()
    canonical = state.settings.public_url + links.with_query(MAP_PATHS[0], params)
    title = t("web.map_title")
    context = page_context(
        request,
        language,
        canonical=canonical,
        section="map",
        og_title=title,
        description=t("web.map_count", count=located),
        ld=json_ld(
            {"@context": "https://schema.org", "@type": "Map", "name": title, "url": canonical}
        ),
    )
    settings = state.settings.catalogue
    return state.templates.render(
        "map.html",
        t,
        filters=filters,
        ignored=ignored_names(t, filters),
        options=filter_options(state, filters),
        form_action=MAP_PATHS[0],
        located=located,
        unlocated=len(producers) - located,
        geojson_url=GEOJSON_PATH + (links.with_query("", params) if params else ""),
        tiles_url=settings.map_tiles_url,
        attribution=settings.map_attribution,
        producer_base=PRODUCER_PREFIXES[0] + "/",
        scripts=[static.url(name) for name in SCRIPTS],
        stylesheets=[static.url(name) for name in STYLESHEETS],
        **context,
    )


def feature(entry: ProducerEntry) -> dict[str, object]:
    """One producer as a GeoJSON point: short property names keep the whole map small
    (n name, i id, s best stars, c products)."""
    producer = entry.facts
    return {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            # 5 decimals: about a metre, as precise as a phone's location.
            "coordinates": [round(producer.longitude or 0, 5), round(producer.latitude or 0, 5)],
        },
        "properties": {
            "n": producer.name,
            "i": producer.id,
            "s": entry.stars,
            "c": len(entry.products),
        },
    }


def geojson_body(producers: list[ProducerEntry]) -> bytes:
    features = [feature(entry) for entry in producers if entry.located]
    data = {"type": "FeatureCollection", "features": features}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class GeoJson:
    """One selection's GeoJSON, plain and gzipped, with its ETag."""

    __slots__ = ("etag", "gzipped", "plain")

    def __init__(self, plain: bytes) -> None:
        self.plain = plain
        self.gzipped = gzip.compress(plain, compresslevel=9, mtime=0)
        self.etag = f'"{hashlib.blake2b(plain, digest_size=12).hexdigest()}"'


async def map_geojson(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    public = request.app[PUBLIC]
    catalogue = await current(request)
    filters = parse_filters(query_of(request), state.settings)
    key = ("geojson", tuple(filters.params()))
    kept = public.extra.get(key) if cacheable(request) else None
    if kept is None:
        producers = catalogue.producers_of(catalogue.select(filters))
        kept = GeoJson(geojson_body(producers))
        if cacheable(request) and len(public.extra) < MAX_KEPT:
            public.extra[key] = kept
    headers = {
        "Content-Type": "application/geo+json",
        "Cache-Control": "public, max-age=60",
        "Vary": "Accept-Encoding",
        "ETag": kept.etag,
        "Access-Control-Allow-Origin": "*",
    }
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and kept.etag in if_none_match:
        return web.Response(status=304, headers=headers)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        return web.Response(body=kept.gzipped, headers={**headers, "Content-Encoding": "gzip"})
    return web.Response(body=kept.plain, headers=headers)

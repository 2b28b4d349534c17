"""HTML responses with the headers every page carries."""

from __future__ import annotations

from aiohttp import web

from bot.web.cache import Page

HTML = "text/html; charset=utf-8"
# Pages load nothing from elsewhere (no fonts, scripts or CDNs): the CSS is
# inline and images come from this server.
CSP = (
    "default-src 'none'; img-src 'self' {origin}; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def page_headers(public_url: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP.format(origin=public_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


def cacheable_headers(base_headers: dict[str, str], language: str, max_age: int) -> dict[str, str]:
    """The headers of a kept page in one language (the cache adds its ETag)."""
    return {
        **base_headers,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Language",
        "Content-Language": language,
        "Content-Type": HTML,
    }


def cached_response(request: web.Request, page: Page) -> web.Response:
    """A kept page or JSON body with its headers, or 304 when the client holds this version."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and page.etag in if_none_match:
        headers = page.headers.copy()
        headers.popall("Content-Type", None)
        headers["ETag"] = page.etag
        return web.Response(status=304, headers=headers)
    response = web.Response(body=page.body, headers=page.headers)
    response.headers["ETag"] = page.etag
    return response


def fresh_page(
    body: bytes, language: str, base_headers: dict[str, str], status: int = 200
) -> web.Response:
    """A page made for this request only (stamp checks, errors): never stored by anyone."""
    headers = {
        **base_headers,
        "Cache-Control": "no-store",
        "Content-Language": language,
        "Content-Type": HTML,
    }
    return web.Response(body=body, status=status, headers=headers)

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


def cached_page(
    request: web.Request, page: Page, language: str, base_headers: dict[str, str], max_age: int
) -> web.Response:
    """A cached page, or 304 when the browser already holds this version."""
    headers = {
        **base_headers,
        "ETag": page.etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Language",
        "Content-Language": language,
    }
    if page.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = HTML
    return web.Response(body=page.body, headers=headers)


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

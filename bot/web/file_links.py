"""GET /f/<token>/<name>: a label, chart or PDF sent as a link (bot/core/file_links.py).

A link that is not ours (a changed letter, another name) is a 404 like any
unknown page; a genuine one past its expiry is a 410 page that says so.
"""

from __future__ import annotations

import mimetypes

from aiohttp import web

from bot.core.file_links import LinkExpired, file_links
from bot.web.errors import message_page, not_found
from bot.web.state import state_of

HEADERS = {
    "Cache-Control": "private, no-store",  # the link expires; no proxy keeps the file
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}


async def linked_file(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    links = file_links(state.settings, state.media.root, state.clock)
    name = request.match_info["name"]
    try:
        found = links.open(request.match_info["token"], name)
    except LinkExpired:
        return message_page(request, 410, "web.link_expired_title", "web.link_expired_text")
    if found is None:
        return not_found(request)
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    headers = {**HEADERS, "Content-Type": mime}
    if not mime.startswith("image/"):
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return web.FileResponse(found.path, headers=headers)

"""Product photos and thumbnails, straight from the content-addressed MediaStore.

A file's name is its SHA-256, so its bytes never change: browsers and
proxies may keep it for a year without asking again. Only names that are a
SHA-256 with a known extension are accepted, and the path is built by the
MediaStore from those, never from the request, so no request reaches any
other file.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from bot.core.media import FORMATS, MediaStore
from bot.web.errors import not_found
from bot.web.state import state_of

_MIME_OF = {ext: mime for mime, ext in FORMATS.values()}
PHOTO_NAME = re.compile(r"([0-9a-f]{64})\.(jpg|png|webp)")
THUMB_NAME = re.compile(r"([0-9a-f]{64})\.jpg")
HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
}


async def photo(request: web.Request) -> web.StreamResponse:
    match = PHOTO_NAME.fullmatch(request.match_info["name"])
    if match is None:
        return not_found(request)
    sha256, ext = match[1], match[2]
    media = state_of(request).media
    return await _file(request, media, media.path(sha256, _MIME_OF[ext]))


async def thumbnail(request: web.Request) -> web.StreamResponse:
    match = THUMB_NAME.fullmatch(request.match_info["name"])
    if match is None:
        return not_found(request)
    media = state_of(request).media
    return await _file(request, media, media.thumbnail_path(match[1]))


async def _file(request: web.Request, media: MediaStore, path: Path) -> web.StreamResponse:
    if not await media.servable(path):
        return not_found(request)
    # FileResponse adds a strong ETag and answers If-None-Match and Range itself.
    return web.FileResponse(path, headers=HEADERS)

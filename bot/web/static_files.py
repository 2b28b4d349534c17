"""/static/…: the app's own scripts, style sheets and images (Leaflet among them), from memory.

The files are few and small (a few hundred KB), so they are read once when
the app is built and served from memory. Pages link them with `?v=` and a
hash of the content, so a phone may keep them a year: a new version has a
new URL. No CDN: the map works wherever this server is reachable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from aiohttp import web

from bot.web.errors import not_found

MAX_AGE = 365 * 24 * 3600
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    content_type: str
    etag: str


class StaticFiles:
    def __init__(self) -> None:
        self._files: dict[str, StaticFile] = {}
        self._walk(files("bot.web") / "static", "")

    def _walk(self, folder: Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            name = f"{prefix}{entry.name}"
            if entry.is_dir():
                self._walk(entry, name + "/")
                continue
            suffix = "." + entry.name.rpartition(".")[2]
            kind = TYPES.get(suffix)
            if kind is None:
                continue  # LICENSE files and READMEs stay in the package, not on the web
            body = entry.read_bytes()
            digest = hashlib.blake2b(body, digest_size=8).hexdigest()
            self._files[name] = StaticFile(body, kind, f'"{digest}"')

    def url(self, name: str) -> str:
        """/static/<name>?v=<content hash>: a URL that changes when the file does."""
        return f"/static/{name}?v={self._files[name].etag.strip(chr(34))}"

    def get(self, name: str) -> StaticFile | None:
        return self._files.get(name)


STATIC = web.AppKey("static", StaticFiles)


async def static_file(request: web.Request) -> web.StreamResponse:
    found = request.app[STATIC].get(request.match_info["name"])
    if found is None:
        return not_found(request)
    headers = {
        "Cache-Control": f"public, max-age={MAX_AGE}, immutable",
        "ETag": found.etag,
        "X-Content-Type-Options": "nosniff",
    }
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and found.etag in if_none_match:
        return web.Response(status=304, headers=headers)
    return web.Response(
        body=found.body, content_type=None, headers={**headers, "Content-Type": found.content_type}
    )

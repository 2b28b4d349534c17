"""Files offered by link: labels, charts, stamp sheets and exports on a channel that
cannot carry a file (the Zalo Bot Platform takes a photo URL and text only).

The bytes are kept by SHA-256 under `<media dir>/links/`; the link is
`/f/<sha256>.<expiry>.<signature>/<name>`, the signature an HMAC-SHA256 of
the rest keyed by OCOP_FILE_LINK_SECRET. So a link cannot be guessed (the
signature), changed to another file or name, or stretched past its expiry
(all three are signed); nothing about it is stored in the database.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING
from urllib.parse import quote

from storage.files import atomic_write

if TYPE_CHECKING:
    from bot.config import Settings

TOKEN = re.compile(r"([0-9a-f]{64})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})")
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.\-]+")


class LinkExpired(Exception):
    """The signature is right but the link is past its expiry."""


@dataclass(frozen=True)
class LinkedFile:
    path: Path
    name: str


class FileLinks:
    def __init__(
        self,
        root: Path,
        secret: str,
        public_url: str,
        hours: float,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.root = root
        self._key = secret.encode()
        self.public_url = public_url.rstrip("/")
        self.lifetime = dt.timedelta(hours=hours)
        self.clock = clock

    async def publish(self, data: bytes, name: str) -> str:
        """Keeps the bytes and returns a link to them that works until the expiry."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self._path(sha256)
        if not target.exists():
            await asyncio.to_thread(atomic_write, target, data)
        expiry = int((self.clock() + self.lifetime).timestamp())
        safe = SAFE_NAME.sub("-", PurePath(name).name)[:120] or "file"
        return f"{self.public_url}/f/{self.token(sha256, expiry, safe)}/{quote(safe)}"

    def token(self, sha256: str, expiry: int, name: str) -> str:
        return f"{sha256}.{expiry}.{self._sign(sha256, expiry, name)}"

    def open(self, token: str, name: str) -> LinkedFile | None:
        """The file a link names; None when it is not one of ours (or the file is gone).

        Raises LinkExpired for a genuine link past its expiry."""
        match = TOKEN.fullmatch(token)
        if match is None:
            return None
        sha256, expiry = match[1], int(match[2])
        if not hmac.compare_digest(match[3], self._sign(sha256, expiry, name)):
            return None
        if self.clock().timestamp() > expiry:
            raise LinkExpired
        path = self._path(sha256)
        return LinkedFile(path, name) if path.is_file() else None

    def _sign(self, sha256: str, expiry: int, name: str) -> str:
        message = f"{sha256}.{expiry}.{name}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256


def file_links(settings: Settings, media_root: Path, clock: Callable[[], dt.datetime]) -> FileLinks:
    """The links of this installation: the bot makes them, the web app serves them."""
    return FileLinks(
        media_root / "links",
        settings.file_link_secret,
        settings.public_url,
        settings.file_link_hours,
        clock,
    )

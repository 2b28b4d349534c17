"""Product photos on disk: checked, cleaned, stored by SHA-256, with a square thumbnail.

A photo is kept as bot/core/images.py re-encodes it (upright, no EXIF, GPS
or other metadata), and named by the hash of those clean bytes: the same
photo sent twice encodes to the same bytes, so it is stored once and
recognised. Writes go through a temporary file and a rename so a crash never
leaves half an image under a real name.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.config import MediaSettings
from bot.core import images
from bot.core.errors import Invalid
from bot.core.images import Picture
from storage.files import atomic_write

FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
EXTENSIONS = {mime: ext for mime, ext in FORMATS.values()}


@dataclass(frozen=True)
class ImageInfo:
    sha256: str
    mime: str
    width: int
    height: int
    size: int


class MediaStore:
    def __init__(self, settings: MediaSettings) -> None:
        self.settings = settings
        self.root = settings.dir
        self._servable: set[Path] = set()  # files seen to carry no metadata
        self._cleaning = asyncio.Semaphore(max(1, settings.decode_workers))

    def prepare(self, data: bytes) -> Picture:
        """The bytes decoded within this store's limits (CPU-bound: a worker thread's job)."""
        return images.prepare(data, self.settings)

    def accept(self, picture: Picture) -> ImageInfo:
        """What will be stored; raises Invalid for anything but a fitting photo."""
        limits = self.settings
        if picture.problem == "busy":
            raise Invalid("photo.wait")
        if picture.problem == "too_large":
            raise Invalid(
                "photo.too_big_dimensions",
                max=limits.max_photo_side,
                megapixels=limits.max_photo_pixels // 1_000_000,
            )
        if picture.problem is not None:
            raise Invalid("photo.not_image")
        width, height = picture.width, picture.height
        if min(width, height) < limits.min_photo_side:
            raise Invalid("photo.too_small", min=limits.min_photo_side, width=width, height=height)
        mime = FORMATS[picture.format][0]
        return ImageInfo(picture.sha256, mime, width, height, len(picture.data))

    def inspect(self, data: bytes) -> ImageInfo:
        """What storing these bytes would keep; raises Invalid as `accept` does."""
        if len(data) > self.settings.max_photo_bytes:
            raise Invalid("photo.too_large", max_mb=self.settings.max_photo_bytes // (1024 * 1024))
        return self.accept(self.prepare(data))

    def path(self, sha256: str, mime: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.{EXTENSIONS[mime]}"

    def thumbnail_path(self, sha256: str) -> Path:
        return self.root / "thumbs" / sha256[:2] / f"{sha256}.jpg"

    def keep(self, picture: Picture) -> ImageInfo:
        """Writes the clean photo and its thumbnail unless they are already there."""
        info = self.accept(picture)
        target = self.path(info.sha256, info.mime)
        if not target.exists():
            atomic_write(target, picture.data)
        thumb = self.thumbnail_path(info.sha256)
        if not thumb.exists():
            atomic_write(thumb, picture.thumbnail)
        return info

    async def keep_async(self, picture: Picture) -> ImageInfo:
        """keep, with the file writes in a worker thread."""
        return await asyncio.to_thread(self.keep, picture)

    async def store_async(self, data: bytes) -> ImageInfo:
        """Bytes that did not come through the dispatcher: decoded and kept in a thread."""
        if len(data) > self.settings.max_photo_bytes:
            raise Invalid("photo.too_large", max_mb=self.settings.max_photo_bytes // (1024 * 1024))
        return await asyncio.to_thread(lambda: self.keep(self.prepare(data)))

    async def servable(self, path: Path) -> bool:
        """Whether the stored file may be served: it exists and carries no metadata
        (cleaned now, once, if it still had some). Remembered, so a file is read once."""
        if path in self._servable:
            return True
        async with self._cleaning:
            if not await asyncio.to_thread(self.clean_stored, path):
                return False
        self._servable.add(path)
        return True

    def clean_stored(self, path: Path) -> bool:
        """Rewrites a stored file without its metadata if it has any (photos kept
        before they were cleaned on arrival); False if it cannot be read as a photo
        within the limits, so it must not be served. The name stays: rows refer to it."""
        return self._clean(path) != "refused"

    def clean_all(self) -> dict[str, int]:
        """`ocop-bot clean-media`: every stored photo checked, and cleaned if need be."""
        counts = {"clean": 0, "cleaned": 0, "refused": 0}
        for path in sorted(self.root.glob("[0-9a-f][0-9a-f]/*.*")):
            counts[self._clean(path)] += 1
        return counts

    def _clean(self, path: Path) -> Literal["clean", "cleaned", "refused"]:
        try:
            clean = images.clean(path.read_bytes(), self.settings)
        except (images.Refused, OSError):  # refused, or no such file
            return "refused"
        if clean is None:
            return "clean"
        atomic_write(path, clean)
        return "cleaned"

"""Product photos on disk: checked by content, stored by SHA-256, with a square thumbnail.

Files are named by their hash, so the same photo sent twice is stored once
and recognised; writes go through a temporary file and a rename so a crash
never leaves half an image under a real name.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.config import MediaSettings
from bot.core.errors import Invalid

FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),  # a phone camera's JPEG with extra frames: still a JPEG
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

    def inspect(self, data: bytes) -> ImageInfo:
        """Reads what the bytes really are; raises Invalid for anything but a fitting photo."""
        limits = self.settings
        if len(data) > limits.max_photo_bytes:
            raise Invalid("photo.too_large", max_mb=limits.max_photo_bytes // (1024 * 1024))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as image:
                    image_format = image.format or ""
                    width, height = image.size
                    image.verify()  # checks PNG checksums; it does not decode JPEG data
                if image_format in FORMATS and width * height <= limits.max_photo_pixels:
                    with Image.open(io.BytesIO(data)) as image:
                        image.load()  # decodes every pixel: a truncated JPEG fails here
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as error:
            raise Invalid("photo.not_image") from error
        if image_format not in FORMATS:
            raise Invalid("photo.not_image")
        if min(width, height) < limits.min_photo_side:
            raise Invalid("photo.too_small", min=limits.min_photo_side, width=width, height=height)
        if max(width, height) > limits.max_photo_side or width * height > limits.max_photo_pixels:
            raise Invalid("photo.too_big_dimensions", max=limits.max_photo_side)
        mime = FORMATS[image_format][0]
        return ImageInfo(hashlib.sha256(data).hexdigest(), mime, width, height, len(data))

    def path(self, sha256: str, mime: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.{EXTENSIONS[mime]}"

    def thumbnail_path(self, sha256: str) -> Path:
        return self.root / "thumbs" / sha256[:2] / f"{sha256}.jpg"

    def store(self, data: bytes, info: ImageInfo) -> Path:
        """Writes the photo and its thumbnail unless they are already there."""
        target = self.path(info.sha256, info.mime)
        if not target.exists():
            atomic_write(target, data)
        thumb = self.thumbnail_path(info.sha256)
        if not thumb.exists():
            atomic_write(thumb, self._thumbnail(data))
        return target

    async def store_async(self, data: bytes) -> ImageInfo:
        """inspect + store off the event loop: Pillow work is CPU-bound."""

        def work() -> ImageInfo:
            info = self.inspect(data)
            self.store(data, info)
            return info

        return await asyncio.to_thread(work)

    def _thumbnail(self, data: bytes) -> bytes:
        side = self.settings.thumbnail_side
        with Image.open(io.BytesIO(data)) as image:
            upright = ImageOps.exif_transpose(image).convert("RGB")
            square = ImageOps.fit(upright, (side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        square.save(out, "JPEG", quality=85, optimize=True)
        return out.getvalue()


def atomic_write(target: Path, data: bytes) -> None:
    """Through a temporary file and a rename: a crash never leaves half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        # Readable by all, as a plain file would be: photos are public, and a web
        # server running as another user (Caddy, deploy/) serves them from disk.
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""Images from users, opened within bounds and kept without their metadata.

Every photo the bot takes goes through `prepare` once, in a worker thread and
before the update's transaction (the dispatcher calls it). Its size is read
from the header first (`Image.open` is lazy) and anything over the pixel
budget is refused before a single pixel is decoded: a 400 KB PNG can claim
12000×12000 pixels and half a gigabyte of memory. A JPEG is decoded for
scanning at reduced scale (`draft`), which costs a fraction of a full decode.

What is kept is re-encoded from the pixels alone: orientation applied, and no
EXIF (camera, time, GPS), XMP, IPTC, comments or text chunks. The colour
profile (ICC) stays: it says how to show the colours, nothing about who took
the photo or where, and without it a phone's wide-gamut photo looks washed out.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.config import MediaSettings
from bot.core.throttle import Throttle

# Pillow's own net, checked while it reads the header: above this it warns
# (an error here, below), above twice this it refuses. The configured budget
# (media.max_photo_pixels, 50 MP by default) is checked next, from the header too.
Image.MAX_IMAGE_PIXELS = 64_000_000
# A warning is only a line in a log; here it is a refusal.
warnings.simplefilter("error", Image.DecompressionBombWarning)

FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}  # read → written
_OPENED = ("JPEG", "PNG", "WEBP")  # an MPO opens as a JPEG
SCAN_SIDE = 2000  # codes are read on at most this many pixels a side: time grows with pixels
_ORIENTATION = 0x0112
_UNREADABLE = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)

Problem = Literal["not_image", "too_large", "busy"]
CodeReader = Callable[[Image.Image], Sequence[str]]


class Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class Header:
    format: str  # as written back: JPEG, PNG or WEBP
    width: int  # as stored, before any turn the EXIF orientation asks for
    height: int


@dataclass(frozen=True)
class Picture:
    """A photo as the bot keeps it, or why it was not taken."""

    problem: Problem | None
    format: str = ""
    width: int = 0
    height: int = 0
    data: bytes = b""  # re-encoded, upright, no metadata
    thumbnail: bytes = b""  # a square JPEG
    codes: tuple[str, ...] = ()  # QR codes and barcodes read in it

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @classmethod
    def refused(cls, problem: Problem) -> Picture:
        return cls(problem)


class Decoder:
    """Photos decoded off the event loop, a few at a time and a few a minute per user.

    The slots bound the memory all photos being decoded take together; the
    throttle stops one user from keeping every slot busy. A file that is no
    image or is too large is refused from its header and costs no slot.
    """

    def __init__(self, limits: MediaSettings, read_codes: CodeReader | None = None) -> None:
        self.limits = limits
        self.read_codes = read_codes
        self.throttle = Throttle(limits.images_per_minute)
        self._slots = asyncio.Semaphore(max(1, limits.decode_workers))

    async def picture(self, data: bytes, user: Hashable) -> Picture:
        if len(data) > self.limits.max_photo_bytes:
            return Picture.refused("too_large")
        try:
            await asyncio.to_thread(header, data, self.limits)
        except Refused as refusal:
            return Picture.refused(refusal.problem)
        if not self.throttle.allow(user):
            return Picture.refused("busy")
        async with self._slots:
            return await asyncio.to_thread(prepare, data, self.limits, self.read_codes)


def header(data: bytes, limits: MediaSettings) -> Header:
    """What the bytes claim to be, from the header only; raises Refused."""
    try:
        with _open(data) as image:
            return _checked(image, limits)
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Refused("too_large") from error
    except _UNREADABLE as error:
        raise Refused("not_image") from error


def prepare(data: bytes, limits: MediaSettings, read_codes: CodeReader | None = None) -> Picture:
    """The clean photo, its thumbnail and the codes in it; CPU-bound, run it in a thread."""
    try:
        head = header(data, limits)
        if head.format == "PNG":
            with _open(data) as image:
                image.verify()  # chunk checksums and the end chunk; decodes nothing
        upright = _full(data)
        clean = _encode(upright, head.format)
        thumbnail = _thumbnail(upright, limits.thumbnail_side)
        width, height = upright.size
        codes: tuple[str, ...] = ()
        if read_codes is not None:
            # A JPEG is decoded again at reduced scale, after the full image is
            # let go; the other formats have no cheaper way than the full image.
            view = None if head.format == "JPEG" else _grey(upright)
            del upright
            codes = tuple(read_codes(view if view is not None else _scan_view(data, limits)))
    except Refused as refusal:
        return Picture.refused(refusal.problem)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Picture.refused("too_large")
    except _UNREADABLE:
        return Picture.refused("not_image")  # a truncated or corrupt file fails while decoding
    return Picture(None, head.format, width, height, clean, thumbnail, codes)


def scan_view(data: bytes, limits: MediaSettings) -> Image.Image:
    """The photo in grey, at most SCAN_SIDE a side, for reading codes; raises Refused."""
    header(data, limits)
    try:
        return _scan_view(data, limits)
    except _UNREADABLE as error:
        raise Refused("not_image") from error


def clean(data: bytes, limits: MediaSettings) -> bytes | None:
    """The same photo without metadata, or None when it carries none; raises Refused."""
    head = header(data, limits)
    try:
        with _open(data) as image:
            if not carries_metadata(image):
                return None
            return _encode(_decoded(image), head.format)
    except _UNREADABLE as error:
        raise Refused("not_image") from error


def carries_metadata(image: Image.Image) -> bool:
    """Anything besides pixels, colour profile, transparency and density: EXIF, XMP, text."""
    harmless = {"icc_profile", "transparency", "dpi", "jfif", "jfif_version", "jfif_unit"}
    harmless |= {"jfif_density", "progressive", "progression", "loop", "background", "gamma"}
    harmless |= {"duration", "timestamp", "adobe", "adobe_transform", "srgb", "aspect"}
    return bool(set(image.info) - harmless) or len(image.getexif()) > 0


def _open(data: bytes) -> Image.Image:
    """Lazily, and only as one of the formats taken: no other decoder ever sees the bytes."""
    return Image.open(io.BytesIO(data), formats=_OPENED)


def _checked(image: Image.Image, limits: MediaSettings) -> Header:
    if image.format not in FORMATS:
        raise Refused("not_image")
    width, height = image.size
    if width * height > limits.max_photo_pixels or max(width, height) > limits.max_photo_side:
        raise Refused("too_large")
    return Header(FORMATS[image.format], width, height)


def _scan_view(data: bytes, limits: MediaSettings) -> Image.Image:
    with _open(data) as image:
        _checked(image, limits)
        image.draft("L", (SCAN_SIDE, SCAN_SIDE))  # JPEG: decoded at 1/2, 1/4 or 1/8 scale
        return _grey(_decoded(image))


def _grey(image: Image.Image) -> Image.Image:
    if image.mode not in ("RGB", "L"):
        image = image.convert("L")
    if max(image.size) > SCAN_SIDE:
        scale = SCAN_SIDE / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)  # new and small
    return image.convert("L")


def _full(data: bytes) -> Image.Image:
    with _open(data) as image:
        return _decoded(image)


def _decoded(image: Image.Image) -> Image.Image:
    """Every pixel, turned upright, with nothing of the file's metadata but its colours."""
    image.load()
    orientation = image.getexif().get(_ORIENTATION, 1)
    kept: dict[str | tuple[int, int], Any] = {
        k: image.info[k] for k in ("icc_profile", "transparency") if k in image.info
    }
    upright = ImageOps.exif_transpose(image) if orientation != 1 else image
    upright.info = kept
    return upright


def _encode(image: Image.Image, image_format: str) -> bytes:
    options: dict[str, object] = {}
    if "icc_profile" in image.info:
        options["icc_profile"] = image.info["icc_profile"]
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        options |= {"quality": 90}
    elif image_format == "PNG" and "transparency" in image.info:
        options["transparency"] = image.info["transparency"]
    elif image_format == "WEBP":
        options |= {"quality": 90}
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def _thumbnail(image: Image.Image, side: int) -> bytes:
    """The centred square, shrunk in steps: one LANCZOS pass over 50 MP takes seconds."""
    if image.mode not in ("RGB", "L"):  # palette, alpha, 16-bit: resized right only as RGB
        image = image.convert("RGB")
    width, height = image.size
    edge = min(width, height)
    box = ((width - edge) / 2, (height - edge) / 2, (width + edge) / 2, (height + edge) / 2)
    square = image.resize((side, side), Image.Resampling.LANCZOS, box=box, reducing_gap=2.0)
    out = io.BytesIO()
    square.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()

"""Hostile pictures, built in memory without ever holding their pixels.

A decompression bomb is a small file whose header claims a huge image: its
pixels are all zero, so they compress about a thousand to one.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

_ROWS_PER_SEGMENT = 100


def png_bomb(side: int) -> bytes:
    """An RGB PNG of side×side black pixels: 12000 → 420 KB that decode to 432 MB."""
    row = 1 + 3 * side  # a filter byte, then the pixels: all zero
    total = row * side
    # Each segment ends in a full flush, which resets the compressor: copies of
    # one compressed segment decode to as many copies of its zeros.
    segment = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = segment.compress(b"\0" * (row * _ROWS_PER_SEGMENT)) + segment.flush(zlib.Z_FULL_FLUSH)
    rest = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = rest.compress(b"\0" * (row * (side % _ROWS_PER_SEGMENT))) + rest.flush(zlib.Z_FINISH)
    adler = ((total % 65521) << 16) | 1  # adler32 of zeros: a stays 1, b counts the bytes
    stream = b"\x78\xda" + block * (side // _ROWS_PER_SEGMENT) + tail + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", stream)
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header claims width×height."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 90)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")  # baseline frame: length, precision, height, width
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """A small lossy WebP whose frame header claims width×height (at most 16383 a side)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 90)).save(out, "WEBP", quality=80)
    data = bytearray(out.getvalue())
    start = data.index(b"\x9d\x01\x2a")  # the VP8 key frame's start code, then the sizes
    data[start + 3 : start + 7] = struct.pack("<HH", width, height)
    return bytes(data)


def gps_jpeg(size: tuple[int, int] = (900, 600), orientation: int = 6) -> bytes:
    """A photo as a phone takes it: EXIF with GPS (a home in Thái Nguyên), camera and
    time, turned by the orientation tag, with a red mark in its top-left corner."""
    image = Image.new("RGB", size, (70, 120, 60))
    image.paste((220, 30, 30), (0, 0, size[0] // 5, size[1] // 5))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 12"
    exif[0x0132] = "2026:11:20 07:15:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (21.0, 35.0, 39.12)
    gps[3], gps[4] = "E", (105.0, 46.0, 3.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif, comment=b"home")
    return out.getvalue()

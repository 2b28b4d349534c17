"""What a consumer's text or photo points at: one of our products, a stamp, or a barcode.

Pure functions: they read codes out of text and images and never touch the
database, so they are tested on their own. Photos are opened only through
bot/core/images.py, which refuses oversized ones before decoding them and
scales the rest down to at most 2000 px a side.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

import zxingcpp
from PIL import Image

from bot.config import MediaSettings
from bot.core import images
from bot.core.codes import gtin_check_digit, looks_like_code, normalize_code
from bot.labels.serials import parse_serial

Kind = Literal["product", "stamp", "gtin"]


@dataclass(frozen=True)
class Target:
    kind: Kind
    value: str  # product code, serial, or GTIN-13
    # A stamp read from a GS1 Digital Link names its product's GTIN too: the
    # stamp is ours only if it belongs to that product.
    gtin: str | None = None


_GS1_PATH = re.compile(r"^/01/(\d{13,14})(?:/10/[^/]+)?(?:/21/([^/]+))?/?$")
_PRODUCT_PATH = re.compile(r"^/p/([0-9A-Za-z][0-9A-Za-z-]{4,8})/?$")
_STAMP_PATH = re.compile(r"^/s/([0-9A-Za-z -]{1,40})/?$")


def _gtin13(digits: str) -> str | None:
    """GTIN-14 with a leading 0 (or a bare GTIN-13) → GTIN-13, if the check digit is right."""
    if len(digits) == 14:
        if digits[0] != "0":
            return None
        digits = digits[1:]
    return digits if gtin_check_digit(digits[:12]) == int(digits[12]) else None


def target_in_url(url: str, public_url: str) -> Target | None:
    """Our own addresses only: a QR pointing anywhere else is not ours."""
    ours = urlsplit(public_url)
    parts = urlsplit(url.strip())
    if (parts.scheme, parts.netloc.lower()) != (ours.scheme, ours.netloc.lower()):
        return None
    path = unquote(parts.path)
    prefix = ours.path.rstrip("/")
    if prefix and not path.startswith(prefix + "/"):
        return None
    path = path[len(prefix) :]
    # Whole-path patterns only: "/p/../7K3M9P" opens another page in a browser.
    product = _PRODUCT_PATH.match(path)
    if product:
        return (
            Target("product", normalize_code(product[1])) if looks_like_code(product[1]) else None
        )
    stamp = _STAMP_PATH.match(path)
    if stamp:
        serial = parse_serial(stamp[1])
        return Target("stamp", serial) if serial else None
    match = _GS1_PATH.match(path)
    if match is None:
        return None
    gtin = _gtin13(match[1])
    if gtin is None:
        return None  # a wrong check digit: the web answers "wrong barcode" too
    if match[2] is None:
        return Target("gtin", gtin)
    serial = parse_serial(match[2])
    # A malformed serial is never "the product": the label claims a stamp.
    return Target("stamp", serial, gtin) if serial else None


def target_in_text(text: str, public_url: str) -> Target | None:
    """A typed product code, serial, GTIN-13, or one of our URLs."""
    value = text.strip()
    if len(value) > 300:
        return None
    if "://" in value:
        return target_in_url(value, public_url)
    if looks_like_code(value):
        return Target("product", normalize_code(value))
    serial = parse_serial(value)
    if serial:
        return Target("stamp", serial)
    digits = re.sub(r"[\s-]", "", value)
    if re.fullmatch(r"\d{13}", digits) and gtin_check_digit(digits[:12]) == int(digits[12]):
        return Target("gtin", digits)
    return None


def codes_in(view: Image.Image) -> list[str]:
    """The texts of every QR code and barcode zxing-cpp finds in a (small, grey) image."""
    return [barcode.text for barcode in zxingcpp.read_barcodes(view) if barcode.text]


def target_in_codes(codes: Sequence[str], public_url: str) -> tuple[Target | None, bool]:
    """(what the codes point at, whether any code was found at all)."""
    for text in codes:
        target = target_in_text(text, public_url)
        if target is not None:
            return target, True
    return None, bool(codes)


def target_in_image(
    data: bytes, public_url: str, limits: MediaSettings
) -> tuple[Target | None, bool]:
    """The same for a photo's bytes, opened within `limits`; (None, False) if refused."""
    try:
        view = images.scan_view(data, limits)
    except images.Refused:
        return None, False
    return target_in_codes(codes_in(view), public_url)

"""Serial stamps: a batch of up to 10,000 unique stamps for one product lot, as PDF.

Each stamp carries its own serial (serials.py) and a QR code to
`{public_url}/s/{serial}`. Stamps are drawn one at a time from an iterable,
QR code built, drawn and dropped, so memory grows only with the PDF itself.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sized
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

from bot.labels.fonts import FontFiles, default_fonts
from bot.labels.layout import LabelPlan, plan_stamp
from bot.labels.pdf import SheetWriter
from bot.labels.qr import qr_matrix
from bot.labels.serials import format_serial, new_serials
from bot.labels.sizes import SheetLayout
from bot.labels.text import Line
from bot.labels.urls import stamp_url

__all__ = [
    "MAX_STAMPS",
    "BatchRefused",
    "StampCaptions",
    "StampContent",
    "render_stamps_pdf",
    "stamp_batch",
    "write_stamps_pdf",
]

MAX_STAMPS = 10_000
MAX_LOT_LENGTH = 40


class BatchRefused(ValueError):
    """A stamp batch that cannot be made.

    `reason` is a stable key the chat and web layers map to a message
    (too_few, too_many, lot_missing, lot_invalid, lot_too_long,
    expiry_before_production);
    `params` hold the numbers that message needs.
    """

    def __init__(self, reason: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class StampContent:
    serial: str
    product_name: str
    code: str
    lot: str
    production_date: date
    expiry_date: date | None
    url: str  # what the QR code encodes: urls.stamp_url(public_url, serial)


@dataclass(frozen=True)
class StampCaptions:
    """Printed field names; Vietnamese by default, as labelling rules (Decree 43/2017) ask."""

    lot: str = "Lô"
    produced: str = "NSX"
    expires: str = "HSD"


VIETNAMESE = StampCaptions()


def check_batch_size(count: int, max_stamps: int = MAX_STAMPS) -> None:
    """Raises BatchRefused unless 1 ≤ count ≤ max_stamps."""
    if count < 1:
        raise BatchRefused(
            "too_few", f"a stamp batch needs at least 1 stamp, got {count}", count=count
        )
    if count > max_stamps:
        raise BatchRefused(
            "too_many",
            f"a stamp batch holds at most {max_stamps:,} stamps, got {count:,}",
            count=count,
            max=max_stamps,
        )


def normalize_lot(lot: str) -> str:
    """The lot as printed: NFC, single spaces; refused when empty or too long."""
    text = unicodedata.normalize("NFC", " ".join(lot.split()))
    if not text:
        raise BatchRefused("lot_missing", "a stamp batch needs a lot number")
    if not all(ch.isprintable() for ch in text):
        raise BatchRefused("lot_invalid", "a lot number cannot hold control characters")
    if len(text) > MAX_LOT_LENGTH:
        raise BatchRefused(
            "lot_too_long",
            f"a lot number has at most {MAX_LOT_LENGTH} characters, got {len(text)}",
            length=len(text),
            max=MAX_LOT_LENGTH,
        )
    return text


def stamp_batch(
    count: int,
    *,
    product_name: str,
    code: str,
    lot: str,
    production_date: date,
    expiry_date: date | None,
    public_url: str,
    max_stamps: int = MAX_STAMPS,
) -> list[StampContent]:
    """`count` stamps with fresh, distinct serials; validates everything before any work."""
    check_batch_size(count, max_stamps)
    lot = normalize_lot(lot)
    if expiry_date is not None and expiry_date <= production_date:
        raise BatchRefused(
            "expiry_before_production",
            f"expiry {expiry_date:%d/%m/%Y} is not after production {production_date:%d/%m/%Y}",
        )
    name = unicodedata.normalize("NFC", " ".join(product_name.split()))
    return [
        StampContent(
            serial, name, code, lot, production_date, expiry_date, stamp_url(public_url, serial)
        )
        for serial in new_serials(count)
    ]


def _plan(stamp: StampContent, layout: SheetLayout, captions: StampCaptions) -> LabelPlan:
    lines = [
        Line(stamp.product_name, bold=True, size_pt=9, min_size_pt=4.5, max_lines=3),
        Line(f"{captions.lot}: {stamp.lot}", size_pt=8, min_size_pt=4.5),
        Line(f"{captions.produced}: {stamp.production_date:%d/%m/%Y}", size_pt=8, min_size_pt=4.5),
    ]
    if stamp.expiry_date is not None:
        lines.append(
            Line(f"{captions.expires}: {stamp.expiry_date:%d/%m/%Y}", size_pt=8, min_size_pt=4.5)
        )
    serial = Line(format_serial(stamp.serial), bold=True, size_pt=9, min_size_pt=5)
    return plan_stamp(layout.label_width_mm, layout.label_height_mm, tuple(lines), serial)


def write_stamps_pdf(
    stamps: Iterable[StampContent],
    layout: SheetLayout,
    out: BinaryIO,
    *,
    fonts: FontFiles | None = None,
    captions: StampCaptions = VIETNAMESE,
    max_stamps: int = MAX_STAMPS,
) -> int:
    """Writes the stamps to `out` as A4 pages in layout order; returns how many."""
    if isinstance(stamps, Sized):
        check_batch_size(len(stamps), max_stamps)  # refuse before drawing anything
    writer = SheetWriter(out, layout, fonts or default_fonts(), title=f"OCOP stamps {layout.id}")
    for stamp in stamps:
        if writer.count == max_stamps:
            check_batch_size(max_stamps + 1, max_stamps)
        writer.place(_plan(stamp, layout, captions), qr_matrix(stamp.url))
    check_batch_size(writer.count, max_stamps)
    writer.finish()
    return writer.count


def render_stamps_pdf(
    stamps: Iterable[StampContent],
    layout: SheetLayout,
    *,
    fonts: FontFiles | None = None,
    captions: StampCaptions = VIETNAMESE,
    max_stamps: int = MAX_STAMPS,
) -> bytes:
    """The stamps as one PDF of A4 pages (see write_stamps_pdf)."""
    out = io.BytesIO()
    write_stamps_pdf(stamps, layout, out, fonts=fonts, captions=captions, max_stamps=max_stamps)
    return out.getvalue()

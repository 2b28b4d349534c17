"""A sheet of product labels for A4 sticker paper, as PDF."""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.labels.fonts import FontFiles, default_fonts
from bot.labels.label import LabelContent, plan_for
from bot.labels.pdf import SheetWriter
from bot.labels.qr import QrMatrix, qr_matrix
from bot.labels.sizes import DEFAULT_SHEET_LAYOUTS, SheetLayout

__all__ = ["DEFAULT_SHEET_LAYOUTS", "SheetLayout", "fill_sheet", "render_sheet_pdf"]

# One sheet order is a few pages at most; stamps (stamps.py) are the bulk path.
MAX_SHEET_LABELS = 1000


def fill_sheet(content: LabelContent, layout: SheetLayout, pages: int = 1) -> list[LabelContent]:
    """The same label in every cell of `pages` sheets."""
    return [content] * (layout.per_page * pages)


def render_sheet_pdf(
    contents: Sequence[LabelContent],
    layout: SheetLayout,
    *,
    fonts: FontFiles | None = None,
    guides: bool = False,
) -> bytes:
    """Labels in layout order, as many A4 pages as they need; vector QR codes."""
    if not contents:
        raise ValueError("a sheet needs at least one label")
    if len(contents) > MAX_SHEET_LABELS:
        raise ValueError(f"at most {MAX_SHEET_LABELS} labels a sheet order, got {len(contents)}")
    out = io.BytesIO()
    writer = SheetWriter(
        out, layout, fonts or default_fonts(), title=f"OCOP labels {layout.id}", guides=guides
    )
    width, height = layout.label_width_mm, layout.label_height_mm
    matrices: dict[str, QrMatrix] = {}
    for content in contents:
        # A sheet usually repeats one product: build its QR code once.
        matrix = matrices.get(content.url)
        if matrix is None:
            matrix = matrices[content.url] = qr_matrix(content.url)
        writer.place(plan_for(content, width, height), matrix)
    writer.finish()
    return out.getvalue()

"""Where the QR code and the text go on a label, in mm, whatever draws it.

Three arrangements, by the label's proportions:

    wide (w ≥ 1.6 h, e.g. sheet cells 64×34)   QR left at full height, text column right
    landscape (e.g. 40×30)                     name across the top, QR below left, rest right
    square or tall (e.g. 50×50)                name on top, QR in the middle, one line below

The QR box includes the quiet zone, which is white and so also serves as the
gap between the code and the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.labels.text import LEADING, MM_PER_PT, Box, Line, TextBox

EDGE_MM = 1.0  # text keeps this far from the cut edge
QR_EDGE_MM = 0.5  # the quiet zone already is white margin; this absorbs die-cut drift
SERIAL_GAP_MM = 1.0  # sets the serial apart from the lines above it
WIDE = 1.6
LANDSCAPE = 1.2


@dataclass(frozen=True)
class LabelPlan:
    qr: Box  # a square, quiet zone included
    texts: tuple[TextBox, ...]


def _square(x: float, y: float, side: float) -> Box:
    return Box(x, y, side, side)


def _column_right_of(qr: Box, width: float, top: float, bottom: float) -> Box:
    x = qr.x + qr.width
    return Box(x, top, max(1.0, width - EDGE_MM - x), max(1.0, bottom - top))


def plan_product_label(width: float, height: float, name: str, stars: str, code: str) -> LabelPlan:
    """A product label: QR code, name (wrapped and shrunk), stars, readable code."""
    ratio = width / height
    name_line = Line(name, bold=True, size_pt=11, min_size_pt=5, max_lines=3)
    stars_line = Line(stars, size_pt=10, min_size_pt=5)
    code_line = Line(code, bold=True, size_pt=11, min_size_pt=6)

    if ratio >= WIDE:
        qr = _square(QR_EDGE_MM, QR_EDGE_MM, height - 2 * QR_EDGE_MM)
        column = _column_right_of(qr, width, EDGE_MM, height - EDGE_MM)
        # The name usually sets the scale for the whole column; start stars and code larger.
        lines = (
            name_line,
            Line(stars, size_pt=14, min_size_pt=5),
            Line(code, bold=True, size_pt=14),
        )
        return LabelPlan(qr, (TextBox(column, lines, valign="spread"),))

    if ratio >= LANDSCAPE:
        name_height = 0.3 * height
        name_box = Box(EDGE_MM, EDGE_MM, width - 2 * EDGE_MM, name_height - EDGE_MM)
        side = height - name_height - QR_EDGE_MM
        qr = _square(QR_EDGE_MM, name_height, side)
        column = _column_right_of(qr, width, name_height + 1.0, height - EDGE_MM - 1.0)
        short_name = Line(name, bold=True, size_pt=10, min_size_pt=5, max_lines=2)
        return LabelPlan(
            qr,
            (
                TextBox(name_box, (short_name,), valign="center"),
                TextBox(column, (stars_line, code_line), valign="spread"),
            ),
        )

    name_height = 0.22 * height
    footer_height = 0.12 * height
    name_box = Box(EDGE_MM, EDGE_MM, width - 2 * EDGE_MM, name_height - EDGE_MM)
    footer = Box(EDGE_MM, height - footer_height, width - 2 * EDGE_MM, footer_height - EDGE_MM)
    side = min(width - 2 * QR_EDGE_MM, height - name_height - footer_height)
    qr = _square((width - side) / 2, name_height, side)
    footer_text = f"{stars}   {code}" if stars else code
    return LabelPlan(
        qr,
        (
            TextBox(name_box, (name_line,), align="center", valign="center"),
            TextBox(footer, (Line(footer_text, bold=True, size_pt=12),), align="center"),
        ),
    )


def plan_stamp(width: float, height: float, lines: tuple[Line, ...], serial: Line) -> LabelPlan:
    """A serial stamp: QR code beside (or above) its lines of text, the serial at the bottom.

    The serial has a box of its own: the other lines are the same on every
    stamp of a batch, so their layout is computed once.
    """
    serial_height = serial.size_pt * LEADING * MM_PER_PT
    if width / height >= LANDSCAPE:
        qr = _square(QR_EDGE_MM, QR_EDGE_MM, height - 2 * QR_EDGE_MM)
        column = _column_right_of(qr, width, EDGE_MM, height - EDGE_MM)
        align: Literal["left", "center"] = "left"
    else:
        side = min(width - 2 * QR_EDGE_MM, 0.6 * height)
        qr = _square((width - side) / 2, QR_EDGE_MM, side)
        top = QR_EDGE_MM + side
        column = Box(EDGE_MM, top, width - 2 * EDGE_MM, height - top - EDGE_MM)
        align = "center"
    upper = Box(column.x, column.y, column.width, column.height - serial_height - SERIAL_GAP_MM)
    lower = Box(column.x, column.y + column.height - serial_height, column.width, serial_height)
    return LabelPlan(
        qr,
        (
            TextBox(upper, lines, align=align, valign="spread"),
            TextBox(lower, (serial,), align=align, valign="center"),
        ),
    )

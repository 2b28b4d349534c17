"""A4 pages of labels for sticker paper, drawn as vectors.

QR codes are filled paths, one rectangle per run of dark modules, written
straight into the content stream in module units under one transform:
a 10,000-stamp batch stays a few MB and a few seconds, and the print is
sharp at any printer resolution. All rectangles of a code are one path, so
rasterisers fill them as one shape, with no hairline seams between rows.
Text uses the embedded TrueType font (subset), so Vietnamese prints as typed.
"""

from __future__ import annotations

from typing import BinaryIO

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from bot.labels.fonts import FontFiles, pdf_font_name
from bot.labels.layout import LabelPlan
from bot.labels.qr import QrMatrix
from bot.labels.sizes import SheetLayout
from bot.labels.text import MM_PER_PT, Measure, PlacedText, TextBox, typeset

# Compressed page streams go out as binary, not also ASCII85-armoured: a quarter
# smaller, and reportlab's pure-Python ASCII85 would take 8 s of a 10,000-stamp batch.
# (Process-wide, read when a PDF is saved; nothing here needs 7-bit-clean PDFs.)
rl_config.useA85 = 0

PT_PER_MM = 1 / MM_PER_PT
_TYPESET_CACHE = 64


class SheetWriter:
    """Places labels cell by cell, row by row, starting a new page when one is full."""

    def __init__(
        self,
        out: BinaryIO,
        layout: SheetLayout,
        fonts: FontFiles,
        *,
        title: str = "OCOP labels",
        guides: bool = False,
    ) -> None:
        self.layout = layout
        self.guides = guides
        self.count = 0
        page = (layout.page_width_mm * PT_PER_MM, layout.page_height_mm * PT_PER_MM)
        # invariant: no timestamp or random document id, so equal input gives equal bytes.
        self._canvas = Canvas(out, pagesize=page, pageCompression=1, invariant=1)
        self._canvas.setTitle(title)
        self._canvas.setCreator("OCOP Assistant")
        self._fonts = {False: pdf_font_name(fonts.regular), True: pdf_font_name(fonts.bold)}
        self._measure = self.measure()
        self._typeset_cache: dict[TextBox, list[PlacedText]] = {}

    def measure(self) -> Measure:
        fonts = self._fonts

        def measure(text: str, bold: bool, size_pt: float) -> float:
            return pdfmetrics.stringWidth(text, fonts[bold], size_pt) * MM_PER_PT

        return measure

    def place(self, plan: LabelPlan, matrix: QrMatrix) -> None:
        """Draws one label in the next free cell."""
        if self.count and self.count % self.layout.per_page == 0:
            self._canvas.showPage()
        left, top = self.layout.cell_origin(self.count)
        self.count += 1
        if self.guides:
            self._draw_guide(left, top)
        self._draw_qr(matrix, left + plan.qr.x, top + plan.qr.y, plan.qr.width)
        canvas = self._canvas
        canvas.setFillGray(0)
        for box in plan.texts:
            for placed in self._typeset(box):
                canvas.setFont(self._fonts[placed.bold], placed.size_pt)
                canvas.drawString(
                    (left + placed.x) * PT_PER_MM,
                    self._y(top + placed.baseline),
                    placed.text,
                )

    def _typeset(self, box: TextBox) -> list[PlacedText]:
        # Labels of one sheet and stamps of one batch repeat the same text boxes.
        placed = self._typeset_cache.get(box)
        if placed is None:
            if len(self._typeset_cache) >= _TYPESET_CACHE:
                self._typeset_cache.clear()
            placed = self._typeset_cache[box] = typeset(box, self._measure)
        return placed

    def finish(self) -> None:
        self._canvas.showPage()
        self._canvas.save()

    def _y(self, mm_from_top: float) -> float:
        return (self.layout.page_height_mm - mm_from_top) * PT_PER_MM

    def _draw_qr(self, matrix: QrMatrix, left: float, top: float, side: float) -> None:
        module = side / matrix.size * PT_PER_MM
        runs = matrix.runs_as_rectangles()
        # q … Q: save/restore; cm: module units with y pointing down from the code's top-left.
        self._canvas.addLiteral(
            f"q 0 g {module:.4f} 0 0 {-module:.4f} {left * PT_PER_MM:.3f} {self._y(top):.3f} cm "
            f"{runs} f Q"
        )

    def _draw_guide(self, left: float, top: float) -> None:
        # A light cut line for printing on plain paper; off for pre-cut sticker stock.
        canvas = self._canvas
        canvas.saveState()
        canvas.setStrokeGray(0.8)
        canvas.setLineWidth(0.25)
        width, height = self.layout.label_width_mm, self.layout.label_height_mm
        canvas.rect(
            left * PT_PER_MM,
            self._y(top + height),
            width * PT_PER_MM,
            height * PT_PER_MM,
            stroke=1,
            fill=0,
        )
        canvas.restoreState()

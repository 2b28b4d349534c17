"""Fitting lines of text into a box: wrap, shrink, and cut with "…" as a last resort.

Pure geometry in millimetres and points; the caller supplies `Measure`, so the
PNG (Pillow) and PDF (reportlab) renderers place text identically, each with
its own font metrics.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

MM_PER_PT = 25.4 / 72
LEADING = 1.2  # line height / font size
ASCENT = 0.96  # baseline below the line's top, in font sizes: DejaVu ascends 0.93, descends 0.24
ELLIPSIS = "…"

# (text, bold, size in pt) → width in mm
Measure = Callable[[str, bool, float], float]


@dataclass(frozen=True)
class Box:
    """A rectangle in mm from the label's top-left corner."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Line:
    """A piece of text to set: up to max_lines lines at size_pt, shrinking to min_size_pt.

    A one-line piece (a code, a serial) is never cut: it shrinks below min_size_pt
    rather than lose a character.
    """

    text: str
    bold: bool = False
    size_pt: float = 10.0
    min_size_pt: float = 5.0
    max_lines: int = 1


@dataclass(frozen=True)
class TextBox:
    box: Box
    lines: tuple[Line, ...]
    align: Literal["left", "center"] = "left"
    # "spread": first piece at the top, last at the bottom, even gaps between.
    valign: Literal["top", "center", "spread"] = "top"


@dataclass(frozen=True)
class PlacedText:
    text: str
    bold: bool
    size_pt: float
    x: float  # mm, left end of the text
    baseline: float  # mm from the label's top


_SCALES = tuple(1.0 - step * 0.05 for step in range(15))  # 100% down to 30%


def _size(size_pt: float) -> float:
    # Quarter points: enough precision, and few distinct sizes for the font cache.
    return max(1.0, round(size_pt * 4) / 4)


def wrap(
    text: str, width: float, max_lines: int, measure: Callable[[str], float]
) -> tuple[list[str], bool]:
    """Greedy word wrap; a word wider than the box is broken.

    Returns the lines and whether the text is complete; when it is not, the
    last line ends in "…".
    """

    def fits(candidate: str) -> bool:
        return measure(candidate) <= width

    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        while len(word) > 1 and not fits(word):
            cut = next((i for i in range(len(word) - 1, 0, -1) if fits(word[:i])), 1)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    if len(lines) <= max_lines:
        return lines, True
    last = " ".join(lines[max_lines - 1 :])
    while last and not fits(last + ELLIPSIS):
        last = last[:-1].rstrip()
    return [*lines[: max_lines - 1], last + ELLIPSIS], False


@dataclass
class _Piece:
    line: Line
    size: float
    texts: list[str]
    complete: bool

    @property
    def height(self) -> float:
        return len(self.texts) * self.size * LEADING * MM_PER_PT


def _piece(line: Line, size: float, max_lines: int, width: float, measure: Measure) -> _Piece:
    if line.max_lines == 1:
        # A code or serial is never cut: shrink it until it fits the width.
        natural = measure(line.text, line.bold, size)
        if natural > width:
            size = _size(size * width / natural - 0.25)
        return _Piece(line, size, [line.text] if line.text else [], True)
    texts, complete = wrap(line.text, width, max_lines, lambda s: measure(s, line.bold, size))
    return _Piece(line, size, texts, complete)


def _fit(box: TextBox, measure: Measure) -> list[_Piece]:
    width, height = box.box.width, box.box.height
    pieces: list[_Piece] = []
    for scale in _SCALES:
        pieces = [
            _piece(
                line,
                _size(max(line.min_size_pt, line.size_pt * scale)),
                line.max_lines,
                width,
                measure,
            )
            for line in box.lines
        ]
        if all(p.complete for p in pieces) and sum(p.height for p in pieces) <= height:
            return pieces
    # Smallest size and still too much: give the wrapped pieces fewer lines, cut with "…".
    while sum(p.height for p in pieces) > height:
        longest = max(pieces, key=lambda p: len(p.texts))
        if len(longest.texts) <= 1:
            break
        index = pieces.index(longest)
        pieces[index] = _piece(longest.line, longest.size, len(longest.texts) - 1, width, measure)
    # Still too tall (too many one-line pieces): below the minimum beats spilling over.
    total = sum(p.height for p in pieces)
    if total > height:
        factor = height / total
        pieces = [
            _Piece(p.line, math.floor(p.size * factor * 4) / 4, p.texts, p.complete) for p in pieces
        ]
    return pieces


def typeset(box: TextBox, measure: Measure) -> list[PlacedText]:
    """Each line of text with its size and position, as large as fits the box."""
    pieces = [p for p in _fit(box, measure) if p.texts]
    spare = max(0.0, box.box.height - sum(p.height for p in pieces))
    top, gap = box.box.y, 0.0
    if box.valign == "spread" and len(pieces) > 1:
        gap = spare / (len(pieces) - 1)
    elif box.valign != "top":
        top += spare / 2

    placed = []
    for piece in pieces:
        line_height = piece.size * LEADING * MM_PER_PT
        for text in piece.texts:
            x = box.box.x
            if box.align == "center":
                x += (box.box.width - measure(text, piece.line.bold, piece.size)) / 2
            baseline = top + piece.size * ASCENT * MM_PER_PT
            placed.append(PlacedText(text, piece.line.bold, piece.size, x, baseline))
            top += line_height
        top += gap
    return placed

"""A TrueType font that has Vietnamese glyphs, for the charts.

Pillow's built-in font has no Vietnamese letters, so the charts need a
system font. DejaVu Sans (Debian's `fonts-dejavu-core`) is the one CI and
servers are expected to have; the others serve machines with another set.
Without any, the charts still render, in Pillow's font, and a warning is logged.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from PIL import ImageFont

log = logging.getLogger(__name__)

# (regular, bold) where Debian, Fedora, Arch and Alpine put fonts covering
# Vietnamese (Latin Extended Additional) and ★; best first.
CANDIDATES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
)
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def font_files() -> tuple[Path, Path] | None:
    """The (regular, bold) files found, or None when no suitable font is installed."""
    for regular_name, bold_name in CANDIDATES:
        regular = Path(regular_name)
        if regular.is_file():
            bold = regular.with_name(bold_name)
            return regular, bold if bold.is_file() else regular
    log.warning("no TrueType font with Vietnamese glyphs: install fonts-dejavu-core")
    return None


@cache
def font(size: int, *, bold: bool = False) -> Font:
    files = font_files()
    if files is None:
        return ImageFont.load_default(size)  # legible, but Vietnamese letters may be missing
    return ImageFont.truetype(str(files[1] if bold else files[0]), size)

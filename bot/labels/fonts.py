"""A TrueType font with Vietnamese glyphs, for Pillow (PNG) and reportlab (PDF).

reportlab's bundled Vera has no ư, ơ, ạ, ệ …, and neither Pillow nor
reportlab ships another TrueType font, so the font comes from the system:
DejaVu Sans (Debian's fonts-dejavu-core), which covers Vietnamese and ★, or
Noto Sans. config.toml's [labels] font_regular / font_bold name another.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# (regular, bold) where Debian, Fedora, Arch and Alpine install them.
_SYSTEM_FONTS = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
)


class FontMissing(RuntimeError):
    """No usable TrueType font: install fonts-dejavu-core or configure one."""


@dataclass(frozen=True)
class FontFiles:
    regular: Path
    bold: Path

    def path(self, bold: bool) -> Path:
        return self.bold if bold else self.regular


def find_fonts(regular: Path | None = None, bold: Path | None = None) -> FontFiles:
    """The configured font files, or the first system font family found."""
    if regular is not None:
        chosen = FontFiles(regular, bold or regular)
        for path in (chosen.regular, chosen.bold):
            if not path.is_file():
                raise FontMissing(f"font file not found: {path}")
        return chosen
    for regular_name, bold_name in _SYSTEM_FONTS:
        found = Path(regular_name)
        if found.is_file():
            bold_path = found.with_name(bold_name)
            return FontFiles(found, bold_path if bold_path.is_file() else found)
    raise FontMissing(
        "no TrueType font with Vietnamese glyphs: install Debian's fonts-dejavu-core "
        "or set [labels] font_regular and font_bold in config.toml"
    )


@lru_cache(maxsize=1)
def default_fonts() -> FontFiles:
    return find_fonts()


@lru_cache(maxsize=256)
def pillow_font(path: Path, size_px: float) -> ImageFont.FreeTypeFont:
    # BASIC layout: text is NFC (precomposed Vietnamese glyphs), so no shaping
    # is needed, and widths then match reportlab's, which does not kern either.
    return ImageFont.truetype(str(path), size_px, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=16)
def pdf_font_name(path: Path) -> str:
    """Registers the font with reportlab once; PDFs embed the subset they use."""
    name = f"OCOP-{path.stem}"
    pdfmetrics.registerFont(TTFont(name, str(path)))
    return name

"""One product label as a print-ready PNG: QR code, name, stars and code at 300 dpi."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageDraw

from bot.labels.fonts import FontFiles, default_fonts, pillow_font
from bot.labels.layout import LabelPlan, plan_product_label
from bot.labels.qr import QrMatrix, qr_matrix
from bot.labels.sizes import LabelSize
from bot.labels.text import MM_PER_PT, Measure, typeset

__all__ = ["LabelContent", "LabelSize", "format_code", "label_filename", "render_label_png"]

MM_PER_INCH = 25.4
STAR = "★"
# Below 3 px a module blurs into its neighbours on a 300 dpi print; refuse instead.
MIN_MODULE_PX = 3


@dataclass
class LabelContent:
    """What one product label shows. `url` is what the QR code encodes (urls.product_url)."""

    name: str
    code: str
    stars: int | None
    url: str

    def __post_init__(self) -> None:
        self.name = unicodedata.normalize("NFC", " ".join(self.name.split()))
        if not self.name or not self.code.strip():
            raise ValueError("a label needs a product name and a code")
        if self.stars is not None and not 1 <= self.stars <= 5:
            raise ValueError(f"OCOP stars are 1–5, got {self.stars}")
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"the QR code must encode an http(s) URL, got {self.url!r}")

    @property
    def stars_text(self) -> str:
        return STAR * (self.stars or 0)


def format_code(code: str) -> str:
    """A product code grouped for reading: "7K3M9P" → "7K3-M9P"."""
    code = code.strip().upper()
    group = 3 if len(code) % 3 == 0 else 4
    if len(code) <= group:
        return code
    return "-".join(code[i : i + group] for i in range(0, len(code), group))


def label_filename(code: str, size: LabelSize, extension: str = "png") -> str:
    """e.g. "ocop-7K3M9P-40x30.png"."""
    safe = "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())
    return f"ocop-{safe}-{size.id}.{extension}"


def plan_for(content: LabelContent, width_mm: float, height_mm: float) -> LabelPlan:
    return plan_product_label(
        width_mm, height_mm, content.name, content.stars_text, format_code(content.code)
    )


def _pillow_measure(fonts: FontFiles) -> Measure:
    # Measured at a fixed 100 px and scaled: widths are linear in size, and one
    # font object per weight is far cheaper than one per trial size.
    def measure(text: str, bold: bool, size_pt: float) -> float:
        font = pillow_font(fonts.path(bold), 100.0)
        return font.getlength(text) / 100.0 * size_pt * MM_PER_PT

    return measure


def _paste_qr(image: Image.Image, matrix: QrMatrix, plan: LabelPlan, px_per_mm: float) -> None:
    side_px = int(plan.qr.width * px_per_mm)
    module_px = side_px // matrix.size
    if module_px < MIN_MODULE_PX:
        raise ValueError(
            f"label too small: QR modules would be {module_px} px, at least {MIN_MODULE_PX} needed"
        )
    qr = matrix.image(module_px)
    # Whole-pixel modules, centred in the planned square.
    offset = (side_px - qr.width) // 2
    image.paste(qr, (round(plan.qr.x * px_per_mm) + offset, round(plan.qr.y * px_per_mm) + offset))


def render_label_png(
    content: LabelContent, size: LabelSize, dpi: int = 300, *, fonts: FontFiles | None = None
) -> bytes:
    """The label as a grayscale PNG of exactly size × dpi pixels, with its dpi recorded."""
    fonts = fonts or default_fonts()
    px_per_mm = dpi / MM_PER_INCH
    width_px, height_px = round(size.width_mm * px_per_mm), round(size.height_mm * px_per_mm)
    image = Image.new("L", (width_px, height_px), 255)
    plan = plan_for(content, size.width_mm, size.height_mm)
    _paste_qr(image, qr_matrix(content.url), plan, px_per_mm)

    draw = ImageDraw.Draw(image)
    measure = _pillow_measure(fonts)
    for box in plan.texts:
        for placed in typeset(box, measure):
            font = pillow_font(fonts.path(placed.bold), placed.size_pt * dpi / 72)
            position = (placed.x * px_per_mm, placed.baseline * px_per_mm)
            draw.text(position, placed.text, font=font, fill=0, anchor="ls")

    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()

"""Label PNGs: exact size at 300 dpi, readable Vietnamese, a QR code that survives wear."""

from __future__ import annotations

import random

import pytest
from PIL import Image, ImageDraw, ImageFilter

from bot.labels.fonts import FontFiles, FontMissing, default_fonts, find_fonts
from bot.labels.label import (
    LabelContent,
    format_code,
    label_filename,
    plan_for,
    render_label_png,
)
from bot.labels.sizes import DEFAULT_LABEL_SIZES, LabelSize
from bot.labels.urls import product_url
from tests.labels.conftest import LONG_NAME, PUBLIC_URL, decode, png_image

SIZE_40x30 = LabelSize("40x30", 40, 30)
SIZE_50x50 = LabelSize("50x50", 50, 50)
VIETNAMESE = "ăâđêôơư ÁÀẢÃẠ ắằẳẵặ ấầẩẫậ éèẻẽẹ ếềểễệ íìỉĩị óòỏõọ ốồổỗộ ớờởỡợ úùủũụ ứừửữự ýỳỷỹỵ Đ"


@pytest.mark.parametrize(
    ("size", "pixels"),
    [(SIZE_40x30, (472, 354)), (SIZE_50x50, (591, 591))],
)
def test_png_is_exactly_the_label_at_300_dpi(
    long_label: LabelContent, size: LabelSize, pixels: tuple[int, int]
) -> None:
    image = png_image(render_label_png(long_label, size))
    assert image.format == "PNG"
    assert image.size == pixels
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)


@pytest.mark.parametrize("size", [SIZE_40x30, SIZE_50x50, LabelSize("64x34", 64, 34)])
@pytest.mark.parametrize(
    ("name", "code", "stars"),
    [
        (LONG_NAME, "7K3M9P", 4),
        ("Mật ong", "ABC234", None),
        ("Bánh tráng phơi sương Trảng Bàng " * 3, "Z9Y8X7", 5),
    ],
)
def test_qr_code_on_every_label_decodes_to_the_product_url(
    size: LabelSize, name: str, code: str, stars: int | None
) -> None:
    url = product_url(PUBLIC_URL, code)
    image = png_image(render_label_png(LabelContent(name, code, stars, url), size))
    assert decode(image) == [url]


def test_default_public_url_is_encoded_as_given() -> None:
    url = product_url("http://127.0.0.1:8080", "7K3M9P")
    assert url == "http://127.0.0.1:8080/p/7K3M9P"
    content = LabelContent("Mật ong", "7K3M9P", 3, url)
    assert decode(png_image(render_label_png(content, SIZE_40x30))) == [url]


def test_long_vietnamese_name_stays_inside_the_label(long_label: LabelContent) -> None:
    for size in DEFAULT_LABEL_SIZES:
        plan = plan_for(long_label, size.width_mm, size.height_mm)
        for box in plan.texts:
            assert box.box.x >= 0 and box.box.y >= 0
            assert box.box.x + box.box.width <= size.width_mm + 1e-9
            assert box.box.y + box.box.height <= size.height_mm + 1e-9
        qr = plan.qr
        assert qr.x + qr.width <= size.width_mm and qr.y + qr.height <= size.height_mm


def test_font_has_every_vietnamese_letter_and_the_star() -> None:
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = default_fonts()
    for path in (fonts.regular, fonts.bold):
        cmap = TTFont(f"check-{path.stem}", str(path)).face.charToGlyph
        missing = [ch for ch in VIETNAMESE + "★" if not ch.isspace() and ord(ch) not in cmap]
        assert missing == [], path


def test_configured_font_that_does_not_exist_is_reported(tmp_path: object) -> None:
    with pytest.raises(FontMissing, match="not found"):
        find_fonts(regular=__import__("pathlib").Path("/nonexistent/font.ttf"))


def test_text_is_drawn_beside_the_qr_code(long_label: LabelContent) -> None:
    image = png_image(render_label_png(long_label, SIZE_40x30)).convert("L")
    width, height = image.size
    # The name runs across the top third; stars and code to the right of the QR code.
    top = image.crop((0, 0, width, height * 3 // 10))
    right = image.crop((width * 6 // 10, height * 4 // 10, width, height))
    for part in (top, right):
        histogram = part.histogram()
        assert histogram[0] > 0 and histogram[255] > 0


def _speckled(image: Image.Image, share: float, seed: int = 3) -> Image.Image:
    """Random black and white pixels over `share` of the image, like dust and dropouts."""
    rng = random.Random(seed)
    image = image.copy()
    pixels = image.load()
    assert pixels is not None
    for _ in range(int(image.width * image.height * share)):
        pixels[rng.randrange(image.width), rng.randrange(image.height)] = rng.choice((0, 255))
    return image


def _qr_box_px(content: LabelContent, size: LabelSize) -> tuple[float, float, float]:
    plan = plan_for(content, size.width_mm, size.height_mm)
    px = 300 / 25.4
    return plan.qr.x * px, plan.qr.y * px, plan.qr.width * px


def test_worn_print_still_decodes(long_label: LabelContent) -> None:
    """Dust, ink spread, camera blur and a scratch across the code: level Q absorbs them."""
    image = png_image(render_label_png(long_label, SIZE_40x30)).convert("L")
    worn = _speckled(image, 0.05).filter(ImageFilter.GaussianBlur(1))
    left, top, side = _qr_box_px(long_label, SIZE_40x30)
    ImageDraw.Draw(worn).line(
        [(left + side * 0.3, top + side * 0.35), (left + side * 0.75, top + side * 0.6)],
        fill=255,
        width=12,  # two modules wide
    )
    assert decode(worn) == [long_label.url]


def test_an_ink_blot_on_the_code_still_decodes(long_label: LabelContent) -> None:
    image = png_image(render_label_png(long_label, SIZE_50x50)).convert("L")
    left, top, side = _qr_box_px(long_label, SIZE_50x50)
    centre_x, centre_y, radius = left + side * 0.6, top + side * 0.55, side * 0.1
    ImageDraw.Draw(image).ellipse(
        [centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius], fill=0
    )
    assert decode(image) == [long_label.url]


def test_small_print_still_decodes(long_label: LabelContent) -> None:
    """The 40×30 label printed at 150 dpi (half the pixels) and at 100 dpi."""
    image = png_image(render_label_png(long_label, SIZE_40x30))
    for scale in (2, 3):
        small = image.resize((image.width // scale, image.height // scale), Image.Resampling.BOX)
        assert decode(small) == [long_label.url]


def test_photographed_at_an_angle_still_decodes(long_label: LabelContent) -> None:
    image = png_image(render_label_png(long_label, SIZE_50x50)).convert("L")
    turned = image.rotate(17, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    assert decode(turned) == [long_label.url]


def test_a_label_too_small_for_a_scannable_code_is_refused() -> None:
    content = LabelContent("Mật ong", "7K3M9P", 4, product_url(PUBLIC_URL, "7K3M9P"))
    with pytest.raises(ValueError, match="too small"):
        render_label_png(content, LabelSize("tiny", 15, 15), dpi=100)


@pytest.mark.parametrize(
    ("name", "code", "stars", "url"),
    [
        ("", "7K3M9P", 4, "http://x/p/7K3M9P"),
        ("Mật ong", " ", 4, "http://x/p/7K3M9P"),
        ("Mật ong", "7K3M9P", 6, "http://x/p/7K3M9P"),
        ("Mật ong", "7K3M9P", 0, "http://x/p/7K3M9P"),
        ("Mật ong", "7K3M9P", 4, "javascript:alert(1)"),
    ],
)
def test_bad_content_is_refused(name: str, code: str, stars: int | None, url: str) -> None:
    with pytest.raises(ValueError):
        LabelContent(name, code, stars, url)


def test_name_is_normalised_to_nfc_and_single_spaces() -> None:
    decomposed = "Che\u0300  bu\u0301p"
    content = LabelContent(decomposed, "7K3M9P", None, "http://x/p/7K3M9P")
    assert content.name == "Chè búp"


@pytest.mark.parametrize(
    ("size", "message"),
    [((10, 30), "sides must be"), ((40, 500), "sides must be")],
)
def test_label_sizes_are_checked(size: tuple[float, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LabelSize("bad", *size)


def test_code_is_printed_in_groups() -> None:
    assert format_code("7k3m9p") == "7K3-M9P"
    assert format_code("ABCD") == "ABCD"
    assert format_code("ABCDEFGH") == "ABCD-EFGH"


def test_filename_is_safe(long_label: LabelContent) -> None:
    assert label_filename("7K3M9P", SIZE_40x30) == "ocop-7K3M9P-40x30.png"
    assert label_filename("../../etc/passwd", SIZE_40x30) == "ocop-ETCPASSWD-40x30.png"


def test_fonts_can_be_given(long_label: LabelContent) -> None:
    fonts = default_fonts()
    same = render_label_png(long_label, SIZE_40x30, fonts=FontFiles(fonts.regular, fonts.bold))
    assert same == render_label_png(long_label, SIZE_40x30)

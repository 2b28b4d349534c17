"""The KPI chart: a PNG of the expected size, with Vietnamese drawn in a real font."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from PIL import Image, ImageChops, ImageDraw

from bot.i18n import Catalogs
from bot.reports import charts, summary
from bot.reports.fonts import font, font_files
from storage.kpis import AreaKpis, Kpis

TODAY = dt.date(2026, 11, 23)


def figures(products: int = 10) -> Kpis:
    area = AreaKpis(5503, 2, products, certified=6, certified_live=3, labelled=4, with_photos=7)
    total = AreaKpis(19)
    total.add(area)
    return Kpis(19, TODAY, total, {4: 6, 0: products - 6}, {"food": products}, [area])


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_chart_is_a_png_of_the_expected_size(catalogs: Catalogs, language: str) -> None:
    board = summary.dashboard(catalogs.translator(language), figures())
    png = charts.render(board)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        image.load()  # decodes every pixel
        assert image.size == charts.size(board)
    width, height = charts.size(board)
    assert width == charts.WIDTH == 720
    assert 1.5 <= height / width <= 2.3  # a phone screen's shape: read full width


def test_chart_with_no_products(catalogs: Catalogs) -> None:
    empty = Kpis(None, TODAY, AreaKpis(0))
    board = summary.dashboard(catalogs.translator("vi"), empty)
    assert [item.figure for item in board.progress] == ["0/0 (—)"] * 3
    with Image.open(io.BytesIO(charts.render(board))) as image:
        assert image.size == charts.size(board)


def test_progress_toward_targets(catalogs: Catalogs) -> None:
    board = summary.dashboard(catalogs.translator("vi"), figures())
    live, qr, photos = board.progress
    assert (live.done, live.total, live.figure, live.target) == (3, 6, "3/6 (50%)", True)
    assert (qr.done, qr.total, qr.figure) == (4, 10, "4/10 (40%)")
    assert photos.target is False  # no programme target for photos


def glyph(text: str) -> Image.Image:
    image = Image.new("L", (80, 80), 0)
    ImageDraw.Draw(image).text((10, 10), text, font=font(40), fill=255)
    return image


def test_the_font_has_vietnamese_letters() -> None:
    assert font_files() is not None, "install Debian's fonts-dejavu-core"
    missing = glyph("\ue000")  # a private-use code point: drawn as the "no glyph" box
    for letter in "ệượđẫỹ★":
        assert ImageChops.difference(glyph(letter), missing).getbbox() is not None, letter


def test_decomposed_text_draws_like_composed() -> None:
    composed = "Thái Nguyên"
    board = charts.Dashboard(
        title=unicodedata.normalize("NFD", composed), subtitle="", progress_title="", progress=[]
    )
    twin = charts.Dashboard(title=composed, subtitle="", progress_title="", progress=[])
    assert charts.render(board) == charts.render(twin)

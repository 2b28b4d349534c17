"""A4 label sheets: layouts, every QR code on every page decodes to its product."""

from __future__ import annotations

import pytest

from bot.labels.label import LabelContent
from bot.labels.sheet import MAX_SHEET_LABELS, fill_sheet, render_sheet_pdf
from bot.labels.sizes import A4_HEIGHT_MM, A4_WIDTH_MM, DEFAULT_SHEET_LAYOUTS, SheetLayout
from bot.labels.urls import product_url
from tests.labels.conftest import LONG_NAME, PUBLIC_URL, decode, pdf_pages

LAYOUTS = {layout.id: layout for layout in DEFAULT_SHEET_LAYOUTS}


def test_presets_are_24_and_40_labels_inside_a4() -> None:
    assert LAYOUTS["3x8"].per_page == 24
    assert LAYOUTS["4x10"].per_page == 40
    for layout in DEFAULT_SHEET_LAYOUTS:
        last_x, last_y = layout.cell_origin(layout.per_page - 1)
        assert last_x + layout.label_width_mm <= A4_WIDTH_MM - layout.margin_right_mm + 1e-9
        assert last_y + layout.label_height_mm <= A4_HEIGHT_MM - layout.margin_bottom_mm + 1e-9
    assert LAYOUTS["4x10"].label_width_mm == pytest.approx(48.5)
    assert LAYOUTS["4x10"].label_height_mm == pytest.approx(25.4)


def test_cells_run_row_by_row_and_restart_on_each_page() -> None:
    layout = LAYOUTS["3x8"]
    assert layout.cell_origin(0) == (layout.margin_left_mm, layout.margin_top_mm)
    assert layout.cell_origin(1)[1] == layout.cell_origin(0)[1]
    assert layout.cell_origin(3)[0] == layout.cell_origin(0)[0]
    assert layout.cell_origin(24) == layout.cell_origin(0)


@pytest.mark.parametrize("layout_id", ["3x8", "4x10"])
def test_full_sheet_of_one_product_decodes_in_every_cell(
    long_label: LabelContent, layout_id: str
) -> None:
    layout = LAYOUTS[layout_id]
    pdf = render_sheet_pdf(fill_sheet(long_label, layout), layout)
    assert pdf.startswith(b"%PDF-")
    (page,) = pdf_pages(pdf)
    assert page.size == (round(A4_WIDTH_MM / 25.4 * 200), round(A4_HEIGHT_MM / 25.4 * 200))
    assert decode(page) == [long_label.url] * layout.per_page


@pytest.mark.parametrize("layout_id", ["3x8", "4x10"])
def test_mixed_products_over_several_pages(layout_id: str) -> None:
    layout = LAYOUTS[layout_id]
    codes = [f"{n:03d}ABC" for n in range(layout.per_page + 5)]
    contents = [
        LabelContent(f"{LONG_NAME} {code}", code, 1 + n % 5, product_url(PUBLIC_URL, code))
        for n, code in enumerate(codes)
    ]
    pages = pdf_pages(render_sheet_pdf(contents, layout))
    assert len(pages) == 2
    found = [sorted(decode(page)) for page in pages]
    expected = [product_url(PUBLIC_URL, code) for code in codes]
    assert found == [sorted(expected[: layout.per_page]), sorted(expected[layout.per_page :])]


def test_guides_do_not_disturb_the_codes(long_label: LabelContent) -> None:
    layout = LAYOUTS["4x10"]
    pdf = render_sheet_pdf(fill_sheet(long_label, layout), layout, guides=True)
    (page,) = pdf_pages(pdf, dpi=150)
    assert decode(page) == [long_label.url] * layout.per_page


def test_custom_layout_with_margins_and_gaps(long_label: LabelContent) -> None:
    layout = SheetLayout("2x5", 2, 5, 15, 15, 15, 15, gap_x_mm=5, gap_y_mm=5)
    assert layout.label_width_mm == pytest.approx(87.5)
    (page,) = pdf_pages(render_sheet_pdf(fill_sheet(long_label, layout), layout))
    assert decode(page) == [long_label.url] * 10


def test_text_is_embedded_as_a_truetype_font(long_label: LabelContent) -> None:
    layout = LAYOUTS["3x8"]
    pdf = render_sheet_pdf([long_label], layout)
    assert b"/FontFile2" in pdf  # an embedded TrueType subset, so diacritics print as typed
    assert b"/Subtype /Image" not in pdf  # QR codes are vector paths, not bitmaps


def test_empty_and_oversized_sheets_are_refused(long_label: LabelContent) -> None:
    with pytest.raises(ValueError, match="at least one"):
        render_sheet_pdf([], LAYOUTS["3x8"])
    with pytest.raises(ValueError, match="at most"):
        render_sheet_pdf([long_label] * (MAX_SHEET_LABELS + 1), LAYOUTS["3x8"])


@pytest.mark.parametrize(
    "bad",
    [
        {"columns": 0, "rows": 8},
        {"columns": 3, "rows": 8, "margin_top_mm": -1},
        {"columns": 20, "rows": 8},  # labels under 15 mm wide
    ],
)
def test_unusable_layouts_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        SheetLayout("bad", **bad)  # type: ignore[arg-type]

"""Reading a listings CSV: rows, and every problem with its line."""

from __future__ import annotations

import pytest

from bot.core.errors import Invalid
from bot.core.listings import listing_status, listing_url
from bot.core.listings_csv import Problem, Row, read_listings

MARKETPLACES = {
    "postmart": "Postmart",
    "voso": "Voso",
    "shopee": "Shopee",
    "lazada": "Lazada",
    "provincial": "Sàn TMĐT tỉnh",
}
SHOPEE = "https://shopee.vn/che-bup-i.1.2"


def read(text: str, max_rows: int = 5000, *, bom: bool = False) -> tuple[list[Row], list[Problem]]:
    data = ("\ufeff" if bom else "") + text
    sheet = read_listings(data.encode("utf-8"), MARKETPLACES, max_rows)
    return sheet.rows, sheet.problems


def keys(problems: list[Problem]) -> list[tuple[int, str]]:
    return [(problem.line, problem.key) for problem in problems]


@pytest.mark.parametrize("bom", [False, True])
def test_a_comma_file_as_excel_saves_it(bom: bool) -> None:
    rows, problems = read(
        "code,marketplace,status,url,reason\r\n"
        f"A3H689,shopee,live,{SHOPEE},\r\n"
        "a3h-689,Lazada,rejected,,Thiếu giấy ATTP\r\n"
        "B4K7M9,postmart,preparing,,\r\n",
        bom=bom,
    )
    assert problems == []
    assert rows == [
        Row(2, "A3H689", "shopee", "live", SHOPEE, None),
        Row(3, "A3H689", "lazada", "rejected", None, "Thiếu giấy ATTP"),
        Row(4, "B4K7M9", "postmart", "preparing", None, None),
    ]


def test_semicolons_vietnamese_headers_and_statuses() -> None:
    rows, problems = read(
        "Mã;Sàn;Trạng thái;Đường dẫn;Lý do\n"
        f"A3H689;Sàn TMĐT tỉnh;Đang bán;{SHOPEE};\n"
        "A3H689;shopee;tam dung;-;hết hàng\n"
        "A3H689;voso;Đã gửi duyệt\n"
    )
    assert problems == []
    assert [(r.marketplace, r.status, r.url, r.reason) for r in rows] == [
        ("provincial", "live", SHOPEE, None),
        ("shopee", "paused", "", "hết hàng"),  # "-" removes the stored link
        ("voso", "submitted", None, None),  # a short row: url and reason left out
    ]


def test_url_and_reason_columns_may_be_left_out() -> None:
    rows, problems = read("code,marketplace,status\nA3H689,voso,live\n")
    assert problems == []
    assert rows == [Row(2, "A3H689", "voso", "live", None, None)]


def test_wrong_columns_are_named() -> None:
    rows, problems = read("code,market,state,url\nA3H689,shopee,live,\n")
    assert rows == []
    assert problems == [
        Problem(1, "listings.csv_unknown_columns", {"columns": "market, state"}),
        Problem(1, "listings.csv_missing_columns", {"columns": "marketplace, status"}),
    ]


def test_each_bad_cell_is_reported_on_its_line() -> None:
    rows, problems = read(
        "code,marketplace,status,url,reason\n"
        "A3H689,shopee,live,,\n"
        "A3H68,shopee,live,,\n"
        "A3H689,tiki,sold,,\n"
        "A3H689,voso,live,shopee.vn/abc,\n"
        "A3H689,lazada,rejected,,\n"
        "A3H689,shopee,paused,,\n"
        "A3H689,postmart,live,,,extra\n"
        "\n"
        "A3H689,provincial,live,,\n"
    )
    assert keys(problems) == [
        (3, "listings.csv_bad_code"),
        (4, "listings.csv_bad_marketplace"),
        (4, "listings.csv_bad_status"),
        (5, "listings.csv_bad_url"),
        (6, "listings.csv_needs_reason"),
        (7, "listings.csv_duplicate"),
        (8, "listings.csv_extra_cells"),
    ]
    assert problems[1].params == {"marketplace": "tiki", "known": ", ".join(MARKETPLACES)}
    assert problems[2].params == {"status": "sold"}
    assert problems[5].params == {"code": "A3H689", "first": 2}
    assert [row.line for row in rows] == [2, 10]  # blank lines are skipped, not counted


def test_a_huge_file_is_refused_without_reading_it_all() -> None:
    row = "A3H689,shopee,live,,\n"
    rows, problems = read("code,marketplace,status,url,reason\n" + row * 100_000, max_rows=5000)
    assert rows == []
    assert problems == [Problem(0, "listings.csv_too_many_rows", {"max": 5000})]
    # A cell past the csv module's field limit on row 5,002 is never reached.
    unreadable = "A3H689,voso,live,," + "x" * 200_000 + "\n"
    text = "code,marketplace,status,url,reason\n" + row * 5001 + unreadable
    assert read(text, max_rows=5000)[1] == [Problem(0, "listings.csv_too_many_rows", {"max": 5000})]
    assert keys(read(text, max_rows=6000)[1])[-1] == (5003, "listings.csv_malformed")


def test_the_row_limit_counts_data_rows_only() -> None:
    rows, problems = read("code,marketplace,status\nA3H689,voso,live\nA3H689,shopee,live\n", 2)
    assert problems == [] and len(rows) == 2


def test_files_that_are_no_utf8_text_or_empty() -> None:
    # Windows' Vietnamese code page, as older Excel saves "Thiếu ảnh"
    reason = "Thi\u00ea\u0301u a\u0309nh"
    legacy = f"code,marketplace,status,reason\nA3H689,voso,rejected,{reason}\n".encode("cp1258")
    assert read_listings(legacy, MARKETPLACES, 10).problems == [Problem(0, "listings.csv_not_utf8")]
    assert read("")[1] == [Problem(0, "listings.csv_empty")]
    assert read("code,marketplace,status\n\n")[1] == [Problem(0, "listings.csv_empty")]


def test_statuses_from_ids_and_glossary_words() -> None:
    assert listing_status("live") == "live"
    assert listing_status("NOT_STARTED") == "not_started"
    assert listing_status("not started") == "not_started"
    assert listing_status("Chưa bắt đầu") == "not_started"
    assert listing_status("bị từ chối") == "rejected"
    assert listing_status("Đang chuẩn bị") == "preparing"
    assert listing_status("sold") is None
    assert listing_status("") is None


def test_listing_urls() -> None:
    assert listing_url(f"  {SHOPEE} ") == SHOPEE
    for bad in ("shopee.vn/abc", "ftp://shopee.vn/a", "https://", "https://shopee vn/a"):
        with pytest.raises(Invalid) as error:
            listing_url(bad)
        assert error.value.key == "listings.bad_url"
    with pytest.raises(Invalid) as error:
        listing_url("https://shopee.vn/" + "a" * 500)
    assert error.value.key == "invalid.too_long"

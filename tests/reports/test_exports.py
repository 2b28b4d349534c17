"""CSV and XLSX files: Vietnamese intact, real dates, no formulas, the right headers and rows."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from bot.i18n import Catalogs
from bot.reports import exports, tables
from bot.reports.exports import Table
from bot.runtime import Runtime
from storage.kpis import export_data
from tests.reports import dataset
from tests.reports.dataset import PROVINCE_A

TABLE = Table(
    "Sản phẩm: danh sách/2026",  # characters Excel refuses in sheet names
    ["Tên sản phẩm", "Giá bán (₫)", "Hiệu lực đến", "Cập nhật lúc", "Ghi chú"],
    [
        [
            "Chè búp Tân Cương đặc biệt",
            125_000,
            dt.date(2027, 5, 20),
            dt.datetime(2026, 11, 23, 10, 5),
            None,
        ],
        ["=cmd|' /C calc'!A0", 0, None, None, "+84912345678"],
        ["Bánh chưng Tranh\x0b", -5, None, None, "@SUM(A1)"],
    ],
)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_round_trip() -> None:
    header, tea, formula, cake = read_csv(exports.to_csv(TABLE))
    assert header == list(TABLE.headers)
    assert tea == ["Chè búp Tân Cương đặc biệt", "125000", "2027-05-20", "2026-11-23 10:05", ""]
    assert formula[0] == "'=cmd|' /C calc'!A0"  # neutralised: Excel shows it as text
    assert formula[4] == "+84912345678"  # a phone number is left alone
    assert cake[1:] == ["-5", "", "", "'@SUM(A1)"]


def test_xlsx_has_headers_rows_and_types() -> None:
    workbook = load_workbook(io.BytesIO(exports.to_xlsx([TABLE])))
    assert workbook.sheetnames == ["Sản phẩm  danh sách 2026"]
    sheet = workbook.active
    assert sheet is not None
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == list(TABLE.headers)
    assert rows[1] == [
        "Chè búp Tân Cương đặc biệt",
        125_000,
        dt.datetime(2027, 5, 20),
        dt.datetime(2026, 11, 23, 10, 5),
        None,
    ]
    assert sheet["C2"].number_format == "DD/MM/YYYY"
    assert sheet["A3"].value == "=cmd|' /C calc'!A0" and sheet["A3"].data_type == "s"  # text
    assert sheet["A4"].value == "Bánh chưng Tranh"  # the control character is dropped
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


async def test_tables_of_a_province(runtime: Runtime, catalogs: Catalogs) -> None:
    async with runtime.db.transaction() as session:
        built = await dataset.build(session)
        data = await export_data(session, PROVINCE_A)
    vi = catalogs.translator("vi")
    marketplaces = runtime.settings.marketplaces

    producers = tables.table("producers", data, vi, marketplaces)
    assert producers.headers[:3] == ["Tên chủ thể", "Loại hình", "Người đại diện"]
    by_name = {row[0]: row for row in producers.rows}
    assert set(by_name) == {"HTX Chè Tân Cương", "Cơ sở Thảo mộc Đồng Hỷ", "Tổ hợp tác Mây tre"}
    tan_cuong = by_name["HTX Chè Tân Cương"]
    assert tan_cuong[1] == "Hợp tác xã (HTX)"
    assert tan_cuong[5:9] == ["Thái Nguyên", "Xã Tân Cương", "", 3]
    # by commune (code), then by name: "Cơ sở…" before "Tổ hợp tác…"
    assert [row[0] for row in producers.rows if row[6] != "Xã Tân Cương"] == [
        "Cơ sở Thảo mộc Đồng Hỷ",
        "Tổ hợp tác Mây tre",
    ]

    products = tables.table("products", data, vi, marketplaces)
    by_code = {row[0]: dict(zip(products.headers, row, strict=True)) for row in products.rows}
    assert set(by_code) == {built.products[k] for k in ("tea", "wine", "snack", "soap", "basket")}
    tea = by_code[built.products["tea"]]
    assert tea["Tên sản phẩm"] == "Chè búp Tân Cương đặc biệt"
    assert tea["Nhóm sản phẩm"] == "Thực phẩm"
    assert tea["Hạng sao OCOP"] == 4
    assert tea["Số ảnh"] == 3
    assert tea["Đang bán trên"] == "Shopee"
    assert tea["Ngày tạo mã QR"] == dt.datetime(2026, 10, 1, 9, 0)  # Vietnam's time
    assert tea["Hạn sử dụng"] == "12 tháng"
    assert by_code[built.products["soap"]]["Đang bán trên"] == "Lazada, Postmart"

    listings = tables.table("listings", data, catalogs.translator("en"), marketplaces)
    assert listings.headers[4:6] == ["Marketplace", "Status"]
    assert len(listings.rows) == 6  # every listing row of the province's products
    statuses = {(row[0], row[4]): row[5] for row in listings.rows}
    assert statuses[(built.products["wine"], "Shopee")] == "submitted"

    # The files themselves: Vietnamese survives both formats.
    csv_rows = read_csv(exports.to_csv(products))
    assert csv_rows[0] == list(products.headers)
    assert {row[1] for row in csv_rows[1:]} >= {"Chè búp Tân Cương đặc biệt", "Giỏ mây đan tay"}
    workbook = load_workbook(io.BytesIO(exports.to_xlsx([producers, products, listings])))
    assert workbook.sheetnames == [
        "Danh sách chủ thể OCOP",
        "Danh sách sản phẩm",
        "Marketplace listings",
    ]
    assert workbook["Danh sách sản phẩm"].max_row == 6


def test_every_column_key_exists(catalogs: Catalogs) -> None:
    keys = [
        *tables.PRODUCER_COLUMNS,
        *tables.PRODUCT_COLUMNS,
        *tables.LISTING_COLUMNS,
        *tables.TITLES.values(),
        *tables.REVIEW.values(),
    ]
    for language in ("vi", "en"):
        assert set(keys) <= catalogs.keys(language), language

"""Bulk-upload sheets: every marketplace's columns, absolute image URLs, blank stock."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from bot.core.ocop import GROUPS
from bot.i18n import Catalogs
from bot.reports import exports, marketplace_sheets
from bot.reports.categories import CATEGORIES, category
from bot.reports.marketplace_sheets import REQUIRED_FIELDS, SheetContext, columns, sheet
from bot.runtime import Runtime
from storage.kpis import ExportData, export_data
from tests.reports import dataset
from tests.reports.dataset import PROVINCE_A

PUBLIC_URL = "https://ocop.example.vn"


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


@pytest.mark.parametrize("marketplace", ["shopee", "lazada", "postmart", "voso", "provincial"])
def test_every_sheet_has_the_required_columns(marketplace: str) -> None:
    fields = {field for _header, field in columns(marketplace)}
    for alternatives in REQUIRED_FIELDS:
        assert alternatives & fields, (marketplace, alternatives)
    headers = [header for header, _field in columns(marketplace)]
    assert len(headers) == len(set(headers)), "a header twice"


def test_categories_cover_every_subgroup() -> None:
    for marketplace in CATEGORIES:
        for group, subgroups in GROUPS.items():
            for subgroup in subgroups:
                assert category(marketplace, group, subgroup), (marketplace, subgroup)
    assert category("provincial", "food", "tea") is None  # not in the table: filled by hand


async def load(runtime: Runtime) -> tuple[dataset.Dataset, ExportData]:
    async with runtime.db.transaction() as session:
        built = await dataset.build(session)
        return built, await export_data(session, PROVINCE_A)


async def test_shopee_sheet(runtime: Runtime, catalogs: Catalogs) -> None:
    built, data = await load(runtime)
    shopee = runtime.settings.marketplace("shopee")
    assert shopee is not None
    context = SheetContext(shopee, PUBLIC_URL, catalogs.translator("vi"))
    table = sheet(data, context)
    rows = {row[3]: dict(zip(table.headers, row, strict=True)) for row in table.rows}
    # Live on or submitted to Shopee already: nothing to upload for the tea and the wine.
    assert set(rows) == {built.products[k] for k in ("snack", "soap", "basket")}
    soap = rows[built.products["soap"]]
    assert soap["Tên sản phẩm"] == "Xà phòng sả chanh"
    assert soap["Ngành hàng"] == "Sắc đẹp > Chăm sóc da mặt"
    assert soap["Giá"] == 125_000
    assert soap["Kho hàng"] is None  # stock is not recorded: left blank, not 0
    assert soap["Cân nặng (g)"] == 260
    assert (soap["Chiều dài (cm)"], soap["Chiều rộng (cm)"], soap["Chiều cao (cm)"]) == (20, 8, 8)
    images = [soap["Ảnh bìa"], *(soap[f"Hình ảnh sản phẩm {i}"] for i in range(1, 9))]
    assert [url is not None for url in images] == [True] * 4 + [False] * 5
    record = next(r for r in data.products if r.product.code == built.products["soap"])
    cover, second = record.photos[0], record.photos[1]
    assert images[0] == f"{PUBLIC_URL}/media/{cover.sha256}.jpg"
    assert images[1] == f"{PUBLIC_URL}/media/{second.sha256}.png"
    description = str(soap["Mô tả sản phẩm"])
    assert description.startswith("Chè búp một tôm hai lá, sao tay.")
    assert "Sản phẩm đạt chứng nhận OCOP 5 sao." in description
    assert "Chủ thể sản xuất: Cơ sở Thảo mộc Đồng Hỷ — " in description
    assert "Hạn sử dụng: 12 tháng." in description
    basket = rows[built.products["basket"]]
    assert basket["Giá"] is None and basket["Chiều dài (cm)"] is None  # what is still missing


async def test_lazada_sheet_in_kilograms_as_xlsx(runtime: Runtime, catalogs: Catalogs) -> None:
    built, data = await load(runtime)
    lazada = runtime.settings.marketplace("lazada")
    assert lazada is not None
    table = sheet(data, SheetContext(lazada, PUBLIC_URL, catalogs.translator("vi")))
    workbook = load_workbook(io.BytesIO(exports.to_xlsx([table])))
    rows = list(workbook["Lazada"].iter_rows(values_only=True))
    assert list(rows[0]) == [header for header, _field in columns("lazada")]
    by_sku = {row[4]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert built.products["soap"] not in by_sku  # live on Lazada
    tea = by_sku[built.products["tea"]]  # only "preparing" there
    assert tea["Khối lượng gói hàng (kg)"] == 0.26
    assert tea["Thương hiệu"] == "HTX Chè Tân Cương"
    assert tea["Danh mục"] == "Bách Hóa Online > Đồ uống > Trà"
    snack = by_sku[built.products["snack"]]
    assert snack["Tên sản phẩm"] == '=HYPERLINK("http://x")'  # stays text, never a formula


async def test_a_marketplace_without_a_template_gets_the_generic_one(
    runtime: Runtime, catalogs: Catalogs
) -> None:
    _built, data = await load(runtime)
    provincial = runtime.settings.marketplace("provincial")
    assert provincial is not None
    table = sheet(data, SheetContext(provincial, PUBLIC_URL, catalogs.translator("vi")))
    assert table.title == "Sàn TMĐT tỉnh"
    row = dict(zip(table.headers, table.rows[0], strict=True))
    assert row["Xuất xứ"] in {"Xã Tân Cương, Thái Nguyên", "Phường Phan Đình Phùng, Thái Nguyên"}
    assert " > " in str(row["Danh mục"])  # the OCOP group and subgroup, for the officer


def test_image_url() -> None:
    url = marketplace_sheets.image_url(PUBLIC_URL, "ab" * 32, "image/webp")
    assert url == f"{PUBLIC_URL}/media/{'ab' * 32}.webp"

"""Bulk-upload sheets: one row per product not yet on a marketplace, in its columns.

Each marketplace's mass-upload template asks for the same facts under its
own headers and units (Shopee weighs in grams, Lazada in kilograms), so a
sheet is declared as a list of (header, field) pairs and filled from one
set of field getters. Headers follow the platforms' Vietnamese templates;
when a platform renames a column, change its line in SHEETS.

Stock: OCOP Assistant does not record stock, so the stock column is left
blank (not 0, which would list the product as sold out); the message sent
with the file says so. Other blank cells are facts the product still lacks.
Descriptions and category names are in Vietnamese whatever the officer's
language: they are read by the marketplace's buyers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Marketplace
from bot.core import places
from bot.core.formatting import quantity, shelf_life
from bot.core.media import EXTENSIONS
from bot.core.ocop import group_key, subgroup_key
from bot.i18n import Translator
from bot.reports.categories import category
from bot.reports.exports import Cell, Table
from storage.kpis import ExportData, ProductRecord

ALREADY_THERE = frozenset({"live", "submitted"})  # nothing to upload for these


def _images(prefix: str, count: int, first: str | None = None) -> list[tuple[str, str]]:
    """Image columns: an optional cover column, then numbered ones."""
    columns = [(first, "image:0")] if first else []
    start = len(columns)
    columns += [(f"{prefix} {i + 1}", f"image:{start + i}") for i in range(count)]
    return columns


_SIZE_CM = [("Chiều dài (cm)", "length_cm"), ("Chiều rộng (cm)", "width_cm")]
_GENERIC = [
    ("Danh mục", "category"),
    ("Tên sản phẩm", "name"),
    ("Mô tả sản phẩm", "description"),
    ("Mã sản phẩm (SKU)", "sku"),
    ("Giá bán (VNĐ)", "price"),
    ("Số lượng tồn kho", "stock"),
    ("Khối lượng (gram)", "weight_g"),
    *_SIZE_CM,
    ("Chiều cao (cm)", "height_cm"),
    ("Xuất xứ", "origin"),
    ("Hạng sao OCOP", "stars"),
    *_images("Ảnh", 5),
]
SHEETS: dict[str, list[tuple[str, str]]] = {
    "shopee": [
        ("Ngành hàng", "category"),
        ("Tên sản phẩm", "name"),
        ("Mô tả sản phẩm", "description"),
        ("SKU sản phẩm", "sku"),
        ("Giá", "price"),
        ("Kho hàng", "stock"),
        ("Cân nặng (g)", "weight_g"),
        *_SIZE_CM,
        ("Chiều cao (cm)", "height_cm"),
        *_images("Hình ảnh sản phẩm", 8, first="Ảnh bìa"),
    ],
    "lazada": [
        ("Danh mục", "category"),
        ("Tên sản phẩm", "name"),
        ("Mô tả sản phẩm", "description"),
        ("Thương hiệu", "brand"),
        ("SellerSKU", "sku"),
        ("Giá", "price"),
        ("Số lượng", "stock"),
        ("Khối lượng gói hàng (kg)", "weight_kg"),
        ("Chiều dài gói hàng (cm)", "length_cm"),
        ("Chiều rộng gói hàng (cm)", "width_cm"),
        ("Chiều cao gói hàng (cm)", "height_cm"),
        *_images("Ảnh", 7, first="Ảnh chính"),
    ],
    "postmart": _GENERIC,
    "voso": _GENERIC,
}
# The facts every sheet carries, whatever its headers: each set's fields are
# alternatives (weight in grams or kilograms).
REQUIRED_FIELDS = (
    {"name"},
    {"description"},
    {"price"},
    {"stock"},
    {"weight_g", "weight_kg"},
    {"length_cm"},
    {"width_cm"},
    {"height_cm"},
    {"image:0"},
    {"category"},
)


@dataclass(frozen=True)
class SheetContext:
    marketplace: Marketplace
    public_url: str
    vi: Translator  # descriptions and categories for the marketplace's buyers


def columns(marketplace_id: str) -> list[tuple[str, str]]:
    return SHEETS.get(marketplace_id, _GENERIC)


def pending(data: ExportData, marketplace_id: str) -> list[ProductRecord]:
    """Products not yet live on, or submitted to, the marketplace."""
    return [
        record
        for record in data.products
        if not any(
            x.marketplace == marketplace_id and x.status in ALREADY_THERE for x in record.listings
        )
    ]


def sheet(data: ExportData, context: SheetContext) -> Table:
    spec = columns(context.marketplace.id)
    getters = [_getter(field_name) for _header, field_name in spec]
    rows = [
        [get(record, context) for get in getters]
        for record in pending(data, context.marketplace.id)
    ]
    return Table(context.marketplace.name, [header for header, _field in spec], rows)


def image_url(public_url: str, sha256: str, mime: str) -> str:
    """Where the web app serves a stored photo: absolute, as marketplaces fetch it."""
    return f"{public_url}/media/{sha256}.{EXTENSIONS[mime]}"


Getter = Callable[[ProductRecord, SheetContext], Cell]


def _getter(field_name: str) -> Getter:
    if field_name.startswith("image:"):
        index = int(field_name.removeprefix("image:"))
        return lambda r, c: _image(r, c, index)
    return FIELDS[field_name]


def _image(record: ProductRecord, context: SheetContext, index: int) -> Cell:
    if index >= len(record.photos):
        return None
    photo = record.photos[index]
    return image_url(context.public_url, photo.sha256, photo.mime)


def _cm(mm: int | None) -> Cell:
    if mm is None:
        return None
    return mm // 10 if mm % 10 == 0 else round(mm / 10, 1)


def _category(record: ProductRecord, context: SheetContext) -> Cell:
    p = record.product
    found = category(context.marketplace.id, p.group, p.subgroup)
    if found:
        return found
    t = context.vi
    return f"{t(group_key(p.group))} > {t(subgroup_key(p.subgroup))}"


def _origin(record: ProductRecord, _context: SheetContext) -> Cell:
    return _place(record)


def _place(record: ProductRecord) -> str:
    ward = places.ward(record.producer.ward_code)
    province = places.province(record.producer.province_code)
    return ", ".join(place.name for place in (ward, province) if place)


def description(record: ProductRecord, t: Translator) -> str:
    """What the buyer reads: the producer's text, then the OCOP facts that sell it."""
    p, producer = record.product, record.producer
    parts = [p.description, p.story or ""]
    if p.stars:
        ocop = t("export.sheet.ocop", stars=p.stars)
        if p.cert_number:
            ocop += " " + t("export.sheet.decision", number=p.cert_number)
        parts.append(ocop)
    if p.net_amount and p.net_unit:
        parts.append(t("export.sheet.net", amount=quantity(t, p.net_amount, p.net_unit)))
    if p.ingredients:
        parts.append(t("export.sheet.ingredients", text=p.ingredients))
    if p.shelf_life:
        parts.append(t("export.sheet.shelf_life", period=shelf_life(t, p.shelf_life)))
    parts.append(t("export.sheet.producer", name=producer.name, place=_place(record)))
    return "\n\n".join(part.strip() for part in parts if part and part.strip())


FIELDS: dict[str, Getter] = {
    "category": _category,
    "name": lambda r, _c: r.product.name,
    "description": lambda r, c: description(r, c.vi),
    "sku": lambda r, _c: r.product.code,
    "brand": lambda r, _c: r.producer.name,
    "price": lambda r, _c: r.product.price_vnd,
    "stock": lambda _r, _c: None,  # not recorded: see the module's note
    "weight_g": lambda r, _c: r.product.package_weight_g,
    "weight_kg": lambda r, _c: (
        None if r.product.package_weight_g is None else r.product.package_weight_g / 1000
    ),
    "length_cm": lambda r, _c: _cm(r.product.length_mm),
    "width_cm": lambda r, _c: _cm(r.product.width_mm),
    "height_cm": lambda r, _c: _cm(r.product.height_mm),
    "origin": _origin,
    "stars": lambda r, _c: r.product.stars,
}

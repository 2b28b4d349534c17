"""The producers, products and listings tables of an export, in the officer's language.

Headers and coded values (kind, group, listing status) go through the
catalogs; numbers stay numbers and dates stay dates so a spreadsheet can
sort and sum them; times are converted to Vietnam's local time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.config import Marketplace
from bot.core import places
from bot.core.formatting import shelf_life
from bot.core.ocop import (
    ListingStatus,
    ReviewStatus,
    group_key,
    kind_key,
    listing_key,
    subgroup_key,
)
from bot.i18n import N_, Translator
from bot.reports.exports import Cell, Table
from storage.kpis import ExportData

KINDS = ("producers", "products", "listings")
TITLES = {
    "producers": N_("export.what.producers"),
    "products": N_("export.what.products"),
    "listings": N_("export.what.listings"),
}
REVIEW = {
    ReviewStatus.DRAFT: N_("export.review.draft"),
    ReviewStatus.PENDING: N_("export.review.pending"),
    ReviewStatus.APPROVED: N_("export.review.approved"),
    ReviewStatus.CHANGES_REQUESTED: N_("export.review.changes_requested"),
}

PRODUCER_COLUMNS = (
    N_("export.col.entity"),
    N_("export.col.kind"),
    N_("export.col.representative"),
    N_("export.col.phone"),
    N_("export.col.tax_code"),
    N_("export.col.province"),
    N_("export.col.commune"),
    N_("export.col.address"),
    N_("export.col.product_count"),
    N_("export.col.registered"),
)
PRODUCT_COLUMNS = (
    N_("export.col.code"),
    N_("export.col.product"),
    N_("export.col.entity"),
    N_("export.col.province"),
    N_("export.col.commune"),
    N_("export.col.group"),
    N_("export.col.subgroup"),
    N_("export.col.stars"),
    N_("export.col.cert_number"),
    N_("export.col.cert_date"),
    N_("export.col.cert_expiry"),
    N_("export.col.price"),
    N_("export.col.unit"),
    N_("export.col.net_amount"),
    N_("export.col.net_unit"),
    N_("export.col.package_weight"),
    N_("export.col.length"),
    N_("export.col.width"),
    N_("export.col.height"),
    N_("export.col.shelf_life"),
    N_("export.col.gtin"),
    N_("export.col.growing_area"),
    N_("export.col.photos"),
    N_("export.col.labelled"),
    N_("export.col.review"),
    N_("export.col.live_on"),
    N_("export.col.description"),
)
LISTING_COLUMNS = (
    N_("export.col.code"),
    N_("export.col.product"),
    N_("export.col.entity"),
    N_("export.col.commune"),
    N_("export.col.marketplace"),
    N_("export.col.status"),
    N_("export.col.url"),
    N_("export.col.reason"),
    N_("export.col.updated"),
)


def table(
    kind: str, data: ExportData, t: Translator, marketplaces: tuple[Marketplace, ...]
) -> Table:
    builders: dict[str, Callable[[], Table]] = {
        "producers": lambda: producers(data, t),
        "products": lambda: products(data, t, marketplaces),
        "listings": lambda: listings(data, t, marketplaces),
    }
    return builders[kind]()


def producers(data: ExportData, t: Translator) -> Table:
    rows: list[list[Cell]] = [
        [
            p.name,
            t(kind_key(p.kind)),
            p.representative,
            p.phone,
            p.tax_code,
            _province(p.province_code),
            _commune(p.ward_code),
            p.address,
            data.product_counts.get(p.id, 0),
            _local(t, p.created_at),
        ]
        for p in data.producers
    ]
    return Table(_title(t, "producers"), [t(c) for c in PRODUCER_COLUMNS], rows)


def products(data: ExportData, t: Translator, marketplaces: tuple[Marketplace, ...]) -> Table:
    names = _marketplace_names(marketplaces)
    rows: list[list[Cell]] = []
    for record in data.products:
        p, producer = record.product, record.producer
        live = [
            names.get(x.marketplace, x.marketplace)
            for x in record.listings
            if x.status == ListingStatus.LIVE
        ]
        rows.append(
            [
                p.code,
                p.name,
                producer.name,
                _province(producer.province_code),
                _commune(producer.ward_code),
                t(group_key(p.group)),
                t(subgroup_key(p.subgroup)),
                p.stars,
                p.cert_number,
                p.cert_date,
                p.cert_expiry,
                p.price_vnd,
                p.unit,
                p.net_amount,
                p.net_unit,
                p.package_weight_g,
                p.length_mm,
                p.width_mm,
                p.height_mm,
                shelf_life(t, p.shelf_life) if p.shelf_life else None,
                p.gtin,
                p.growing_area_code,
                len(record.photos),
                _local(t, p.labelled_at),
                t(REVIEW[p.review_status]) if p.review_status in REVIEW else p.review_status,
                ", ".join(live),
                p.description,
            ]
        )
    return Table(_title(t, "products"), [t(c) for c in PRODUCT_COLUMNS], rows)


def listings(data: ExportData, t: Translator, marketplaces: tuple[Marketplace, ...]) -> Table:
    names = _marketplace_names(marketplaces)
    rows: list[list[Cell]] = [
        [
            record.product.code,
            record.product.name,
            record.producer.name,
            _commune(record.producer.ward_code),
            names.get(listing.marketplace, listing.marketplace),
            t(listing_key(listing.status)),
            listing.url,
            listing.reason,
            _local(t, listing.updated_at),
        ]
        for record in data.products
        for listing in record.listings
    ]
    return Table(_title(t, "listings"), [t(c) for c in LISTING_COLUMNS], rows)


def _title(t: Translator, kind: str) -> str:
    key = TITLES[kind]  # looked up outside t(…): babel would take "products" for a key
    return t(key)


def _marketplace_names(marketplaces: tuple[Marketplace, ...]) -> dict[str, str]:
    return {m.id: m.name for m in marketplaces}


def _province(code: int) -> str:
    found = places.province(code)
    return found.name if found else str(code)


def _commune(code: int) -> str:
    found = places.ward(code)
    return found.name if found else str(code)


def _local(t: Translator, value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(t.tz).replace(tzinfo=None)

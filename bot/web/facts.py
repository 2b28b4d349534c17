"""What an origin page says about a product, in no language yet.

One `ProductFacts` feeds both the HTML page and the JSON API, so the two
always agree. Every URL in it is absolute and starts from the configured
public URL; dates are dates, money integer VND.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from bot.config import Settings
from bot.core import places, product_fields
from bot.core.media import EXTENSIONS
from bot.core.ocop import ReviewStatus
from bot.core.product_fields import Page, Shape, answer
from storage.models import Producer, Product


@dataclass(frozen=True, slots=True)
class PhotoFacts:
    url: str
    thumbnail_url: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class CertificationFacts:
    kind: str
    number: str
    expiry: dt.date | None
    expired: bool


@dataclass(frozen=True, slots=True)
class DetailFacts:
    """One row of the page's details list, in bot/core/product_fields.py's order."""

    name: str  # the product field
    label: str  # its message key
    shape: Shape  # how the page shows the value: a quantity, a period, the certificates…
    key: str  # its key in the JSON API
    value: Any  # as the product flow answers it: text, a number, {"amount", "unit"}


@dataclass(frozen=True, slots=True)
class ListingFacts:
    marketplace: str
    name: str
    url: str | None


@dataclass(frozen=True, slots=True)
class ProducerFacts:
    name: str
    kind: str
    province: str | None
    ward: str | None
    address: str
    phone: str | None  # only when the producer chose to show it
    latitude: float | None
    longitude: float | None
    map_url: str | None
    # Who and where, as codes: the catalogue and map group and filter by them.
    id: int = 0
    province_code: int = 0
    ward_code: int = 0
    story: str | None = None  # the producer's own câu chuyện


@dataclass(frozen=True, slots=True)
class ProductFacts:
    code: str
    url: str
    chat_url: str
    name: str
    group: str
    subgroup: str
    stars: int | None
    cert_number: str | None
    cert_date: dt.date | None
    cert_expiry: dt.date | None
    cert_expired: bool
    reviewed: bool
    description: str
    story: str | None
    price_vnd: int | None
    unit: str | None
    gtin: str | None
    digital_link: str | None
    photos: tuple[PhotoFacts, ...]
    certifications: tuple[CertificationFacts, ...]
    listings: tuple[ListingFacts, ...]
    producer: ProducerFacts
    details: tuple[DetailFacts, ...]  # the fields the page lists, certificates included
    zalo_chat_url: str | None = None  # "Chat on Zalo", when [zalo_oa]/[zalo_bot] chat_url is set

    @property
    def cover(self) -> PhotoFacts | None:
        return self.photos[0] if self.photos else None


def product_url(settings: Settings, code: str) -> str:
    return f"{settings.public_url}/p/{code}"


def chat_url(settings: Settings, code: str) -> str:
    """Opens the chat with the bot, which shows this product (Telegram deep link)."""
    return f"https://t.me/{settings.telegram_bot_username}?start=p_{code}"


def map_url(latitude: float, longitude: float) -> str:
    return (
        f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}"
        f"#map=15/{latitude:.6f}/{longitude:.6f}"
    )


def photo_urls(settings: Settings, sha256: str, mime: str) -> tuple[str, str]:
    base = f"{settings.public_url}/media"
    return f"{base}/{sha256}.{EXTENSIONS[mime]}", f"{base}/thumbs/{sha256}.jpg"


def product_facts(
    settings: Settings, product: Product | SimpleNamespace, today: dt.date
) -> ProductFacts:
    """Facts of a product loaded by storage.origin (producer, photos, live listings):
    an ORM Product, or the plain objects of `origin_row(s)` with the same attributes."""
    photos = []
    for photo in product.photos:
        if photo.mime not in EXTENSIONS:
            continue
        url, thumbnail = photo_urls(settings, photo.sha256, photo.mime)
        photos.append(PhotoFacts(url, thumbnail, photo.width, photo.height))
    listings = []
    for listing in product.listings:
        listings.append(
            ListingFacts(
                listing.marketplace,
                _marketplace_name(settings, listing.marketplace),
                _safe_link(listing.url),
            )
        )
    return ProductFacts(
        code=product.code,
        url=product_url(settings, product.code),
        chat_url=chat_url(settings, product.code),
        name=product.name,
        group=product.group,
        subgroup=product.subgroup,
        stars=product.stars,
        cert_number=product.cert_number,
        cert_date=product.cert_date,
        cert_expiry=product.cert_expiry,
        cert_expired=product.cert_expiry is not None and product.cert_expiry < today,
        reviewed=product.review_status == ReviewStatus.APPROVED,
        description=product.description,
        story=product.story,
        price_vnd=product.price_vnd,
        unit=product.unit,
        gtin=product.gtin,
        digital_link=f"{settings.public_url}/01/0{product.gtin}" if product.gtin else None,
        photos=tuple(photos),
        certifications=tuple(
            CertificationFacts(
                c.kind, c.number, c.expiry, c.expiry is not None and c.expiry < today
            )
            for c in product.certifications
        ),
        listings=tuple(listings),
        producer=producer_facts(product.producer),
        details=details(product),
        zalo_chat_url=settings.zalo_chat_url(),
    )


def details(product: Product | SimpleNamespace) -> tuple[DetailFacts, ...]:
    """The fields described as page details, whatever they are."""
    return tuple(
        DetailFacts(
            field.name,
            field.page_key,
            field.shape,
            field.json_key,
            answer(field, product) if field.columns else None,
        )
        for field in product_fields.PRODUCT_FIELDS
        if field.page == Page.DETAILS
    )


def with_day(facts: ProductFacts, today: dt.date) -> ProductFacts:
    """The same facts as seen on `today`: only the expiry flags depend on the date.
    The very same object when none of them changes (pages rendered from it stay valid)."""
    cert_expired = facts.cert_expiry is not None and facts.cert_expiry < today
    certifications = tuple(
        CertificationFacts(c.kind, c.number, c.expiry, c.expiry is not None and c.expiry < today)
        for c in facts.certifications
    )
    if cert_expired == facts.cert_expired and certifications == facts.certifications:
        return facts
    return dataclasses.replace(facts, cert_expired=cert_expired, certifications=certifications)


def _marketplace_name(settings: Settings, marketplace_id: str) -> str:
    marketplace = settings.marketplace(marketplace_id)
    return marketplace.name if marketplace else marketplace_id


def producer_facts(producer: Producer | SimpleNamespace) -> ProducerFacts:
    province = places.province(producer.province_code)
    ward = places.ward(producer.ward_code)
    located = producer.latitude is not None and producer.longitude is not None
    return ProducerFacts(
        name=producer.name,
        kind=producer.kind,
        province=province.name if province else None,
        ward=ward.name if ward else None,
        address=producer.address,
        phone=producer.phone if producer.show_phone else None,
        latitude=producer.latitude if located else None,
        longitude=producer.longitude if located else None,
        map_url=(
            map_url(producer.latitude, producer.longitude)
            if producer.latitude is not None and producer.longitude is not None
            else None
        ),
        id=producer.id,
        province_code=producer.province_code,
        ward_code=producer.ward_code,
        story=producer.story or None,
    )


def _safe_link(url: str | None) -> str | None:
    """Only http(s) links reach a page: a stored "javascript:" URL must never become one."""
    if url and url.lower().startswith(("https://", "http://")):
        return quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")
    return None


def facts_json(facts: ProductFacts) -> dict[str, Any]:
    """The JSON API's body: ISO dates, integer VND, absolute URLs."""
    producer = facts.producer
    return {
        "code": facts.code,
        "url": facts.url,
        "chat_url": facts.chat_url,
        "name": facts.name,
        "group": facts.group,
        "subgroup": facts.subgroup,
        "ocop": {
            "stars": facts.stars,
            "certificate_number": facts.cert_number,
            "certificate_date": _iso(facts.cert_date),
            "valid_until": _iso(facts.cert_expiry),
            "expired": facts.cert_expired,
        },
        "reviewed": facts.reviewed,
        "description": facts.description,
        "story": facts.story,
        "price_vnd": facts.price_vnd,
        "unit": facts.unit,
        **{d.key: d.value for d in facts.details if d.shape != Shape.CERTIFICATIONS},
        "gtin": facts.gtin,
        "digital_link": facts.digital_link,
        "photos": [
            {
                "url": p.url,
                "thumbnail_url": p.thumbnail_url,
                "width": p.width,
                "height": p.height,
            }
            for p in facts.photos
        ],
        "certifications": [
            {"kind": c.kind, "number": c.number, "expiry": _iso(c.expiry), "expired": c.expired}
            for c in facts.certifications
        ],
        "listings": [
            {"marketplace": item.marketplace, "name": item.name, "url": item.url}
            for item in facts.listings
        ],
        "producer": {
            "name": producer.name,
            "kind": producer.kind,
            "ward": producer.ward,
            "province": producer.province,
            "address": producer.address,
            "phone": producer.phone,
            "location": (
                {"latitude": producer.latitude, "longitude": producer.longitude}
                if producer.latitude is not None
                else None
            ),
            "map_url": producer.map_url,
        },
    }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None

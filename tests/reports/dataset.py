"""A small, known dataset across two provinces, with the KPI figures it must give.

Province A is Thái Nguyên (19), communes Tân Cương and another; province B
is Hà Nội (1). Dates are relative to the test clock's day in Vietnam.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import places
from storage.models import Listing, Photo, Producer
from storage.products import create_product
from tests.helpers import PRODUCER_FIELDS, PRODUCT_COLUMNS

PROVINCE_A, PROVINCE_B = 19, 1
WARD_A1 = 5503  # Xã Tân Cương
WARD_A2 = next(w.code for w in places.wards(PROVINCE_A) if w.code != WARD_A1)
WARD_B = places.wards(PROVINCE_B)[0].code
TODAY = dt.date(2026, 11, 23)  # the test clock's day in Vietnam
LABELLED_AT = dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC)


@dataclass
class Dataset:
    producers: dict[str, int] = field(default_factory=dict)  # key → id
    products: dict[str, str] = field(default_factory=dict)  # key → product code


async def _producer(session: AsyncSession, name: str, province: int, ward: int) -> Producer:
    fields = dict(PRODUCER_FIELDS, name=name, province_code=province, ward_code=ward)
    producer = Producer(name_folded=name.lower(), **fields)
    session.add(producer)
    await session.flush()
    return producer


async def _product(
    session: AsyncSession,
    producer: Producer,
    *,
    photos: int = 0,
    listings: dict[str, str] | None = None,
    labelled: bool = False,
    **columns: Any,
) -> str:
    product = await create_product(session, producer.id, {**PRODUCT_COLUMNS, **columns}, [])
    if labelled:
        product.labelled_at = LABELLED_AT
    for index in range(photos):
        digest = hashlib.sha256(f"{product.code}-{index}".encode()).hexdigest()
        mime = "image/png" if index == 1 else "image/jpeg"
        session.add(
            Photo(
                product_id=product.id,
                sha256=digest,
                mime=mime,
                width=1000,
                height=800,
                size_bytes=1000,
                position=index,
            )
        )
    for marketplace, status in (listings or {}).items():
        session.add(Listing(product_id=product.id, marketplace=marketplace, status=status))
    await session.flush()
    return product.code


def _days(count: int) -> dt.date:
    return TODAY + dt.timedelta(days=count)


async def build(session: AsyncSession) -> Dataset:
    data = Dataset()
    a1 = await _producer(session, "HTX Chè Tân Cương", PROVINCE_A, WARD_A1)
    a2 = await _producer(session, "Cơ sở Thảo mộc Đồng Hỷ", PROVINCE_A, WARD_A2)
    a3 = await _producer(session, "Tổ hợp tác Mây tre", PROVINCE_A, WARD_A2)
    b1 = await _producer(session, "HTX Trà Hà Nội", PROVINCE_B, WARD_B)
    data.producers = {"a1": a1.id, "a2": a2.id, "a3": a3.id, "b1": b1.id}
    data.products["tea"] = await _product(
        session,
        a1,
        name="Chè búp Tân Cương đặc biệt",
        stars=4,
        cert_number="1234/QĐ-UBND",
        cert_expiry=_days(30),
        photos=3,
        labelled=True,
        listings={"shopee": "live", "lazada": "preparing"},
    )
    data.products["wine"] = await _product(
        session,
        a1,
        name="Rượu men lá",
        group="beverages",
        subgroup="alcoholic",
        stars=3,
        cert_expiry=_days(200),
        photos=1,
        listings={"shopee": "submitted"},
    )
    data.products["snack"] = await _product(
        session,
        a1,
        name='=HYPERLINK("http://x")',  # a formula-looking name must stay text
        subgroup="processed",
        photos=3,
        labelled=True,
        listings={"voso": "live"},
    )
    data.products["soap"] = await _product(
        session,
        a2,
        name="Xà phòng sả chanh",
        group="herbal",
        subgroup="herbal_cosmetics",
        stars=5,
        cert_expiry=_days(-1),
        photos=4,
        labelled=True,
        listings={"lazada": "live", "postmart": "live"},
    )
    data.products["basket"] = await _product(
        session,
        a2,
        name="Giỏ mây đan tay",
        group="handicrafts",
        subgroup="crafts_household",
        stars=2,
        cert_expiry=_days(90),  # the last day of the window counts
        price_vnd=None,
        package_weight_g=None,
        length_mm=None,
        width_mm=None,
        height_mm=None,
    )
    data.products["hanoi_tea"] = await _product(
        session,
        b1,
        name="Trà sen Tây Hồ",
        stars=4,
        cert_expiry=_days(10),
        photos=3,
        labelled=True,
        listings={"shopee": "live"},
    )
    return data

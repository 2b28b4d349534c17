"""Web fixtures: the origin app in-process on aiohttp's TestServer, with seeded products.

`site` serves the app on the test's database (SQLite and PostgreSQL) with
the page cache off, so a test sees every change it makes at once; the
settings' public URL is the server's own address, so the links on a page
work from a browser as they would in production.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from bot.labels.serials import new_serials
from bot.runtime import Runtime
from bot.web import create_app
from storage.models import Certification, Listing, Photo, Producer, Product, Scan, Stamp
from storage.stamps import create_batch
from testkit.webhook_processes import free_port
from tests.conftest import Clock

PRODUCER: dict[str, Any] = {
    "name": "HTX Chè Tân Cương Xanh",
    "name_folded": "htx che tan cuong xanh",
    "kind": "cooperative",
    "representative": "Nguyễn Thị Hoa",
    "phone": "+84912345678",
    "province_code": 19,
    "ward_code": 5503,
    "address": "Xóm Hồng Thái 2",
    "latitude": 21.5942,
    "longitude": 105.7675,
    "tax_code": None,
    "show_phone": False,
}

PRODUCT: dict[str, Any] = {
    "code": "7K3M9P",
    "name": "Chè búp Tân Cương",
    "name_folded": "che bup tan cuong",
    "group": "food",
    "subgroup": "tea",
    "stars": 4,
    "cert_number": "1234/QĐ-UBND",
    "cert_date": dt.date(2022, 3, 15),
    "cert_expiry": dt.date(2025, 3, 15),  # expired by the test clock's 23/11/2026
    "description": "Chè búp một tôm hai lá, sao tay.",
    "story": "Ba thế hệ làm chè bên hồ Núi Cốc.",
    "price_vnd": 125_000,
    "unit": "hộp",
    "net_amount": 200,
    "net_unit": "g",
    "shelf_life": "P12M",
    "ingredients": "100% búp chè",
    "growing_area_code": "VN-TNTC-0012",
    "gtin": "8930000000019",
    "review_status": "approved",
}


@dataclass
class Site:
    runtime: Runtime
    clock: Clock
    client: TestClient[Any, Any]
    url: str

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str, Any]:
        response = await self.client.get(path, **kwargs)
        return response.status, await response.text(), response

    async def stored(self) -> dict[str, Any]:
        """Everything a request could change: scan counts and rows, per table counts."""
        async with self.runtime.db.transaction() as session:
            stamps = (await session.execute(select(Stamp.serial, Stamp.scan_count))).all()
            scans = await session.scalar(select(func.count()).select_from(Scan))
            products = await session.scalar(select(func.count()).select_from(Product))
        return {"stamps": sorted(map(tuple, stamps)), "scans": scans, "products": products}


@dataclass
class Seeded:
    product_id: int
    code: str
    serials: list[str] = field(default_factory=list)


@pytest.fixture
async def site(runtime: Runtime, clock: Clock) -> AsyncIterator[Site]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = dataclasses.replace(runtime.settings, public_url=url)
    app = create_app(
        settings, runtime.db, runtime.app.catalogs, runtime.app.media, clock, cache_seconds=0
    )
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1", port=port))
    await client.start_server()
    try:
        yield Site(runtime, clock, client, url)
    finally:
        await client.close()


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (800, 600)) -> bytes:
    """A photo-like JPEG: a coloured field with a darker band, so it is not one colour."""
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    dark = tuple(max(0, c - 70) for c in color)
    draw.rectangle((0, size[1] * 2 // 3, size[0], size[1]), fill=dark)
    draw.ellipse(
        (size[0] // 3, size[1] // 5, size[0] * 2 // 3, size[1] * 3 // 5), fill=(250, 250, 240)
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


async def seed(
    runtime: Runtime,
    *,
    producer: dict[str, Any] | None = None,
    product: dict[str, Any] | None = None,
    photos: int = 0,
    certifications: tuple[tuple[str, str, dt.date | None], ...] = (),
    listings: tuple[tuple[str, str, str | None], ...] = (),
    stamps: int = 0,
) -> Seeded:
    """A producer and one product straight into the database, with optional extras."""
    colors = [(60, 140, 80), (180, 120, 60), (70, 110, 170), (160, 60, 90)]
    infos = [await runtime.app.media.store_async(jpeg(colors[i % 4])) for i in range(photos)]
    async with runtime.db.transaction() as session:
        owner = Producer(**{**PRODUCER, **(producer or {})})
        session.add(owner)
        await session.flush()
        item = Product(producer_id=owner.id, **{**PRODUCT, **(product or {})})
        session.add(item)
        await session.flush()
        for position, info in enumerate(infos):
            session.add(
                Photo(
                    product_id=item.id,
                    sha256=info.sha256,
                    mime=info.mime,
                    width=info.width,
                    height=info.height,
                    size_bytes=info.size,
                    position=position,
                )
            )
        for kind, number, expiry in certifications:
            session.add(Certification(product_id=item.id, kind=kind, number=number, expiry=expiry))
        for marketplace, status, url in listings:
            session.add(
                Listing(product_id=item.id, marketplace=marketplace, status=status, url=url)
            )
        serials = new_serials(stamps) if stamps else []
        if stamps:
            await create_batch(
                session, item, "LOT-2026-11", dt.date(2026, 11, 1), dt.date(2027, 11, 1), serials
            )
        return Seeded(item.id, item.code, serials)

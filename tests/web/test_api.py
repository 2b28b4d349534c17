"""GET /api/v1/products/{code}: the page's facts as JSON."""

from __future__ import annotations

import datetime as dt

from tests.web.conftest import Site, seed


async def test_product_json(site: Site) -> None:
    await seed(
        site.runtime,
        photos=1,
        certifications=(("vietgap", "VG-001", dt.date(2027, 1, 1)),),
        listings=(("shopee", "live", "https://shopee.vn/x"), ("lazada", "paused", None)),
    )
    response = await site.client.get("/api/v1/products/7k3m9p")
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = await response.json()
    assert data["code"] == "7K3M9P"
    assert data["url"] == f"{site.url}/p/7K3M9P"
    assert data["chat_url"] == "https://t.me/ocop_assistant_bot?start=p_7K3M9P"
    assert data["name"] == "Chè búp Tân Cương"
    assert data["ocop"] == {
        "stars": 4,
        "certificate_number": "1234/QĐ-UBND",
        "certificate_date": "2022-03-15",
        "valid_until": "2025-03-15",
        "expired": True,
    }
    assert data["price_vnd"] == 125_000 and isinstance(data["price_vnd"], int)
    assert data["shelf_life"] == "P12M"
    assert data["net"] == {"amount": 200, "unit": "g"}
    assert data["growing_area_code"] == "VN-TNTC-0012"
    assert data["gtin"] == "8930000000019"
    assert data["digital_link"] == f"{site.url}/01/08930000000019"
    assert data["group"] == "food" and data["subgroup"] == "tea"
    assert data["certifications"] == [
        {"kind": "vietgap", "number": "VG-001", "expiry": "2027-01-01", "expired": False}
    ]
    assert data["listings"] == [
        {"marketplace": "shopee", "name": "Shopee", "url": "https://shopee.vn/x"}
    ]
    [photo] = data["photos"]
    assert photo["url"].startswith(f"{site.url}/media/") and photo["width"] == 800
    assert photo["thumbnail_url"].startswith(f"{site.url}/media/thumbs/")
    producer = data["producer"]
    assert producer["name"] == "HTX Chè Tân Cương Xanh"
    assert producer["ward"] == "Xã Tân Cương" and producer["province"] == "Thái Nguyên"
    assert producer["phone"] is None  # show_phone is off
    assert producer["location"] == {"latitude": 21.5942, "longitude": 105.7675}
    assert producer["map_url"].startswith("https://www.openstreetmap.org/?mlat=21.594200")


async def test_phone_in_json_only_when_shown(site: Site) -> None:
    await seed(site.runtime, producer={"show_phone": True})
    data = await (await site.client.get("/api/v1/products/7K3M9P")).json()
    assert data["producer"]["phone"] == "+84912345678"


async def test_json_etag_and_not_modified(site: Site) -> None:
    await seed(site.runtime)
    response = await site.client.get("/api/v1/products/7K3M9P")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    etag = response.headers["ETag"]
    again = await site.client.get("/api/v1/products/7K3M9P", headers={"If-None-Match": etag})
    assert again.status == 304 and again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"

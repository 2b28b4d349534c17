"""The origin page /p/{code}: what a consumer reads, in Vietnamese and English."""

from __future__ import annotations

import datetime as dt
import re

from tests.web.conftest import Site, seed

FULL = {
    "photos": 2,
    "certifications": (("vietgap", "VG-001", dt.date(2027, 1, 1)), ("haccp", "H-9", None)),
    "listings": (
        ("shopee", "live", "https://shopee.vn/che-tan-cuong"),
        ("postmart", "live", "https://postmart.vn/p/1"),
        ("lazada", "paused", "https://lazada.vn/paused"),
        ("voso", "submitted", None),
    ),
}


async def test_vietnamese_page_by_default(site: Site) -> None:
    await seed(site.runtime, **FULL)
    status, html, response = await site.get("/p/7K3M9P")
    assert status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Language"] == "vi"
    assert '<html lang="vi">' in html
    assert "Chè búp Tân Cương" in html
    assert "OCOP 4 sao" in html
    assert "★★★★" in html
    assert "1234/QĐ-UBND" in html and "15/03/2022" in html
    assert "Hết hiệu lực" in html and "hết hiệu lực từ 15/03/2025" in html
    assert "Thực phẩm" in html and "Chè và sản phẩm từ chè" in html
    assert "125.000" in html and "₫" in html and "/ hộp" in html
    assert "12 tháng" in html
    assert "VN-TNTC-0012" in html
    assert "VietGAP" in html and "VG-001" in html and "HACCP" in html
    assert "HTX Chè Tân Cương Xanh" in html and "Hợp tác xã (HTX)" in html
    assert "Xã Tân Cương, Thái Nguyên" in html
    assert "Câu chuyện sản phẩm" in html and "Ba thế hệ làm chè" in html
    assert "Mua ở đâu" in html


async def test_english_by_query_and_by_accept_language(site: Site) -> None:
    await seed(site.runtime, **FULL)
    _, by_query, response = await site.get("/p/7K3M9P?lang=en")
    assert response.headers["Content-Language"] == "en"
    _, by_header, _ = await site.get(
        "/p/7K3M9P", headers={"Accept-Language": "en-US,en;q=0.9,vi;q=0.5"}
    )
    for html in (by_query, by_header):
        assert '<html lang="en">' in html
        assert "4-star OCOP" in html
        assert "Expired" in html and "expired on 15/03/2025" in html
        assert "Where to buy" in html and "Food" in html
        assert "12 months" in html
    # ?lang= wins over the header; an unknown language falls back to Vietnamese.
    _, html, _ = await site.get("/p/7K3M9P?lang=vi", headers={"Accept-Language": "en"})
    assert '<html lang="vi">' in html
    _, html, _ = await site.get("/p/7K3M9P", headers={"Accept-Language": "fr, de;q=0.8"})
    assert '<html lang="vi">' in html
    _, html, _ = await site.get("/p/7K3M9P", headers={"Accept-Language": "vi;q=0.2, en;q=0.8"})
    assert '<html lang="en">' in html


async def test_valid_certificate_is_not_marked_expired(site: Site) -> None:
    await seed(site.runtime, product={"cert_expiry": dt.date(2026, 11, 23)})  # today in Vietnam
    _, html, _ = await site.get("/p/7K3M9P")
    assert "Còn hiệu lực" in html and "có hiệu lực đến 23/11/2026" in html
    assert "Hết hiệu lực" not in html


async def test_expiry_follows_the_date_in_vietnam(site: Site) -> None:
    await seed(site.runtime, product={"cert_expiry": dt.date(2026, 11, 23)})
    site.clock.now = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)  # 00:00 on the 24th there
    _, html, _ = await site.get("/p/7K3M9P")
    assert "Hết hiệu lực" in html


async def test_code_is_case_insensitive(site: Site) -> None:
    await seed(site.runtime)
    for path in ("/p/7k3m9p", "/p/7K3-M9P", "/p/7k3-m9P"):
        status, html, _ = await site.get(path)
        assert status == 200, path
        assert f'<link rel="canonical" href="{site.url}/p/7K3M9P">' in html


async def test_phone_only_when_the_producer_shows_it(site: Site) -> None:
    await seed(site.runtime)
    _, hidden, _ = await site.get("/p/7K3M9P")
    assert "+84912345678" not in hidden and "tel:" not in hidden
    await seed(
        site.runtime,
        producer={"show_phone": True, "phone": "+84987654321"},
        product={"code": "AB2CD3"},
    )
    _, shown, _ = await site.get("/p/AB2CD3")
    assert 'href="tel:+84987654321"' in shown and "Gọi +84987654321" in shown


async def test_only_live_listings_with_their_links(site: Site) -> None:
    await seed(site.runtime, **FULL)
    _, html, _ = await site.get("/p/7K3M9P")
    buy = html[html.index('id="buy"') : html.index('id="producer"')]
    assert 'href="https://shopee.vn/che-tan-cuong"' in buy and "Shopee" in buy
    assert 'href="https://postmart.vn/p/1"' in buy and "Postmart" in buy
    assert "Lazada" not in buy and "lazada.vn" not in buy and "Voso" not in buy


async def test_no_listings_says_so(site: Site) -> None:
    await seed(site.runtime)
    _, html, _ = await site.get("/p/7K3M9P")
    assert "chưa bán trên sàn thương mại điện tử" in html


async def test_unsafe_listing_url_is_not_a_link(site: Site) -> None:
    await seed(site.runtime, listings=(("shopee", "live", "javascript:alert(1)"),))
    _, html, _ = await site.get("/p/7K3M9P")
    assert "javascript:" not in html
    assert "Shopee" in html


async def test_chat_deep_link_and_map(site: Site) -> None:
    await seed(site.runtime)
    _, html, _ = await site.get("/p/7K3M9P")
    assert 'href="https://t.me/ocop_assistant_bot?start=p_7K3M9P"' in html
    assert "https://www.openstreetmap.org/?mlat=21.594200&amp;mlon=105.767500" in html


async def test_no_map_without_coordinates(site: Site) -> None:
    await seed(site.runtime, producer={"latitude": None, "longitude": None})
    _, html, _ = await site.get("/p/7K3M9P")
    assert "openstreetmap" not in html


async def test_photos_cover_and_gallery_from_the_public_url(site: Site) -> None:
    await seed(site.runtime, photos=2)
    _, html, _ = await site.get("/p/7K3M9P")
    cover = re.search(r'<img class="cover" src="([^"]+)"', html)
    assert cover and cover[1].startswith(f"{site.url}/media/") and cover[1].endswith(".jpg")
    thumbs = re.findall(rf'src="({re.escape(site.url)}/media/thumbs/[0-9a-f]{{64}}\.jpg)"', html)
    assert len(thumbs) == 2
    response = await site.client.get(cover[1].removeprefix(site.url))
    assert response.status == 200 and response.content_type == "image/jpeg"


async def test_without_photos_a_placeholder(site: Site) -> None:
    await seed(site.runtime)
    _, html, _ = await site.get("/p/7K3M9P")
    assert 'class="cover"' not in html and "Chưa có ảnh sản phẩm" in html


async def test_text_is_escaped(site: Site) -> None:
    await seed(site.runtime, product={"name": "<script>alert(1)</script> Chè", "story": "a & b"})
    _, html, _ = await site.get("/p/7K3M9P")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Chè" in html and "a &amp; b" in html


async def test_unreviewed_product_says_so_and_draft_is_hidden(site: Site) -> None:
    await seed(site.runtime, product={"review_status": "pending"})
    _, html, _ = await site.get("/p/7K3M9P")
    assert "đang chờ cán bộ xác nhận" in html
    await seed(site.runtime, product={"code": "AB2CD3", "review_status": "draft"})
    status, _, _ = await site.get("/p/AB2CD3")
    assert status == 404


async def test_page_headers(site: Site) -> None:
    await seed(site.runtime)
    _, _, response = await site.get("/p/7K3M9P")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Vary"] == "Accept-Language"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Content-Language"] == "vi"
    etag = response.headers["ETag"]
    again = await site.client.get("/p/7K3M9P", headers={"If-None-Match": etag})
    assert again.status == 304 and again.headers["ETag"] == etag
    assert "Content-Type" not in again.headers
    _, _, english = await site.get("/p/7K3M9P?lang=en")
    assert english.headers["ETag"] != etag and english.headers["Content-Language"] == "en"
    changed = await site.client.get("/p/7K3M9P", headers={"If-None-Match": '"other"'})
    assert changed.status == 200

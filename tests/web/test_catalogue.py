"""The public catalogue, producer pages, map data, province overviews and SEO files,
as a consumer's browser, a link preview or a search engine reads them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import re
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.runtime import Runtime
from bot.web import create_app
from bot.web.state import STATE
from storage.models import Product, Training
from testkit.webhook_processes import free_port
from tests.conftest import Clock
from tests.web.conftest import Site, seed

TAY_NINH, TRANG_BANG = 80, 25708
THAI_NGUYEN, TAN_CUONG = 19, 5503
RICE = {"province_code": TAY_NINH, "ward_code": TRANG_BANG, "latitude": 11.03, "longitude": 106.36}


async def seed_catalogue(runtime: Runtime) -> dict[str, int]:
    """Tea (Thái Nguyên, 4★, on Shopee, located), three rice papers (Tây Ninh), a pending
    product and a producer without a location; returns producer ids by short name."""
    tea = await seed(runtime, photos=1, listings=(("shopee", "live", "https://shopee.vn/x"),))
    rice = await seed(
        runtime,
        producer={
            "name": "Cơ sở Bánh tráng Cô Ba",
            "name_folded": "co so banh trang co ba",
            **RICE,
        },
        product={
            "code": "BT5AAA",
            "name": "Bánh tráng phơi sương",
            "name_folded": "banh trang phoi suong",
            "stars": 5,
            "gtin": None,
        },
        listings=(("postmart", "live", "https://postmart.vn/bt"),),
    )
    async with runtime.db.transaction() as session:
        owner = await session.get(Product, rice.product_id)
        assert owner is not None
        for code, name, stars in (
            ("BT3AAA", "Bánh tráng nướng mè", 3),
            ("BT0AAA", "Bánh tráng dẻo", None),
        ):
            session.add(
                Product(
                    producer_id=owner.producer_id,
                    code=code,
                    name=name,
                    name_folded=name.lower(),
                    group="food",
                    subgroup="processed",
                    stars=stars,
                    review_status="approved",
                )
            )
        session.add(
            Product(
                producer_id=owner.producer_id,
                code="PENDNG",
                name="Bánh tráng chưa duyệt",
                name_folded="banh trang chua duyet",
                group="food",
                subgroup="processed",
                review_status="pending",
            )
        )
    crafts = await seed(
        runtime,
        producer={
            "name": "HTX Mây tre đan",
            "name_folded": "htx may tre dan",
            "latitude": None,
            "longitude": None,
            "show_phone": True,
        },
        product={
            "code": "MT3AAA",
            "name": "Giỏ mây",
            "name_folded": "gio may",
            "group": "handicrafts",
            "subgroup": "crafts_household",
            "stars": 3,
            "gtin": None,
        },
    )
    async with runtime.db.transaction() as session:
        ids = {}
        for name, seeded in (("tea", tea), ("rice", rice), ("crafts", crafts)):
            product = await session.get(Product, seeded.product_id)
            assert product is not None
            ids[name] = product.producer_id
    return ids


def names_on(html: str) -> list[str]:
    return re.findall(r'<h2><a href="[^"]*">([^<]*)</a></h2>', html)


async def test_catalogue_lists_approved_products_by_stars_then_name(site: Site) -> None:
    ids = await seed_catalogue(site.runtime)
    status, html, response = await site.get("/san-pham")
    assert status == 200 and response.headers["Content-Language"] == "vi"
    assert names_on(html) == [
        "Bánh tráng phơi sương",
        "Chè búp Tân Cương",
        "Bánh tráng nướng mè",
        "Giỏ mây",
        "Bánh tráng dẻo",
    ]
    assert "Bánh tráng chưa duyệt" not in html  # not approved yet
    assert "5 sản phẩm" in html
    # A card: photo, stars, producer (linked), place, where to buy.
    assert "/media/thumbs/" in html
    assert f'href="/nha-san-xuat/{ids["tea"]}"' in html
    assert "Xã Tân Cương, Thái Nguyên" in html
    assert "Bán trên: Shopee" in html and "Bán trên: Postmart" in html
    # The English alias is the same page; ?lang=en speaks English and keeps lang in links.
    _, english, response = await site.get("/products?lang=en")
    assert response.headers["Content-Language"] == "en"
    assert "5 products" in english and "Sold on: Shopee" in english
    assert f'href="/nha-san-xuat/{ids["tea"]}?lang=en"' in english


async def test_search_folds_diacritics(site: Site) -> None:
    await seed_catalogue(site.runtime)
    _, html, _ = await site.get("/san-pham?q=banh+trang")
    assert names_on(html) == ["Bánh tráng phơi sương", "Bánh tráng nướng mè", "Bánh tráng dẻo"]
    _, html, _ = await site.get("/san-pham?q=BÁNH TRÁNG MÈ")
    assert names_on(html) == ["Bánh tráng nướng mè"]
    _, html, _ = await site.get("/san-pham?q=co+ba")  # the producer's name counts too
    assert len(names_on(html)) == 3
    _, html, _ = await site.get("/san-pham?q=xyzxyz")
    assert names_on(html) == [] and "Không có sản phẩm nào khớp" in html


async def test_filters_combine_and_the_url_carries_them(site: Site) -> None:
    await seed_catalogue(site.runtime)
    _, html, _ = await site.get(f"/san-pham?province={TAY_NINH}")
    assert len(names_on(html)) == 3
    assert f'<option value="{TAY_NINH}" selected>Tây Ninh</option>' in html
    assert f'<option value="{TRANG_BANG}">Phường Trảng Bàng</option>' in html  # communes offered
    _, html, _ = await site.get(f"/san-pham?province={TAY_NINH}&commune={TRANG_BANG}&stars=4")
    assert names_on(html) == ["Bánh tráng phơi sương"]
    _, html, _ = await site.get("/san-pham?group=handicrafts")
    assert names_on(html) == ["Giỏ mây"]
    _, html, _ = await site.get("/san-pham?market=shopee")
    assert names_on(html) == ["Chè búp Tân Cương"]
    _, html, _ = await site.get("/san-pham?stars=3&q=banh")
    assert names_on(html) == ["Bánh tráng phơi sương", "Bánh tráng nướng mè"]
    assert 'value="3" selected' in html and 'value="banh"' in html


async def test_unknown_filter_values_are_ignored_and_said_so(site: Site) -> None:
    await seed_catalogue(site.runtime)
    _, html, _ = await site.get(
        "/san-pham?province=999&group=weapons&stars=9&market=amazon&commune=abc"
    )
    assert len(names_on(html)) == 5  # nothing filtered
    note = re.search(r'<p class="note ignored"[^>]*>([^<]*)</p>', html)
    assert note is not None
    for label in ("Tỉnh/thành", "Xã/phường", "Nhóm sản phẩm", "Hạng sao", "Bán trên sàn"):
        assert label in note[1]
    # A commune outside the chosen province is not applied either.
    _, html, _ = await site.get(f"/san-pham?province={THAI_NGUYEN}&commune={TRANG_BANG}")
    assert names_on(html) == ["Chè búp Tân Cương", "Giỏ mây"]
    assert "Xã/phường" in html.split('class="note ignored"')[1][:200]
    _, html, _ = await site.get("/san-pham?stars=4")
    assert 'class="note ignored"' not in html


async def test_paging_and_a_page_past_the_end(runtime: Runtime, clock: Clock) -> None:
    await seed_catalogue(runtime)
    async with small_pages(runtime, clock) as client:
        html = await (await client.get("/san-pham?page=2")).text()
        assert names_on(html) == ["Bánh tráng nướng mè", "Giỏ mây"]
        assert 'rel="prev" href="/san-pham"' in html
        assert 'rel="next" href="/san-pham?page=3"' in html
        for past in ("/san-pham?page=99", "/san-pham?page=999999999"):
            html = await (await client.get(past)).text()
            assert names_on(html) == ["Bánh tráng dẻo"], past  # the last page
            assert "trang 3/3" in html
        html = await (await client.get("/san-pham?page=-1&q=banh")).text()
        assert names_on(html) == ["Bánh tráng phơi sương", "Bánh tráng nướng mè"]
        assert 'rel="next" href="/san-pham?q=banh&amp;page=2"' in html


class small_pages:
    """The app with two products a page and the facts index on (pages kept)."""

    def __init__(self, runtime: Runtime, clock: Clock, **catalogue: Any) -> None:
        settings = runtime.settings
        self.settings = dataclasses.replace(
            settings,
            catalogue=dataclasses.replace(settings.catalogue, page_size=2, **catalogue),
        )
        self.runtime, self.clock = runtime, clock

    async def __aenter__(self) -> TestClient[Any, Any]:
        app = create_app(
            self.settings,
            self.runtime.db,
            self.runtime.app.catalogs,
            self.runtime.app.media,
            self.clock,
            cache_seconds=3600,
            prerender=False,
        )
        self.client: TestClient[Any, Any] = TestClient(TestServer(app, port=free_port()))
        await self.client.start_server()
        index = app[STATE].index
        assert index is not None
        await index.load()
        return self.client

    async def __aexit__(self, *_exc: object) -> None:
        await self.client.close()


async def test_kept_pages_follow_changes_of_the_index(runtime: Runtime, clock: Clock) -> None:
    await seed_catalogue(runtime)
    async with small_pages(runtime, clock) as client:
        first = await client.get("/san-pham?q=gio")
        assert names_on(await first.text()) == ["Giỏ mây"]
        etag = first.headers["ETag"]
        again = await client.get("/san-pham?q=gio", headers={"If-None-Match": etag})
        assert again.status == 304
        async with runtime.db.transaction() as session:
            crafts = await session.scalar(select(Product).where(Product.code == "MT3AAA"))
            assert crafts is not None
            crafts.name = "Giỏ mây xuất khẩu"
        index = client.app[STATE].index  # type: ignore[union-attr]
        await index.refresh()
        html = await (await client.get("/san-pham?q=gio")).text()
        assert names_on(html) == ["Giỏ mây xuất khẩu"]


async def test_text_is_escaped_everywhere_json_ld_included(site: Site) -> None:
    evil = '</script><script>alert("x")</script>&<b>'
    seeded = await seed(
        site.runtime,
        producer={"name": evil, "name_folded": "evil"},
        product={"name": evil, "name_folded": "evil", "story": evil},
    )
    async with site.runtime.db.transaction() as session:
        product = await session.get(Product, seeded.product_id)
        assert product is not None
        producer_id = product.producer_id
    for path in ("/san-pham", f"/nha-san-xuat/{producer_id}", "/ban-do", "/san-pham?q=" + evil):
        _, html, _ = await site.get(path)
        assert "<script>alert" not in html, path
        assert "&lt;/script&gt;&lt;script&gt;alert(" in html or path == "/ban-do", path
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
            json.loads(block)  # the whole block is one JSON value: the name did not end it
    _, html, _ = await site.get(f"/nha-san-xuat/{producer_id}")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block is not None
    assert json.loads(block[1])["name"] == evil
    assert "\\u003c/script\\u003e" in block[1]


async def test_producer_page(site: Site) -> None:
    ids = await seed_catalogue(site.runtime)
    status, html, _ = await site.get(f"/nha-san-xuat/{ids['rice']}")
    assert status == 200
    assert "Cơ sở Bánh tráng Cô Ba" in html
    assert "Phường Trảng Bàng" in html and "Tây Ninh" in html
    assert names_on(html) == ["Bánh tráng phơi sương", "Bánh tráng nướng mè", "Bánh tráng dẻo"]
    assert 'href="/ban-do#15/11.03000/106.36000"' in html  # its place on our map
    assert "tel:" not in html  # the producer did not allow its phone to be shown
    assert '<meta property="og:title" content="Cơ sở Bánh tráng Cô Ba · OCOP 5 sao">' in html
    ld = json.loads(re.findall(r'application/ld\+json">(.*?)</script>', html, re.S)[0])
    assert ld["@type"] == "Organization" and ld["location"]["geo"]["latitude"] == 11.03
    _, crafts, _ = await site.get(f"/producers/{ids['crafts']}?lang=en")
    assert 'href="tel:+84912345678"' in crafts  # allowed
    assert "not on the map yet" in crafts
    for missing in ("/nha-san-xuat/999999", "/nha-san-xuat/abc", "/nha-san-xuat/" + "9" * 30):
        status, _, _ = await site.get(missing)
        assert status == 404, missing


async def test_open_graph_card_for_link_previews(site: Site) -> None:
    await seed_catalogue(site.runtime)
    _, html, _ = await site.get(f"/san-pham?province={THAI_NGUYEN}")
    assert '<meta property="og:title" content="Sản phẩm OCOP · Thái Nguyên">' in html
    image = re.search(r'<meta property="og:image" content="([^"]+)">', html)
    assert image is not None and image[1].startswith(site.url + "/media/")
    assert f'<link rel="canonical" href="{site.url}/san-pham?province={THAI_NGUYEN}">' in html
    ld = json.loads(re.findall(r'application/ld\+json">(.*?)</script>', html, re.S)[0])
    assert ld["@type"] == "ItemList" and ld["itemListElement"][0]["name"] == "Chè búp Tân Cương"


async def test_map_page_and_geojson(site: Site) -> None:
    ids = await seed_catalogue(site.runtime)
    status, html, response = await site.get("/ban-do")
    assert status == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "https://tile.openstreetmap.org" in csp
    assert "2 cơ sở trên bản đồ" in html and "1 cơ sở chưa có vị trí" in html
    assert "/static/vendor/leaflet/leaflet.js?v=" in html and "unpkg" not in html
    assert 'data-geojson="/api/v1/map.geojson"' in html

    response = await site.client.get("/api/v1/map.geojson", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    data = await response.json(content_type=None)
    by_id = {f["properties"]["i"]: f for f in data["features"]}
    assert set(by_id) == {ids["tea"], ids["rice"]}  # crafts shared no location
    assert by_id[ids["rice"]]["geometry"]["coordinates"] == [106.36, 11.03]
    assert by_id[ids["rice"]]["properties"] == {
        "n": "Cơ sở Bánh tráng Cô Ba",
        "i": ids["rice"],
        "s": 5,
        "c": 3,
    }
    # The map's filter bar is the catalogue's; the data follows it.
    _, html, _ = await site.get(f"/ban-do?province={TAY_NINH}&q=banh")
    assert f'data-geojson="/api/v1/map.geojson?q=banh&amp;province={TAY_NINH}"' in html
    response = await site.client.get(f"/api/v1/map.geojson?q=banh&province={TAY_NINH}")
    assert [f["properties"]["i"] for f in (await response.json(content_type=None))["features"]] == [
        ids["rice"]
    ]
    # Unknown filters are ignored, as on the pages; a client without gzip gets plain JSON.
    plain = await site.client.get(
        "/api/v1/map.geojson?group=nothing", headers={"Accept-Encoding": "identity"}
    )
    assert "Content-Encoding" not in plain.headers
    assert len(json.loads(await plain.read())["features"]) == 2
    zipped = await site.client.get("/api/v1/map.geojson", auto_decompress=False)
    assert len(json.loads(gzip.decompress(await zipped.read()))["features"]) == 2


async def test_province_overview_and_its_switch(runtime: Runtime, clock: Clock) -> None:
    await seed_catalogue(runtime)
    async with runtime.db.transaction() as session:
        for days, status in ((-30, "open"), (-3, "open"), (-2, "cancelled"), (5, "open")):
            session.add(
                Training(
                    province_code=TAY_NINH,
                    topic="Bán hàng trên sàn",
                    starts_at=clock.now + dt.timedelta(days=days),
                    capacity=30,
                    status=status,
                )
            )
    async with small_pages(runtime, clock) as client:
        response = await client.get(f"/tinh/{TAY_NINH}")
        html = await response.text()
        assert response.status == 200
        assert "Tây Ninh" in html and "4 sản phẩm OCOP" in html  # the register, pending too
        assert re.search(r"Lớp tập huấn đã tổ chức</dt><dd>2</dd>", html)
        assert re.search(r"đang bán trên sàn TMĐT</dt><dd>50%", html)  # 1 of 2 rated 3★+
        assert "OCOP 5 sao" in html and "Thực phẩm" in html
        english = await (await client.get(f"/provinces/{TAY_NINH}?lang=en")).text()
        assert "Trainings held" in english
        assert (await client.get("/tinh/999")).status == 404
    async with small_pages(runtime, clock, hidden_overviews=(TAY_NINH,)) as client:
        assert (await client.get(f"/tinh/{TAY_NINH}")).status == 404
        sitemap = await (await client.get("/sitemap.xml")).text()
        assert f"/tinh/{TAY_NINH}<" not in sitemap and f"/tinh/{THAI_NGUYEN}<" in sitemap


async def test_sitemap_robots_and_static_files(site: Site) -> None:
    ids = await seed_catalogue(site.runtime)
    status, sitemap, response = await site.get("/sitemap.xml")
    assert status == 200 and response.headers["Content-Type"].startswith("application/xml")
    assert f"<loc>{site.url}/san-pham</loc>" in sitemap
    assert f"<loc>{site.url}/nha-san-xuat/{ids['rice']}</loc>" in sitemap
    assert f"<loc>{site.url}/p/BT5AAA</loc>" in sitemap
    assert "PENDNG" not in sitemap
    _, robots, _ = await site.get("/robots.txt")
    assert "Disallow: /s/" in robots and f"Sitemap: {site.url}/sitemap.xml" in robots
    status, _, response = await site.get("/static/vendor/leaflet/leaflet.js")
    assert status == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["Content-Type"].startswith("text/javascript")
    again = await site.client.get(
        "/static/vendor/leaflet/leaflet.js", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status == 304
    for missing in ("/static/vendor/leaflet/LICENSE", "/static/../app.py", "/static/nope.js"):
        status, _, _ = await site.get(missing)
        assert status == 404, missing


async def test_origin_page_carries_product_json_ld(site: Site) -> None:
    await seed(site.runtime, photos=1, listings=(("shopee", "live", "https://shopee.vn/x"),))
    _, html, _ = await site.get("/p/7K3M9P")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block is not None
    ld = json.loads(block[1])
    assert ld["@type"] == "Product" and ld["name"] == "Chè búp Tân Cương"
    assert ld["gtin13"] == "8930000000019" and ld["image"].startswith(site.url + "/media/")
    assert ld["additionalProperty"]["value"] == 4
    assert ld["offers"][0]["url"] == "https://shopee.vn/x"

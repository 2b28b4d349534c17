"""The catalogue, a filtered list, a producer page and the map in headless Chromium at
360×800, in Vietnamese and English. The map draws its tiles from a stub tile server on
127.0.0.1, so the browser never leaves the machine.

OCOP_SAVE_SCREENSHOTS=1 also writes docs/screenshots/{catalogue,filtered,producer,map}-
{vi,en}.png (the README and docs/catalogue.md show them).
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image, ImageDraw

from bot.core import places
from bot.runtime import Runtime
from bot.web import create_app
from storage.models import Photo, Product
from testkit.webhook_processes import free_port
from tests.conftest import Clock
from tests.helpers import SQLITE_ONLY
from tests.web.conftest import seed
from tests.web.test_browser import SCREENSHOTS, assert_looks_like_a_page, browse, chromium

pytestmark = SQLITE_ONLY

# (producer, province, commune, lat, lon, product, stars, group, subgroup, shop)
ITEMS = [
    (
        "HTX Chè Tân Cương Xanh",
        19,
        5503,
        21.594,
        105.767,
        "Chè búp Tân Cương",
        4,
        "food",
        "tea",
        "shopee",
    ),
    (
        "Cơ sở Bánh tráng Cô Ba",
        80,
        25708,
        11.03,
        106.36,
        "Bánh tráng phơi sương",
        5,
        "food",
        "processed",
        "postmart",
    ),
    (
        "HTX Nước mắm Phú Quốc",
        91,
        None,
        10.22,
        103.96,
        "Nước mắm cốt nhĩ",
        4,
        "food",
        "condiments",
        "lazada",
    ),
    (
        "Làng nghề Mây tre Phú Vinh",
        1,
        None,
        20.93,
        105.66,
        "Giỏ mây đan tay",
        3,
        "handicrafts",
        "crafts_household",
        None,
    ),
    (
        "HTX Cà phê Cầu Đất",
        68,
        None,
        11.85,
        108.56,
        "Cà phê Arabica Cầu Đất",
        5,
        "food",
        "coffee_cocoa",
        "shopee",
    ),
    ("Hộ Lê Văn Tám", 40, None, 18.67, 105.68, "Cam Vinh", 3, "food", "fresh", None),
]
COLORS = [
    (60, 140, 80),
    (200, 160, 90),
    (150, 80, 40),
    (170, 140, 90),
    (90, 60, 40),
    (230, 140, 30),
]


def tile_png() -> bytes:
    """A pale map-like tile with a road, so the map area is visibly drawn."""
    image = Image.new("RGB", (256, 256), (232, 238, 230))
    draw = ImageDraw.Draw(image)
    draw.line((0, 200, 256, 60), fill=(255, 255, 255), width=9)
    draw.line((0, 200, 256, 60), fill=(246, 206, 120), width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass
class Tiles:
    url: str
    requests: int = 0


@pytest.fixture
async def tiles() -> AsyncIterator[Tiles]:
    body = tile_png()
    port = free_port()
    served = Tiles(f"http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png")

    async def tile(_request: web.Request) -> web.Response:
        served.requests += 1
        return web.Response(body=body, content_type="image/png")

    app = web.Application()
    app.router.add_get("/{z}/{x}/{y}.png", tile)
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    yield served
    await server.close()


@pytest.fixture
async def public_site(runtime: Runtime, clock: Clock, tiles: Tiles) -> AsyncIterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = dataclasses.replace(
        runtime.settings,
        public_url=url,
        catalogue=dataclasses.replace(runtime.settings.catalogue, map_tiles_url=tiles.url),
    )
    app = create_app(
        settings, runtime.db, runtime.app.catalogs, runtime.app.media, clock, cache_seconds=0
    )
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1", port=port))
    await client.start_server()
    await seed_items(runtime)
    yield url
    await client.close()


async def seed_items(runtime: Runtime) -> None:
    for n, (producer, province, ward, lat, lon, name, stars, group, subgroup, shop) in enumerate(
        ITEMS
    ):
        wards = places.wards(province)
        seeded = await seed(
            runtime,
            producer={
                "name": producer,
                "name_folded": producer.lower(),
                "province_code": province,
                "ward_code": ward or wards[0].code,
                "latitude": lat,
                "longitude": lon,
            },
            product={
                "code": f"DEMO{n:02d}",
                "name": name,
                "name_folded": name.lower(),
                "stars": stars,
                "group": group,
                "subgroup": subgroup,
                "gtin": None,
            },
            listings=((shop, "live", f"https://{shop}.vn/p/{n}"),) if shop else (),
        )
        info = await runtime.app.media.store_async(photo(COLORS[n]))
        async with runtime.db.transaction() as session:
            product = await session.get(Product, seeded.product_id)
            assert product is not None
            session.add(
                Photo(
                    product_id=product.id,
                    sha256=info.sha256,
                    mime=info.mime,
                    width=info.width,
                    height=info.height,
                    size_bytes=info.size,
                    position=0,
                )
            )


def photo(color: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (640, 640), color)
    draw = ImageDraw.Draw(image)
    draw.ellipse((140, 140, 500, 500), fill=tuple(min(255, c + 60) for c in color))
    draw.rectangle((0, 520, 640, 640), fill=tuple(max(0, c - 50) for c in color))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def keep(png: Path) -> None:
    if os.environ.get("OCOP_SAVE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(png, SCREENSHOTS / png.name)


EXPECTED = {
    "vi": {"catalogue": "6 sản phẩm", "map": "Bản đồ"},
    "en": {"catalogue": "6 products", "map": "Map"},
}


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_catalogue_and_filters_on_a_phone(
    public_site: str, tmp_path: Path, language: str
) -> None:
    chromium()
    lang = f"&lang={language}" if language == "en" else ""
    png = tmp_path / f"catalogue-{language}.png"
    dom = await browse(f"{public_site}/san-pham?{lang[1:]}", language, png, tmp_path / "profile")
    assert f'<html lang="{language}">' in dom
    assert EXPECTED[language]["catalogue"] in dom
    assert dom.index("Bánh tráng phơi sương") < dom.index("Cam Vinh")  # 5★ before 3★
    assert_looks_like_a_page(png)
    keep(png)

    png = tmp_path / f"filtered-{language}.png"
    dom = await browse(
        f"{public_site}/san-pham?q=banh+trang&stars=4{lang}", language, png, tmp_path / "p2"
    )
    assert "Bánh tráng phơi sương" in dom and "Cam Vinh" not in dom
    assert 'value="banh trang"' in dom
    assert_looks_like_a_page(png)
    keep(png)


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_producer_page_on_a_phone(public_site: str, tmp_path: Path, language: str) -> None:
    chromium()
    query = "?lang=en" if language == "en" else ""
    catalogue = await browse(
        f"{public_site}/san-pham{query}", language, tmp_path / "c.png", tmp_path / "p"
    )
    start = catalogue.index("HTX Chè Tân Cương Xanh")
    link = catalogue.rindex('href="/nha-san-xuat/', 0, start)
    path = catalogue[link + 6 : catalogue.index('"', link + 6)].replace("&amp;", "&")
    png = tmp_path / f"producer-{language}.png"
    dom = await browse(f"{public_site}{path}", language, png, tmp_path / "p2")
    assert "HTX Chè Tân Cương Xanh" in dom and "Chè búp Tân Cương" in dom
    assert "Xã Tân Cương" in dom
    assert_looks_like_a_page(png)
    keep(png)


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_map_draws_markers_on_local_tiles(
    public_site: str, tiles: Tiles, tmp_path: Path, language: str
) -> None:
    chromium()
    query = "?lang=en" if language == "en" else ""
    png = tmp_path / f"map-{language}.png"
    dom = await browse(f"{public_site}/ban-do{query}", language, png, tmp_path / "profile")
    assert 'data-markers="6"' in dom  # every located producer came from the GeoJSON
    # Clustered or single, each shows as a Leaflet marker element.
    assert dom.count("leaflet-marker-icon") >= 1
    assert "leaflet-tile-loaded" in dom
    assert tiles.requests > 0  # tiles came from the stub, nowhere else
    assert EXPECTED[language]["map"] in dom
    assert_looks_like_a_page(png)
    keep(png)

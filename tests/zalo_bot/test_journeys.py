"""The journeys on the Zalo Bot Platform, through the real channel over HTTP: a producer
(register, a product, a photo, a label by link), an officer (review), a consumer (code
lookup), a restart in the middle of a flow; numbered menus and /skip carry every step."""

from __future__ import annotations

import io
import re

from PIL import Image

from bot.labels.urls import product_url
from tests.e2e.conftest import picture
from tests.labels.conftest import decode, png_image
from tests.zalo_bot.conftest import ZaloE2E


async def test_producer_registers_adds_a_product_a_photo_and_gets_a_label(zalo: ZaloE2E) -> None:
    hoa = zalo.chat("z1001")
    screen = await hoa.start_in_english()
    assert re.search(r"^1\. ", screen.text, re.MULTILINE), "the main menu is numbered"
    await hoa.register()
    code = await hoa.add_product()

    # --- a photo: Zalo hands the bot a URL; the bot fetches and keeps it
    await hoa.press("📷 Add photos")
    screen = await hoa.photo(picture(1))
    assert "saved" in screen.text, screen
    screen = await hoa.sticker()  # not a photo: the step stays, nothing lost
    assert screen.text, "a sticker gets an answer"
    screen = await hoa.press("✔️ Done")
    product = await _product(zalo, code)
    assert len(product.photos) == 1

    # --- the label: a photo URL served by the web app, and the printable file as a link
    screen = await hoa.send("/label")
    assert "1. 🏷 40x30 mm label (PNG)" in screen.text, screen
    screen = await hoa.press("🏷 40x30 mm label (PNG)")
    photos = [output for output in screen if output["method"] == "sendPhoto"]
    assert len(photos) == 1, screen
    status, data, mime = await zalo.fetch(photos[0]["photo"])
    assert (status, mime) == (200, "image/png")
    assert decode(png_image(data)) == [product_url(zalo.settings.public_url, code)]
    links = re.findall(r"https?://\S+/f/\S+", screen.text)
    assert links, screen
    status, printable, _mime = await zalo.fetch(links[-1])
    assert status == 200
    with Image.open(io.BytesIO(printable)) as image:
        assert image.size == (472, 354)


async def _product(zalo: ZaloE2E, code: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from storage.models import Product

    async with zalo.runtime.db.transaction() as session:
        return await session.scalar(
            select(Product).where(Product.code == code).options(selectinload(Product.photos))
        )

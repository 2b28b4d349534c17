"""The journeys on the Zalo Bot Platform, through the real channel over HTTP: a producer
(register, a product, a photo, a label by link), an officer (review), a consumer (code
lookup), a restart in the middle of a flow; numbered menus and /skip carry every step."""

from __future__ import annotations

import io
import re

from PIL import Image

from bot.labels.urls import product_url
from tests.e2e.conftest import PRODUCT_STEPS_EN, picture, step_index
from tests.labels.conftest import decode, png_image
from tests.zalo_bot.conftest import ADMIN, ZaloE2E


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


async def test_officer_reviews_and_the_producer_is_told_on_zalo(zalo: ZaloE2E) -> None:
    admin = zalo.chat(ADMIN, "Admin")
    await admin.start_in_english()
    await admin.press("🔑 Invite an officer")
    screen = await admin.send("thai nguyen")
    found = re.search(r"\n\n([A-Z0-9]{5}-[A-Z0-9]{5})\n\n", screen.text)
    assert found, screen
    officer = zalo.chat("z7001", "Minh")
    await officer.start_in_english()
    screen = await officer.send(f"/officer {found[1]}")
    assert "You are now an OCOP officer for Thái Nguyên" in screen.text

    hoa = zalo.chat("z1001")
    await hoa.start_in_english()
    await hoa.register()
    code = await hoa.add_product()

    screen = await officer.press("📋 Review products")
    assert "Waiting for review: 1" in screen.text, screen
    await officer.press("1. Chè búp Tân Cương đặc biệt")
    await officer.press("✅ Approve")
    await officer.press("⭐⭐⭐⭐ 4 stars")
    await zalo.restart()  # a redeploy in the middle of the approval loses nothing
    await officer.send("1234/QĐ-UBND")
    screen = await officer.send("20/05/2024")
    assert "valid until 20/05/2027" in screen.text, screen
    screen = await officer.press("💾 Save")
    assert screen.texts[0].startswith("✅ “Chè búp Tân Cương đặc biệt”"), screen

    assert await zalo.deliver() == 1  # the notice leaves through the outbox, on Zalo
    notice = zalo.api.take_new(hoa.id)
    assert [n["text"] for n in notice] == [
        f"✅ Your product “Chè búp Tân Cương đặc biệt” ({code}) has been approved by the OCOP "
        "officer.\nRating: ⭐⭐⭐⭐ OCOP 4 stars · decision 1234/QĐ-UBND, valid until 20/05/2027."
        "\n\n1. 📦 View product"  # the notice's button, as a numbered entry
    ]


async def test_consumer_looks_a_code_up(zalo: ZaloE2E) -> None:
    hoa = zalo.chat("z1001")
    await hoa.start_in_english()
    await hoa.register()
    code = await hoa.add_product()
    lan = zalo.chat("z2002", "Lan")
    await lan.start_in_english()
    screen = await lan.send(code)
    assert "Chè búp Tân Cương đặc biệt" in screen.text, screen
    assert product_url(zalo.settings.public_url, code) in screen.text


async def test_restart_in_the_middle_of_a_flow_keeps_every_answer(zalo: ZaloE2E) -> None:
    hoa = zalo.chat("z1001")
    await hoa.start_in_english()
    await hoa.register()
    await hoa.press("➕ New product")
    stop = step_index("125.000")
    await hoa.walk([("send", "Chè búp Tân Cương đặc biệt", "Which product group?")])
    await hoa.walk(PRODUCT_STEPS_EN[1:stop])
    await zalo.restart()
    screen = await hoa.walk(PRODUCT_STEPS_EN[stop:])
    assert "is saved" in screen.text


async def test_a_long_text_arrives_in_pieces_of_at_most_2000_characters(zalo: ZaloE2E) -> None:
    hoa = zalo.chat("z1001")
    await hoa.start_in_english()
    await hoa.register()
    await hoa.press("➕ New product")
    steps = PRODUCT_STEPS_EN[: step_index("Chè búp một tôm hai lá, sao tay trên chảo gang.")]
    await hoa.walk([("send", "Chè búp Tân Cương đặc biệt", "Which product group?"), *steps[1:]])
    sentence = "Chè búp một tôm hai lá, sao tay trên chảo gang, thơm cốm. "
    long = (sentence * 60)[:2990].strip()
    screen = await hoa.send(long)
    assert "The product's story" in screen.text
    rest = PRODUCT_STEPS_EN[step_index("Ba thế hệ làm chè trên đồi Tân Cương.") : -1]
    screen = await hoa.walk(rest)  # the summary holds the 2,990-character description
    assert len(screen) >= 2 and all(len(text) <= 2000 for text in screen.texts), screen
    joined = " ".join(screen.texts)
    assert long[:1500] in " ".join(joined.split())  # words whole, in order

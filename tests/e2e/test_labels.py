"""Labels and stamps end to end: what a producer gets from /label through the fake Bot API,
every QR code in it decoded and followed to the running web app, and bad input refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from sqlalchemy import func, select

from bot.channels import telegram
from bot.core.context import Context
from bot.core.types import Incoming, Reply
from bot.handlers.routes import Router
from bot.labels.serials import format_serial
from bot.labels.urls import product_url, stamp_url
from bot.web import create_app
from storage.models import Conversation, Product, Stamp, StampBatch
from storage.producers import save_producer
from storage.products import create_product
from storage.stamps import as_utc
from storage.users import get_or_create_user
from tests.e2e.conftest import E2E, PRODUCT_NAME, Chat, Output, Screen
from tests.helpers import PRODUCER_FIELDS, PRODUCT_COLUMNS
from tests.labels.conftest import decode, pdf_pages, png_image

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36"
)
LABEL_BUTTONS = [
    "🏷 40x30 mm label (PNG)",
    "🏷 50x50 mm label (PNG)",
    "📄 A4 sheet 3x8 (24 labels)",
    "📄 A4 sheet 4x10 (40 labels)",
    "🔖 Serial anti-counterfeit stamps",
    "◀️ Back",
]
FLOW_NAV = ["◀️ Back", "🕓 Later", "✖️ Cancel"]
ASK_COUNT = "How many stamps? (1 to 10,000)"
COUNT_RANGE = "The number of stamps must be from 1 to 10,000."
NOT_FOUND = "That product was not found."


# --- reading what the producer got ----------------------------------------------


def png_codes(data: bytes) -> list[str]:
    image = png_image(data)
    assert image.format == "PNG"
    return decode(image)


def pdf_page_codes(data: bytes) -> list[list[str]]:
    """The QR codes of each page of the PDF, rasterised at 200 dpi as a print would be."""
    assert data.startswith(b"%PDF-")
    return [decode(page) for page in pdf_pages(data)]


def label_screen_text(code: str) -> str:
    grouped = f"{code[:3]}-{code[3:]}"
    return (
        f"QR labels for “{PRODUCT_NAME}” (code {grouped}). Buyers who scan it see where the "
        "product comes from. Choose a label:"
    )


def methods(screen: Screen) -> list[str]:
    return [output["method"] for output in screen]


# --- the web app the codes point at ------------------------------------------------


class Web:
    """The origin web app in-process on the bot's own database, catalogs and media."""

    def __init__(self, bot: E2E, client: TestClient[Any, Any]) -> None:
        self.public_url = bot.settings.public_url
        self.client = client

    async def follow(self, url: str) -> tuple[int, str]:
        """Opens a decoded URL as a phone would: its path, on the test server."""
        assert url.startswith(self.public_url + "/"), url
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = await self.client.get(
            path, headers={"User-Agent": PHONE, "Accept": "text/html", "Accept-Language": "en"}
        )
        return response.status, await response.text()


@asynccontextmanager
async def web_app(bot: E2E) -> AsyncIterator[Web]:
    runtime = bot.runtime
    app = create_app(
        # One phone follows 60 stamp links in a test's minute: no per-address limit.
        dataclasses.replace(bot.settings, stamp_checks_per_minute=0),
        runtime.db,
        runtime.app.catalogs,
        runtime.app.media,
        bot.clock,
        cache_seconds=0,
    )
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield Web(bot, client)
    finally:
        await client.close()


# --- seeding and database reads ------------------------------------------------------


async def producer_with_product(
    bot: E2E, user_id: int, farm: str, product: str = PRODUCT_NAME
) -> tuple[Chat, int, str]:
    """A user who chose English, with a producer profile and one product stored directly."""
    chat = bot.chat(user_id)
    await chat.start_in_english()
    async with bot.runtime.db.transaction() as session:
        user = await get_or_create_user(session, "telegram", str(user_id), "Hoa")
        owner = await save_producer(session, user.id, {**PRODUCER_FIELDS, "name": farm})
        item = await create_product(
            session, owner.id, {**PRODUCT_COLUMNS, "name": product, "stars": 4}, []
        )
        return chat, item.id, item.code


async def labelled_at(bot: E2E, product_id: int) -> dt.datetime | None:
    async with bot.runtime.db.transaction() as session:
        product = await session.get(Product, product_id)
        assert product is not None
        return as_utc(product.labelled_at) if product.labelled_at else None


async def stored_stamps(bot: E2E) -> dict[str, int]:
    async with bot.runtime.db.transaction() as session:
        rows = (await session.execute(select(Stamp.serial, Stamp.scan_count))).all()
    return {serial: count for serial, count in rows}


async def batch_count(bot: E2E) -> int:
    async with bot.runtime.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(StampBatch)) or 0)


# --- tests ------------------------------------------------------------------------


async def test_every_code_we_print_leads_to_its_product(bot: E2E) -> None:
    hoa = await bot.producer(6001)
    code = await hoa.add_product()
    product = await bot.product(code)
    assert product.labelled_at is None
    page_url = product_url(bot.settings.public_url, code)

    screen = await hoa.send("/label")  # one product: straight to its labels
    assert screen.texts == [label_screen_text(code)]
    assert screen.buttons == LABEL_BUTTONS

    # --- PNG labels: a photo to look at and the same bytes as a file to print ----------
    decoded: list[str] = []
    for size, pixels in (("40x30", (472, 354)), ("50x50", (591, 591))):
        screen = await hoa.press(f"🏷 {size} mm label (PNG)")
        assert methods(screen) == ["sendPhoto", "sendDocument", "sendMessage"]
        photo, document, again = screen
        assert photo["text"] == (
            f"🏷 {size} mm label, code {code[:3]}-{code[3:]}, for printing at 300 dpi."
        )
        assert document["text"] == "The original file for printing (not compressed):"
        assert document["document_name"] == f"ocop-{code}-{size}.png"
        assert document["document"] == photo["photo"]
        with Image.open(io.BytesIO(document["document"])) as image:
            assert image.size == pixels
            assert round(image.info["dpi"][0]) == 300
        assert again["text"] == label_screen_text(code)
        for data in (photo["photo"], document["document"]):
            codes = png_codes(data)
            assert codes == [page_url]
            decoded += codes
        if size == "40x30":
            first_label = await labelled_at(bot, product.id)
            assert first_label == bot.clock.now  # the first label counts for the programme
            bot.clock.advance(hours=1)
    assert await labelled_at(bot, product.id) == first_label  # later labels do not move it

    # --- A4 sheets: every cell of the page --------------------------------------------
    for layout, per_page in (("3x8", 24), ("4x10", 40)):
        screen = await hoa.press(f"📄 A4 sheet {layout} ({per_page} labels)")
        assert methods(screen) == ["sendDocument", "sendMessage"]
        sheet = screen[0]
        assert sheet["text"] == (
            f"📄 A4 label sheet {layout} ({per_page} labels). Print at 100% scale, no fitting."
        )
        assert sheet["document_name"] == f"ocop-{code}-{layout}.pdf"
        pages = pdf_page_codes(sheet["document"])
        assert pages == [[page_url] * per_page]
        decoded += pages[0]
    assert len(decoded) == 4 + 24 + 40

    # --- a small stamp batch: 30 stamps over two pages of 24 ---------------------------
    screen = await hoa.press("🔖 Serial anti-counterfeit stamps")
    assert screen.texts == [ASK_COUNT]
    assert screen.buttons == FLOW_NAV
    screen = await hoa.walk(
        [
            ("send", "30", "Production lot number?"),
            ("send", "L2026-11", "Production date of the lot"),
            ("send", "01/11/2026", "Expiry date of the lot"),
            ("send", "01/11/2027", "Which sticker sheet"),
        ]
    )
    assert screen.buttons == ["📄 A4 sheet 3x8 (24 labels)", "📄 A4 sheet 4x10 (40 labels)"] + (
        FLOW_NAV
    )
    screen = await hoa.press("📄 A4 sheet 3x8 (24 labels)")
    assert screen.texts == [
        "🔖 30 stamps · lot L2026-11\nProduced: 01/11/2026 · Expires: 01/11/2027\nSheet: 3x8"
        "\n\nPlease check the details above. If they are right, press “Save”."
    ]
    assert await stored_stamps(bot) == {}  # nothing stored before "Save"
    screen = await hoa.press("💾 Save")
    assert methods(screen) == ["sendDocument", "sendMessage"]
    stamps_pdf = screen[0]
    assert stamps_pdf["text"] == (
        f"✅ 30 stamps made for “{PRODUCT_NAME}”. Each has its own serial; the first scan shows "
        "“genuine”. The PDF to print:"
    )
    assert stamps_pdf["document_name"] == f"tem-{code}-30.pdf"
    assert screen[1]["text"] == label_screen_text(code)
    pages = pdf_page_codes(stamps_pdf["document"])
    assert [len(page) for page in pages] == [24, 6]
    stamp_urls = [url for page in pages for url in page]
    serials = await stored_stamps(bot)
    assert len(serials) == 30 and set(serials.values()) == {0}
    assert sorted(stamp_urls) == sorted(stamp_url(bot.settings.public_url, s) for s in serials)
    async with bot.runtime.db.transaction() as session:
        batch = await session.scalar(select(StampBatch))
    assert batch is not None
    assert (batch.lot, batch.count, batch.production_date, batch.expiry_date) == (
        "L2026-11",
        30,
        dt.date(2026, 11, 1),
        dt.date(2027, 11, 1),
    )

    # --- follow every code to the web app ----------------------------------------------
    async with web_app(bot) as web:
        for url in sorted(set(decoded)):
            status, html = await web.follow(url)
            assert status == 200, url
            assert f"<h1>{PRODUCT_NAME}</h1>" in html
            assert f'<dd class="serial">{code}</dd>' in html

        first_checked = bot.clock.now
        for url in stamp_urls:
            serial = url.rsplit("/", 1)[1]
            status, html = await web.follow(url)
            assert status == 200, url
            assert "Genuine product" in html and "This is the first check of this stamp." in html
            assert PRODUCT_NAME in html and format_serial(serial) in html
            assert "L2026-11" in html
        bot.clock.advance(days=2)
        for url in stamp_urls:
            status, html = await web.follow(url)
            assert status == 200, url
            assert "Warning: this stamp was checked before" in html
            checked = "This stamp has been checked 2 separate times, first on 23/11/2026 11:00."
            assert checked in html
            assert "Genuine product" not in html
    assert first_checked == dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)  # 11:00 in Vietnam
    assert set((await stored_stamps(bot)).values()) == {2}


async def test_stamp_batch_bad_input_is_refused(bot: E2E) -> None:
    hoa, product_id, code = await producer_with_product(bot, 6101, "HTX Chè Tân Cương")
    screen = await hoa.send("/label")
    assert screen.texts == [label_screen_text(code)]
    question = await hoa.press("🔖 Serial anti-counterfeit stamps")
    assert question.texts == [ASK_COUNT]

    def asks_again(message: str, screen: Screen, asked: Screen) -> None:
        assert screen.texts == [f"{message}\n\n{asked.texts[0]}"], screen  # one message
        assert screen.buttons == asked.buttons, screen
        assert methods(screen) == ["sendMessage"] * len(screen)

    for typed in ("0", "1000000", "1.000.000", "10001", "10 001", "-5"):
        asks_again(COUNT_RANGE, await hoa.send(typed), question)
    asks_again("Please enter a number.", await hoa.send("ba chục"), question)
    assert await stored_stamps(bot) == {} and await batch_count(bot) == 0

    # The flow is still at the count: a good answer moves on.
    question = await hoa.send("10.000")  # the most a batch holds, written the Vietnamese way
    assert question.texts == ["Production lot number? For example: L2025-11"]
    question = await hoa.send("L2026-11")
    assert question.texts == ["Production date of the lot (dd/mm/yyyy)?"]
    asks_again(
        "The production date can't be in the future.", await hoa.send("24/11/2026"), question
    )
    asks_again("That date doesn't exist. Please check it.", await hoa.send("31/02/2026"), question)
    question = await hoa.send("01/11/2026")
    assert question.texts == ["Expiry date of the lot (dd/mm/yyyy)?"]
    for typed in ("31/10/2026", "01/11/2026", "01/01/2020"):
        asks_again(
            "The expiry date must be after the production date.", await hoa.send(typed), question
        )
    question = await hoa.send("01/11/2027")
    assert question.texts == ["Which sticker sheet will you print on?"]
    screen = await hoa.press("📄 A4 sheet 4x10 (40 labels)")
    assert screen.texts[0].startswith("🔖 10,000 stamps · lot L2026-11\n")

    screen = await hoa.send("/cancel")
    assert screen.texts == [
        f"Cancelled. Nothing you entered here was saved.\n\n{label_screen_text(code)}"
    ]
    assert await stored_stamps(bot) == {} and await batch_count(bot) == 0
    assert await labelled_at(bot, product_id) is None


async def test_a_batch_of_one_stamp(bot: E2E) -> None:
    hoa, product_id, code = await producer_with_product(bot, 6151, "HTX Chè Tân Cương")
    await hoa.send("/label")
    await hoa.press("🔖 Serial anti-counterfeit stamps")
    await hoa.walk(
        [
            ("send", "1", "Production lot number?"),
            ("send", "L1", "Production date of the lot"),
            ("send", "23/11/2026", "Expiry date of the lot"),  # today is fine
            ("send", "24/11/2026", "Which sticker sheet"),
        ]
    )
    summary = await hoa.press("📄 A4 sheet 4x10 (40 labels)")
    assert summary.buttons == ["💾 Save", *FLOW_NAV]
    screen = await hoa.press("💾 Save")
    assert methods(screen) == ["sendDocument", "sendMessage"]
    [serial] = await stored_stamps(bot)
    assert pdf_page_codes(screen[0]["document"]) == [[stamp_url(bot.settings.public_url, serial)]]
    assert screen[0]["document_name"] == f"tem-{code}-1.pdf"
    assert await labelled_at(bot, product_id) == bot.clock.now  # a stamp is a label too
    # One stamp, not "1 stamps".
    assert summary.texts[0].startswith("🔖 1 stamp · lot L1\n"), summary
    assert screen[0]["text"].startswith(f"✅ 1 stamp made for “{PRODUCT_NAME}”."), screen


# --- another producer's product -------------------------------------------------------


async def dispatch_action(bot: E2E, chat: Chat, action: str) -> list[Reply]:
    """What the router answers `chat`'s user for `action`, as if a button had carried it."""
    router = bot.runtime.dispatcher.router
    assert isinstance(router, Router)
    async with bot.runtime.db.unit() as unit:
        await unit.connect()
        session = unit.session
        user = await get_or_create_user(session, "telegram", str(chat.id), "Tâm")
        conversation = await session.get(Conversation, ("telegram", str(chat.id)))
        assert conversation is not None
        ctx = Context(
            app=bot.runtime.app,
            unit=unit,
            incoming=Incoming("telegram", str(chat.id), str(chat.id), callback="crafted"),
            caps=telegram.CAPABILITIES,
            user=user,
            conversation=conversation,
            t=bot.runtime.app.catalogs.translator(user.language),
            action=action,
        )
        return await router.dispatch_action(ctx, action)


async def plant_action(bot: E2E, chat: Chat, action: str) -> None:
    """Makes the first button on the chat's current screen stand for `action`."""
    async with bot.runtime.db.transaction() as session:
        conversation = await session.get(Conversation, ("telegram", str(chat.id)))
        assert conversation is not None
        actions = list(conversation.actions["list"])
        conversation.actions = {**conversation.actions, "list": [action, *actions[1:]]}


async def test_labels_of_another_producers_product_cannot_be_made(bot: E2E) -> None:
    _hoa, hoa_product, hoa_code = await producer_with_product(bot, 6201, "HTX Chè Tân Cương")
    tam, tam_product, _ = await producer_with_product(
        bot, 6202, "Cơ sở Bánh tráng Tâm", "Bánh tráng phơi sương"
    )
    for action in (
        f"label:png:{hoa_product}:40x30",
        f"label:png:{hoa_product}:50x50",
        f"label:sheet:{hoa_product}:3x8",
        f"label:{hoa_product}",
        f"stamps:{hoa_product}",
        f"label:png:{tam_product}:99x99",  # her own product, a size nobody offered
        f"label:sheet:{tam_product}:9x9",
    ):
        replies = await dispatch_action(bot, tam, action)
        assert replies[0].text.startswith(NOT_FOUND), action
        assert all(r.photo is None and r.document is None for r in replies), action
        assert all(r.make_document is None for r in replies), action
        assert hoa_code not in "".join(r.text for r in replies), action

    # Through Telegram: a button whose stored action names her neighbour's product...
    screen = await tam.send("/label")
    assert screen.buttons == LABEL_BUTTONS
    await plant_action(bot, tam, f"label:png:{hoa_product}:40x30")
    screen = await tam.press(LABEL_BUTTONS[0])
    assert screen.texts[0].startswith(NOT_FOUND)
    assert "sendPhoto" not in methods(screen) and "sendDocument" not in methods(screen)
    # ...and callback data crafted by hand: out of date, the current screen, nothing else.
    message: Output = tam.api.sent(tam.id)[-1]
    for data in (f"label:png:{hoa_product}:40x30", "label:sheet:1:3x8", "x:0", ":0"):
        screen = await tam.press_data(message, data)
        assert screen.texts[0].startswith("This menu is out of date. Here is the current one:")
        assert "sendPhoto" not in methods(screen) and "sendDocument" not in methods(screen)

    assert await labelled_at(bot, hoa_product) is None
    assert await labelled_at(bot, tam_product) is None
    assert await stored_stamps(bot) == {} and await batch_count(bot) == 0


async def test_label_needs_a_registered_producer(bot: E2E) -> None:
    minh = bot.chat(6301)
    await minh.start_in_english()
    screen = await minh.send("/label")
    assert screen.texts[0].startswith("This is for registered OCOP producers.")
    assert "sendDocument" not in methods(screen) and "sendPhoto" not in methods(screen)

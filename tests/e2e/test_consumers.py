"""Consumers in the chat, end to end through the fake Bot API: codes, deep links, stamp
serials, photos of labels and barcodes, and /find — each answer as the user sees it."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any, cast

import qrcode
import zxingcpp
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from bot.labels.label import LabelContent, render_label_png
from bot.labels.serials import ALPHABET, format_serial, new_serial, new_serials
from bot.labels.sizes import LabelSize
from bot.labels.urls import product_url, stamp_url
from storage.models import Photo, Scan, Stamp
from storage.producers import save_producer
from storage.products import add_photo, create_product
from storage.stamps import create_batch
from storage.users import get_or_create_user
from tests.e2e.conftest import E2E, Chat, Screen, oversized_jpeg
from tests.helpers import PRODUCER_FIELDS, PRODUCT_COLUMNS

TEA = "Chè búp Tân Cương đặc biệt"
GTIN = "8930000000019"
MALFORMED = "That stamp code is not valid. Please check the characters on the stamp."
BAD_CODE = "That is not a valid code. Product codes have 6 characters, for example 7K3M9P."
TOO_BIG = 10 * 1024 * 1024 + 1  # one byte over config.toml's max_photo_bytes
CARD_BUTTONS = ["🔎 Find another product", "🏠 Main menu"]
# (name, stars): seven "bánh tráng" products, more than one page of five.
RICE_PAPERS = [
    ("Bánh tráng phơi sương Trảng Bàng", 4),
    ("Bánh tráng nướng mè đen", 3),
    ("Bánh tráng dẻo tôm", 3),
    ("Bánh tráng trộn Tây Ninh", None),
    ("Bánh tráng cuốn Hòa Đa", 5),
    ("Bánh tráng gạo lứt", None),
    ("Bánh tráng Mỹ Lồng", 4),
]


@dataclass
class Catalog:
    tea_code: str
    tea_id: int
    cover: bytes  # the cover photo's thumbnail, as the bot sends it
    serials: list[str]
    rice_papers: dict[str, str] = field(default_factory=dict)  # name → code


def cover_jpeg() -> bytes:
    image = Image.new("RGB", (900, 700), (60, 140, 80))
    ImageDraw.Draw(image).ellipse((250, 150, 650, 550), fill=(240, 230, 200))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


async def seed(bot: E2E) -> Catalog:
    """Two producers straight into the database: tea with a cover and 3 stamps, rice papers."""
    info = await bot.runtime.app.media.store_async(cover_jpeg())
    async with bot.runtime.db.transaction() as session:
        tea_user = await get_or_create_user(session, "telegram", "990001", "Hoa")
        tea_farm = await save_producer(
            session, tea_user.id, {**PRODUCER_FIELDS, "name": "HTX Chè Tân Cương Xanh"}
        )
        tea = await create_product(
            session,
            tea_farm.id,
            {**PRODUCT_COLUMNS, "name": TEA, "stars": 4, "gtin": GTIN},
            [],
        )
        await add_photo(
            session,
            tea,
            Photo(
                sha256=info.sha256,
                mime=info.mime,
                width=info.width,
                height=info.height,
                size_bytes=info.size,
            ),
        )
        serials = new_serials(3)
        await create_batch(
            session, tea, "L2026-11", dt.date(2026, 11, 1), dt.date(2027, 11, 1), serials
        )
        baker_user = await get_or_create_user(session, "telegram", "990002", "Tâm")
        baker = await save_producer(
            session,
            baker_user.id,
            {**PRODUCER_FIELDS, "name": "Cơ sở Bánh tráng Tâm", "kind": "household"},
        )
        rice_papers = {}
        for name, stars in RICE_PAPERS:
            columns = {**PRODUCT_COLUMNS, "name": name, "stars": stars, "subgroup": "cereals"}
            product = await create_product(session, baker.id, columns, [])
            rice_papers[name] = product.code
        catalog = Catalog(tea.code, tea.id, b"", serials, rice_papers)
    catalog.cover = bot.runtime.app.media.thumbnail_path(info.sha256).read_bytes()
    return catalog


async def consumer(bot: E2E, user_id: int = 8001) -> Chat:
    chat = bot.chat(user_id, "Minh", "en")
    await chat.start_in_english()
    return chat


def tea_card(code: str) -> str:
    return "\n".join(
        [
            f"📦 {TEA}",
            "⭐⭐⭐⭐ OCOP 4-star product",
            "Group: Food",
            "Producer: HTX Chè Tân Cương Xanh (Cooperative)",
            "Made in: Xã Tân Cương, Thái Nguyên",
            f"🌐 Origin page: http://127.0.0.1:8080/p/{code}",
        ]
    )


def assert_tea(
    screen: Screen, catalog: Catalog, before: list[str] | None = None, switch: str | None = None
) -> None:
    """`before`, then the tea's cover photo, then its card with its two buttons (and, on a
    first contact, the small button `switch` to change language)."""
    lead = before or []
    assert screen.texts == [*lead, "", tea_card(catalog.tea_code)], screen
    photo = screen[len(lead)]
    assert photo["method"] == "sendPhoto" and photo["photo"] == catalog.cover
    assert screen.buttons == CARD_BUTTONS + ([switch] if switch else [])


async def scan_counts(bot: E2E) -> dict[str, int]:
    async with bot.runtime.db.transaction() as session:
        rows = (await session.execute(select(Stamp.serial, Stamp.scan_count))).all()
    return {serial: count for serial, count in rows}


async def scans(bot: E2E) -> list[tuple[str, str]]:
    async with bot.runtime.db.transaction() as session:
        rows = (await session.execute(select(Scan.channel, Scan.client).order_by(Scan.id))).all()
    return [(channel, client) for channel, client in rows]


def other_check_symbol(serial: str) -> str:
    """The serial with a wrong check symbol: one mistyped character."""
    return serial[:-1] + next(c for c in ALPHABET if c != serial[-1])


# --- pictures a consumer takes ----------------------------------------------------


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def qr_photo(text: str) -> bytes:
    code = qrcode.make(text, box_size=8, border=4).get_image().convert("L")
    photo = Image.new("L", (code.width + 400, code.height + 300), 200)
    photo.paste(code, (200, 150))
    return jpeg(photo)


def ean13_photo(number: str) -> bytes:
    if hasattr(zxingcpp, "create_barcode"):  # zxing-cpp 3
        bitmap = zxingcpp.create_barcode(number, zxingcpp.BarcodeFormat.EAN13).to_image(scale=4)
    else:  # zxing-cpp 2
        bitmap = zxingcpp.write_barcode(zxingcpp.BarcodeFormat.EAN13, number, width=452)
    view = memoryview(cast(Any, bitmap))  # zxing-cpp's bitmaps are buffers
    assert view.shape is not None
    height, width = view.shape[:2]
    photo = Image.new("L", (width + 300, height + 300), 190)
    photo.paste(Image.frombytes("L", (width, height), view.tobytes()), (150, 150))
    return jpeg(photo)


def no_code_photo() -> bytes:
    image = Image.new("RGB", (1000, 800), (120, 90, 60))
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 100, 600, 500), fill=(200, 180, 140))
    draw.ellipse((500, 300, 900, 700), fill=(60, 120, 60))
    return jpeg(image)


def label_png(code: str, public_url: str) -> bytes:
    content = LabelContent(TEA, code, 4, product_url(public_url, code))
    return render_label_png(content, LabelSize("40x30", 40, 30))


# --- tests ------------------------------------------------------------------------


async def test_origin_by_code(bot: E2E) -> None:
    catalog = await seed(bot)
    minh = await consumer(bot)

    assert_tea(await minh.send(f"/origin {catalog.tea_code.lower()}"), catalog)
    grouped = f"{catalog.tea_code[:3]}-{catalog.tea_code[3:]}".lower()
    assert_tea(await minh.send(grouped), catalog)  # typed as plain text, as on the label
    assert_tea(await minh.send(f"/origin {GTIN}"), catalog)  # the barcode number

    screen = await minh.send("/origin")
    assert screen.texts == ["Type the product code after the command, for example: /origin 7K3M9P"]
    unknown = next(c for c in ("7K3M9P", "7K3M9Q") if c != catalog.tea_code)
    screen = await minh.send(f"/origin {unknown.lower()}")
    assert screen.texts == [
        f"No product has the code {unknown}. Please check the code on the label."
    ]
    for malformed in ("7K3M0P", "7K3M9", "chè", "7K3M9P7K3M9P"):
        screen = await minh.send(f"/origin {malformed}")
        assert screen.texts == [BAD_CODE], malformed
        assert all(output["method"] == "sendMessage" for output in screen)

    screen = await minh.press("🔎 Find another product", minh.newest_with(CARD_BUTTONS[0]))
    assert screen.texts == ["Type the product name to search for, for example: /find banh trang"]


async def test_product_deep_link_on_first_contact(bot: E2E) -> None:
    catalog = await seed(bot)
    newcomer = bot.chat(8002, "Minh", "en")

    screen = await newcomer.send(f"/start p_{catalog.tea_code}")
    # The answer at once, in the app's language; no language question first.
    assert_tea(screen, catalog, switch="🇻🇳 Tiếng Việt")

    # Once only: the next /start is the main menu.
    screen = await newcomer.send("/start")
    assert TEA not in screen.text and "📦" not in screen.text

    assert_tea(await newcomer.send(f"/start p_{catalog.tea_code.lower()}"), catalog)
    assert (await newcomer.send("/start p_7K3M0P")).texts == [BAD_CODE]


async def test_stamp_checks_in_the_chat(bot: E2E) -> None:
    catalog = await seed(bot)
    first, second, untouched = catalog.serials
    minh = await consumer(bot)
    genuine = f"✅ Genuine stamp — this is its first check (stamp {format_serial(first)})."

    # As printed under the QR code, typed in lower case.
    assert_tea(await minh.send(format_serial(first).lower()), catalog, before=[genuine])

    bot.clock.advance(days=3, hours=2)
    warning = (
        f"⚠️ Stamp {format_serial(first)} has been checked 2 times, first on 23/11/2026 10:00. "
        "If you have just bought this product new, it may be counterfeit."
    )
    assert_tea(await minh.send(first), catalog, before=[warning])
    # The same person asking again within minutes, in other forms, counts once.
    screen = await minh.send(f"/start s_{first}")  # t.me/<bot>?start=s_<serial>
    assert screen.texts[0] == warning
    assert_tea(screen, catalog, before=screen.texts[:1])
    spaced = " ".join(format_serial(first).lower().split("-"))
    assert (await minh.send(spaced)).texts[0] == warning
    pasted = stamp_url(bot.settings.public_url, first)  # the stamp's link, pasted
    bot.clock.advance(minutes=9)
    assert (await minh.send(pasted)).texts[0] == warning
    # Someone else is another check.
    lan = bot.chat(8004, "Lan", "en")
    await lan.start_in_english()
    assert (await lan.send(first)).texts[0] == warning.replace("2 times", "3 times")

    # A brand-new user's first contact is a stamp deep link: the answer at once.
    newcomer = bot.chat(8003, "Lan", "en")
    screen = await newcomer.send(f"/start s_{second}")
    genuine_second = f"✅ Genuine stamp — this is its first check (stamp {format_serial(second)})."
    assert_tea(screen, catalog, before=[genuine_second], switch="🇻🇳 Tiếng Việt")

    # Unknown but well-formed: not ours, no product card, nothing recorded.
    stranger = new_serial()
    for typed in (stranger, format_serial(stranger).lower(), f"/start s_{stranger}"):
        screen = await minh.send(typed)
        assert screen.texts == [
            f"⚠️ Stamp {format_serial(stranger)} is not one of ours. The product may not be genuine."
        ], typed
    # Malformed: one wrong character, a look-alike, a missing one.
    for bad in (
        other_check_symbol(first),
        format_serial(other_check_symbol(second)).lower(),
        first[:4] + "0" + first[5:],
        f"/start s_{other_check_symbol(first)}",
        "/start s_ABC",
    ):
        assert (await minh.send(bad)).texts == [MALFORMED], bad

    assert await scan_counts(bot) == {first: 3, second: 1, untouched: 0}
    assert await scans(bot) == [("telegram", "bot")] * 4


async def test_photos_of_labels_stamps_and_barcodes(bot: E2E) -> None:
    catalog = await seed(bot)
    minh = await consumer(bot)
    public_url = bot.settings.public_url

    assert_tea(await minh.photo(label_png(catalog.tea_code, public_url)), catalog)
    assert_tea(await minh.photo(ean13_photo(GTIN)), catalog)
    serial = catalog.serials[0]
    screen = await minh.photo(qr_photo(stamp_url(public_url, serial)))
    genuine = f"✅ Genuine stamp — this is its first check (stamp {format_serial(serial)})."
    assert_tea(screen, catalog, before=[genuine])

    screen = await minh.photo(no_code_photo())
    assert screen.texts == [
        "No QR code or barcode could be read in the photo. "
        "Please take it again, closer and in good light."
    ]
    not_ours = "The photo has a code, but it is not an OCOP programme code."
    assert (await minh.photo(qr_photo("https://example.com/x"))).texts == [not_ours]
    assert (await minh.photo(ean13_photo("4006381333931"))).texts == [
        "No product has the code 4006381333931. Please check the code on the label."
    ]
    unknown = next(c for c in ("7K3M9P", "7K3M9Q") if c != catalog.tea_code)
    assert (await minh.photo(label_png(unknown, public_url))).texts == [
        f"No product has the code {unknown}. Please check the code on the label."
    ]
    # The same label made for another site is someone else's code.
    assert (await minh.photo(label_png(catalog.tea_code, "https://example.com"))).texts == [
        not_ours
    ]
    # The label's PNG forwarded as a file, not as a photo: read all the same.
    label = label_png(catalog.tea_code, public_url)
    assert_tea(await minh.document(label, "ocop-label.png", "image/png"), catalog)
    screen = await minh.photo(oversized_jpeg(TOO_BIG))
    assert screen.texts == ["The photo is too large to read. Please send a smaller one."]
    assert await scan_counts(bot) == {serial: 1, catalog.serials[1]: 0, catalog.serials[2]: 0}


async def test_stamp_link_under_another_products_barcode_is_not_ours(bot: E2E) -> None:
    """A GS1 Digital Link names the product: a real serial under another product's barcode
    is a copied stamp. The web app says "not ours" (docs/origin-page.md); so must the chat."""
    catalog = await seed(bot)
    minh = await consumer(bot)
    serial = catalog.serials[0]
    public_url = bot.settings.public_url
    not_ours = (
        f"⚠️ Stamp {format_serial(serial)} is not one of ours. The product may not be genuine."
    )
    copied = f"{public_url}/01/04006381333931/21/{serial}"  # a real barcode, not the tea's
    assert (await minh.send(copied)).texts == [not_ours]
    assert (await minh.photo(qr_photo(copied))).texts == [not_ours]
    assert await scan_counts(bot) == dict.fromkeys(catalog.serials, 0)
    # Under the tea's own barcode it is the tea's stamp.
    genuine = f"✅ Genuine stamp — this is its first check (stamp {format_serial(serial)})."
    assert_tea(await minh.send(f"{public_url}/01/0{GTIN}/21/{serial}"), catalog, [genuine])


async def test_deep_link_in_the_middle_of_a_flow(bot: E2E) -> None:
    """A producer adding a product scans a stamp with Telegram's scanner: the draft is put
    aside, and the stamp is checked (the link is not dropped)."""
    catalog = await seed(bot)
    hoa = await bot.producer(8101)
    await hoa.press("➕ New product")
    serial = catalog.serials[0]
    screen = await hoa.send(f"/start s_{serial}")
    genuine = f"✅ Genuine stamp — this is its first check (stamp {format_serial(serial)})."
    saved = (
        "“New product” is saved for later. Press “Continue” in the menu or type /resume to "
        "carry on."
    )
    assert screen.texts[0] == f"{saved}\n\n{genuine}", screen  # one message, not two
    assert_tea(screen, catalog, before=[f"{saved}\n\n{genuine}"])
    assert await scan_counts(bot) == {serial: 1, catalog.serials[1]: 0, catalog.serials[2]: 0}


def find_screen(query: str, total: int, page: int, pages: int, rows: list[str]) -> str:
    title = f"🔎 “{query}”: {total} products (page {page}/{pages})"
    return "\n".join([title, *(f"• {row} — Cơ sở Bánh tráng Tâm" for row in rows)])


# Most stars first, then by name without diacritics.
FIRST_PAGE = [
    "Bánh tráng cuốn Hòa Đa ⭐⭐⭐⭐⭐",
    "Bánh tráng Mỹ Lồng ⭐⭐⭐⭐",
    "Bánh tráng phơi sương Trảng Bàng ⭐⭐⭐⭐",
    "Bánh tráng dẻo tôm ⭐⭐⭐",
    "Bánh tráng nướng mè đen ⭐⭐⭐",
]
SECOND_PAGE = ["Bánh tráng gạo lứt", "Bánh tráng trộn Tây Ninh"]  # not rated: no stars


async def test_find_by_name(bot: E2E) -> None:
    catalog = await seed(bot)
    minh = await consumer(bot)

    screen = await minh.send("/find banh trang")
    assert screen.texts == [find_screen("banh trang", 7, 1, 2, FIRST_PAGE)]
    assert screen.buttons == [*FIRST_PAGE, "Next ▶️"]
    screen = await minh.press("Next ▶️")
    assert screen.texts[0].startswith("🔎 “banh trang”: 7 products (page 2/2)\n")
    assert all(name in screen.texts[0] for name in SECOND_PAGE)
    assert screen.buttons == [*SECOND_PAGE, "◀️ Previous"]
    screen = await minh.press("◀️ Previous")
    assert screen.texts == [find_screen("banh trang", 7, 1, 2, FIRST_PAGE)]
    assert screen.buttons == [*FIRST_PAGE, "Next ▶️"]

    screen = await minh.press("Bánh tráng Mỹ Lồng ⭐⭐⭐⭐")
    code = catalog.rice_papers["Bánh tráng Mỹ Lồng"]
    [card] = screen.texts  # no photos: no cover
    assert card.startswith("📦 Bánh tráng Mỹ Lồng\n⭐⭐⭐⭐ OCOP 4-star product\n")
    assert "Producer: Cơ sở Bánh tráng Tâm (Business household)" in card
    assert card.endswith(f"🌐 Origin page: http://127.0.0.1:8080/p/{code}")

    # Diacritics and case do not matter, either way round; words in any order.
    for query in ("BÁNH TRÁNG", "trang banh", "bánh   tráng"):
        screen = await minh.send(f"/find {query}")
        assert screen.buttons == [*FIRST_PAGE, "Next ▶️"], query
    screen = await minh.send("/find che tan cuong")
    assert screen.buttons == [f"{TEA} ⭐⭐⭐⭐"]
    assert f"• {TEA} ⭐⭐⭐⭐ — HTX Chè Tân Cương Xanh" in screen.texts[0]
    assert_tea(await minh.press(f"{TEA} ⭐⭐⭐⭐"), catalog)

    # A product's name typed as plain text searches too.
    screen = await minh.send("bánh tráng mỹ lồng")
    assert screen.buttons == ["Bánh tráng Mỹ Lồng ⭐⭐⭐⭐"]

    assert (await minh.send("/find sâm ngọc linh")).texts == ["No product matches “sâm ngọc linh”."]
    ask = "Type the product name to search for, for example: /find banh trang"
    assert (await minh.send("/find")).texts == [ask]
    assert (await minh.send("/find   ")).texts == [ask]
    # LIKE wildcards are searched for as typed, not as wildcards.
    assert (await minh.send("/find bánh_tráng")).texts == ["No product matches “bánh_tráng”."]
    assert (await minh.send("/find %%%")).texts == ["No product matches “%%%”."]


async def test_find_line_of_a_product_without_stars(bot: E2E) -> None:
    """No stars, no double space before the producer's name."""
    await seed(bot)
    minh = await consumer(bot)
    await minh.send("/find banh trang")
    screen = await minh.press("Next ▶️")
    assert screen.texts == [find_screen("banh trang", 7, 2, 2, SECOND_PAGE)]


async def test_find_with_one_result_says_one_product(bot: E2E) -> None:
    await seed(bot)
    minh = await consumer(bot)
    screen = await minh.send("/find che tan cuong")
    assert screen.texts == [
        f"🔎 “che tan cuong”: 1 product (page 1/1)\n• {TEA} ⭐⭐⭐⭐ — HTX Chè Tân Cương Xanh"
    ]


async def test_nothing_is_counted_without_a_stamp(bot: E2E) -> None:
    """Looking products up never writes a scan; only stamp checks do."""
    catalog = await seed(bot)
    minh = await consumer(bot)
    await minh.send(f"/origin {catalog.tea_code}")
    await minh.send("/find banh trang")
    await minh.photo(label_png(catalog.tea_code, bot.settings.public_url))
    assert await scans(bot) == []
    async with bot.runtime.db.transaction() as session:
        total = await session.scalar(select(func.sum(Stamp.scan_count)))
    assert total == 0

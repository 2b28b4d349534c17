"""A producer's whole first session over Telegram, from first contact to /status."""

from __future__ import annotations

import io
import re
import unicodedata

from PIL import Image

from storage.products import product_by_code, set_listing
from tests.e2e.conftest import E2E, Step, picture, reply_keyboard

DESCRIPTION = "Chè búp một tôm hai lá, sao tay trên chảo gang, nước xanh, vị chát dịu."
STORY = "Ba thế hệ gia đình làm chè trên đồi Tân Cương, Thái Nguyên."
INGREDIENTS = "100% búp chè trung du Tân Cương"
SHOPEE_URL = "https://shopee.vn/che-bup-tan-cuong-i.1234.5678"

WELCOME_EN = ["🔎 Look up a product", "📝 Register my OCOP entity", "🌐 Language", "❓ Help"]
WELCOME_VI = ["🔎 Tra cứu sản phẩm", "📝 Đăng ký chủ thể OCOP", "🌐 Ngôn ngữ", "❓ Hướng dẫn"]

PRODUCT_STEPS_TO_STARS: list[Step] = [
    ("send", "Mật ong hoa nhãn", "Which product group?"),
    ("press", "Food", "Which subgroup?"),
    ("press", "Processed food", "How many OCOP stars"),
]


def block_of(status: str, marketplace: str) -> list[str]:
    """The /status lines about one marketplace: its "• name: status" line and those under it."""
    lines = status.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"• {marketplace}: "))
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), len(lines)
    )
    return lines[start:end]


async def test_producer_journey(bot: E2E) -> None:
    # --- first contact, a client set to English: answered in English, no language question
    ann = bot.chat(2002, "Ann", "en")
    screen = await ann.send("hello")
    assert screen.texts == [
        "I couldn't find a product for that. To look up an OCOP product:\n"
        "• type its 6-character code (for example 7K3M9P) or the code on its stamp\n"
        "• send a photo of its label with the QR code or barcode\n"
        "• type /find and a product name, for example: /find banh trang\n"
        "OCOP producers: press “📝 Register my OCOP entity” to list your products."
    ]
    assert screen.buttons == [*WELCOME_EN, "🇻🇳 Tiếng Việt"]
    screen = await ann.press("🇻🇳 Tiếng Việt")  # the small switch button
    assert screen.texts == [
        "Đã chọn Tiếng Việt. Có thể đổi bất cứ lúc nào bằng /language.\n\n"
        "Chào mừng anh/chị đến với Trợ lý OCOP! Để xem nguồn gốc một sản phẩm OCOP, anh/chị gõ "
        "mã sản phẩm (ví dụ 7K3M9P) hoặc mã tem, gửi ảnh nhãn có mã QR, hoặc gõ /find và tên sản "
        "phẩm.\nChủ thể OCOP muốn đưa sản phẩm lên: bấm «📝 Đăng ký chủ thể OCOP»."
    ]
    assert screen.buttons == WELCOME_VI

    # --- first contact, a client set to Vietnamese: Vietnamese, the menu at once
    hoa = bot.chat(1001, "Hoa", "vi")
    screen = await hoa.send("/start")
    assert len(screen) == 1
    assert screen.texts[0].startswith("Chào mừng anh/chị đến với Trợ lý OCOP!")
    assert screen.buttons == [*WELCOME_VI, "🇬🇧 English"]

    # --- producer registration, the phone shared with the contact button
    screen = await hoa.press("📝 Đăng ký chủ thể OCOP")
    assert screen.texts[0].startswith("Tên chủ thể OCOP của anh/chị là gì?")
    screen = await hoa.walk(
        [
            ("send", "HTX Chè Tân Cương Xanh", "Chủ thể thuộc loại nào?"),
            ("press", "Hợp tác xã (HTX)", "Họ tên người đại diện?"),
        ]
    )
    screen = await hoa.send("Nguyễn Thị Hoa")
    assert screen.texts == [  # one message: the question, the share key and the other keys
        "Số điện thoại liên hệ? Gõ số, ví dụ 0912 345 678.\n"
        "Hoặc bấm nút «📱 Gửi số điện thoại của tôi» bên dưới."
    ]
    keyboard = reply_keyboard(screen[0])
    assert keyboard is not None
    assert keyboard["keyboard"] == [
        [{"text": "📱 Gửi số điện thoại của tôi", "request_contact": True}],
        [{"text": "◀️ Quay lại"}, {"text": "🕓 Để sau"}, {"text": "✖️ Hủy"}],
    ]

    screen = await hoa.contact("84912345678")  # what the share button sends: the user's own
    assert screen.texts[0] == "✅ Đã nhận."
    assert reply_keyboard(screen[0]) == {"remove_keyboard": True}
    assert screen.texts[1] == "Tỉnh/thành phố nào? Gõ tên, ví dụ: Lâm Đồng"

    # Typed in decomposed Unicode, as some phone keyboards send it.
    screen = await hoa.send(unicodedata.normalize("NFD", "Thái Nguyên"))
    assert screen.texts == ["Xã/phường/đặc khu nào? Gõ tên, ví dụ: Tân Cương"]
    screen = await hoa.send("tan cuong")  # without diacritics
    assert screen.texts[0].startswith("Địa chỉ cụ thể")
    screen = await hoa.send("Xóm Nam Đồng")
    assert screen.texts == [
        "Gửi vị trí cơ sở sản xuất để khách tìm đường? Có thể bỏ qua.\n"
        "Bấm «📍 Gửi vị trí của tôi» bên dưới, hoặc «⏭ Bỏ qua»."
    ]
    keyboard = reply_keyboard(screen[0])
    assert keyboard is not None
    assert keyboard["keyboard"] == [
        [{"text": "📍 Gửi vị trí của tôi", "request_location": True}],
        [{"text": "◀️ Quay lại"}, {"text": "⏭ Bỏ qua"}, {"text": "🕓 Để sau"}, {"text": "✖️ Hủy"}],
    ]
    screen = await hoa.location(21.5942, 105.7703)
    assert screen.texts[0] == "✅ Đã nhận."
    assert reply_keyboard(screen[0]) == {"remove_keyboard": True}
    assert screen.texts[1].startswith("Mã số thuế")
    screen = await hoa.send("0123456789")
    assert screen.texts == [
        "Có hiện số điện thoại trên trang nguồn gốc sản phẩm để khách gọi không?"
    ]
    screen = await hoa.press("Có")
    assert screen.texts == [
        "Câu chuyện của cơ sở (không bắt buộc): cơ sở bắt đầu thế nào, điều gì làm sản phẩm "
        "đặc biệt? Anh/chị có thể bỏ qua và bổ sung sau ở mục Thông tin chủ thể."
    ]
    screen = await hoa.press("⏭ Bỏ qua")
    card = screen.texts[0].splitlines()
    assert card[:4] == [
        "🏠 HTX Chè Tân Cương Xanh",
        "Loại hình: Hợp tác xã (HTX)",
        "Người đại diện: Nguyễn Thị Hoa",
        "Điện thoại: +84912345678",
    ]
    assert re.fullmatch(r"Địa bàn: (Phường|Xã) Tân Cương, (Tỉnh )?Thái Nguyên", card[4]), card
    assert card[5:] == [
        "Địa chỉ: Xóm Nam Đồng",
        "Vị trí: 21.5942, 105.7703",
        "Mã số thuế: 0123456789",
        "Số điện thoại hiện trên trang sản phẩm",
        "",
        "Anh/chị kiểm tra lại thông tin trên. Đúng thì bấm «Lưu».",
    ]
    screen = await hoa.press("💾 Lưu")
    assert screen.texts == [
        "🎉 Đăng ký xong! Giờ anh/chị có thể thêm sản phẩm.\n\nMenu chính — HTX Chè Tân Cương Xanh"
    ]

    # --- a product with every field
    screen = await hoa.press("➕ Thêm sản phẩm")
    assert screen.texts == ["Tên sản phẩm? Ví dụ: Chè búp Tân Cương"]
    screen = await hoa.walk(
        [
            ("send", "Chè búp Tân Cương đặc biệt", "Sản phẩm thuộc nhóm nào?"),
            ("press", "Thực phẩm", "Phân nhóm nào?"),
            ("press", "Chè và sản phẩm từ chè", "mấy sao?"),
            ("press", "⭐⭐⭐⭐ 4 sao", "Số quyết định công nhận OCOP?"),
            ("send", "1234/QĐ-UBND", "Ngày quyết định"),
            ("send", "20/05/2024", "Mô tả sản phẩm"),
            ("send", DESCRIPTION, "Câu chuyện sản phẩm"),
            ("send", STORY, "Giá bán (đồng)?"),
            ("send", "125.000", "Đơn vị tính?"),
            ("press", "hộp", "Khối lượng tịnh"),
            ("send", "200 g", "Khối lượng cả bao bì?"),
            ("send", "260 g", "Kích thước đóng gói"),
            ("send", "20x8x8", "Hạn sử dụng?"),
            ("send", "12 tháng", "Thành phần?"),
            ("send", INGREDIENTS, "chứng nhận nào khác?"),
            ("press", "VietGAP", "chứng nhận nào khác?"),
            ("press", "HACCP", "chứng nhận nào khác?"),
            ("press", "Hữu cơ", "chứng nhận nào khác?"),
        ]
    )
    assert screen.buttons[:6] == [
        "✅ VietGAP",
        "GlobalGAP",
        "✅ HACCP",
        "ISO 22000",
        "✅ Hữu cơ",
        "Cơ sở đủ điều kiện ATTP",
    ]
    screen = await hoa.walk(
        [
            ("press", "✔️ Xong", "VietGAP: số giấy chứng nhận và ngày hết hạn?"),
            ("send", "VG-123 31/12/2027", "HACCP: số giấy chứng nhận và ngày hết hạn?"),
            ("send", "HC-9 01/01/2028", "Hữu cơ: số giấy chứng nhận và ngày hết hạn?"),
            ("send", "ORG-77 15/06/2027", "Mã số vùng trồng"),
            ("send", "VN-TN-CHE-001", "Mã vạch GTIN-13"),
            ("send", "8930000000019", "Đúng thì bấm «Lưu»"),
        ]
    )
    assert screen.texts[0].splitlines() == [
        "📦 Chè búp Tân Cương đặc biệt",
        "⭐⭐⭐⭐ OCOP 4 sao · QĐ 1234/QĐ-UBND ngày 20/05/2024, hiệu lực đến 20/05/2027",
        "Nhóm: Thực phẩm › Chè và sản phẩm từ chè",
        "Giá bán: 125.000\xa0₫ / hộp",
        "Khối lượng tịnh/thể tích: 200 g",
        "Đóng gói: 260 g · 20 × 8 × 8 cm",
        "Hạn sử dụng: 12 tháng",
        f"Thành phần: {INGREDIENTS}",
        "Chứng nhận VietGAP: số VG-123, hết hạn 31/12/2027",
        "Chứng nhận HACCP: số HC-9, hết hạn 01/01/2028",
        "Chứng nhận Hữu cơ: số ORG-77, hết hạn 15/06/2027",
        "Mã số vùng trồng: VN-TN-CHE-001",
        "Mã vạch: 8930000000019",
        f"Mô tả: {DESCRIPTION}",
        f"Câu chuyện: {STORY}",
        "",
        "Anh/chị kiểm tra lại thông tin trên. Đúng thì bấm «Lưu».",
    ]
    screen = await hoa.press("💾 Lưu")
    match = re.search(r"Mã sản phẩm: (\w+)", screen.text)
    assert match, screen
    code = match[1]
    assert screen.texts[0].startswith("🎉 Đã lưu sản phẩm «Chè búp Tân Cương đặc biệt».")
    assert screen.buttons == ["📷 Thêm ảnh", "📦 Xem sản phẩm", "🏠 Menu chính"]

    # --- photos: three camera photos and one PNG sent as a file
    screen = await hoa.press("📷 Thêm ảnh")
    assert screen.texts[0].startswith(
        "Gửi ảnh cho «Chè búp Tân Cương đặc biệt» (đang có 0/10 ảnh)."
    )
    screen = await hoa.photo(picture(1, (1200, 900)))
    assert screen.texts == [
        "📷 Đã lưu ảnh số 1 (tổng 1 ảnh). Gửi tiếp hoặc bấm «Xong».\n"
        "Ảnh đầu tiên là ảnh đại diện; có thể đổi sau."
    ]
    screen = await hoa.photo(picture(2, (1200, 900)))
    assert screen.texts == ["📷 Đã lưu ảnh số 2 (tổng 2 ảnh). Gửi tiếp hoặc bấm «Xong»."]
    screen = await hoa.photo(picture(3, (800, 800)))
    assert screen.texts == ["📷 Đã lưu ảnh số 3 (tổng 3 ảnh). Gửi tiếp hoặc bấm «Xong»."]
    png = picture(4, (900, 1200), "PNG")
    screen = await hoa.document(png, "che-hop.png", "image/png")
    assert screen.texts == ["📷 Đã lưu ảnh số 4 (tổng 4 ảnh). Gửi tiếp hoặc bấm «Xong»."]
    screen = await hoa.press("✔️ Xong")
    assert screen.texts == [
        "Ảnh của «Chè búp Tân Cương đặc biệt» (4):\n"
        "1. 1200×900 — ảnh đại diện\n2. 1200×900\n3. 800×800\n4. 900×1200"
    ]

    # --- /products: complete
    screen = await hoa.send("/products")
    assert screen.texts == [
        "Sản phẩm của anh/chị (1):\n"
        f"✅ Chè búp Tân Cương đặc biệt — mã {code} — chưa bán trên sàn nào\n"
        "\n"
        "Ký hiệu: ✅ = đủ thông tin, 📝 = còn thiếu thông tin (mở sản phẩm để xem thiếu gì)"
    ]
    screen = await hoa.press("✅ Chè búp Tân Cương đặc biệt")
    assert screen[0]["method"] == "sendPhoto"  # the cover, as a square thumbnail
    with Image.open(io.BytesIO(screen[0]["photo"])) as cover:
        assert (cover.format, cover.size) == ("JPEG", (320, 320))
    assert screen.texts[1].startswith(f"📦 Chè búp Tân Cương đặc biệt — mã {code}\n")
    assert screen.texts[1].endswith("\n\n✅ Đã đủ thông tin.\nẢnh: 4")

    # What was stored is what was typed.
    product = await bot.product(code)
    assert (product.name, product.group, product.subgroup) == (
        "Chè búp Tân Cương đặc biệt",
        "food",
        "tea",
    )
    assert (product.stars, product.cert_number) == (4, "1234/QĐ-UBND")
    assert (str(product.cert_date), str(product.cert_expiry)) == ("2024-05-20", "2027-05-20")
    assert (product.description, product.story, product.ingredients) == (
        DESCRIPTION,
        STORY,
        INGREDIENTS,
    )
    assert (product.price_vnd, product.unit) == (125_000, "hộp")
    assert (product.net_amount, product.net_unit, product.package_weight_g) == (200, "g", 260)
    assert (product.length_mm, product.width_mm, product.height_mm) == (200, 80, 80)
    assert (product.shelf_life, product.growing_area_code) == ("P12M", "VN-TN-CHE-001")
    assert product.gtin == "8930000000019"
    assert sorted((c.kind, c.number, str(c.expiry)) for c in product.certifications) == [
        ("haccp", "HC-9", "2028-01-01"),
        ("organic", "ORG-77", "2027-06-15"),
        ("vietgap", "VG-123", "2027-12-31"),
    ]
    assert [(p.mime, p.width, p.height) for p in product.photos] == [
        ("image/jpeg", 1200, 900),
        ("image/jpeg", 1200, 900),
        ("image/jpeg", 800, 800),
        ("image/png", 900, 1200),
    ]

    # --- /status: each marketplace with its status and what is missing
    async with bot.runtime.db.transaction() as session:
        stored = await product_by_code(session, code)
        assert stored is not None
        await set_listing(session, stored, "shopee", "live", url=SHOPEE_URL)
        await set_listing(session, stored, "lazada", "rejected", reason="Ảnh bìa có chữ")
    screen = await hoa.send("/status")
    status = screen.texts[0]
    assert status.startswith(f"📦 Chè búp Tân Cương đặc biệt ({code})\n")
    missing_food_safety = "    ❌ Cần giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm"
    for marketplace in bot.settings.marketplaces:
        block = block_of(status, marketplace.name)
        if marketplace.id == "shopee":
            assert block == [f"• {marketplace.name}: ✅ đang bán", f"    {SHOPEE_URL}"]
        elif marketplace.id == "lazada":
            assert block == [
                f"• {marketplace.name}: ❌ bị từ chối",
                "    Lý do: Ảnh bìa có chữ",
                missing_food_safety,
            ]
        else:  # a food product without a food-safety certificate: the one thing missing
            assert block == [f"• {marketplace.name}: chưa bắt đầu", missing_food_safety]
    assert screen.buttons == ["📦 Sản phẩm của tôi", "🏠 Menu chính"]

    screen = await hoa.send("/products")
    assert f"✅ Chè búp Tân Cương đặc biệt — mã {code} — đang bán trên 1 sàn" in screen.text

    # The other user was never mixed up with this one.
    screen = await ann.send("/menu")
    assert len(screen) == 1 and screen.texts[0].startswith("Chào mừng anh/chị")  # as she chose
    assert screen.buttons == WELCOME_VI


async def test_contact_of_someone_else_is_refused(bot: E2E) -> None:
    ann = bot.chat(2003, "Ann", "en")
    await ann.start_in_english()
    await ann.press("📝 Register my OCOP entity")
    phone_step = await ann.walk(
        [
            ("send", "Ann's Honey House", "What kind of entity"),
            ("press", "Business household", "Full name of the representative"),
            ("send", "Ann Nguyen", "Contact phone number"),
        ]
    )
    # A contact picked from the address book (not the share button) carries no user id.
    screen = await ann.contact("84987654321", own=False)
    assert screen.texts == [f"Please share your own phone number.\n\n{phone_step.text}"], screen
    assert reply_keyboard(screen[0]) == reply_keyboard(phone_step[0])
    screen = await ann.contact("84912345678", own=True)
    assert screen.texts == [
        "✅ Received.",
        "Which province or city? Type its name, for example: Lâm Đồng",
    ]


async def test_star_buttons_read_naturally_in_english(bot: E2E) -> None:
    ann = await bot.producer(2004)
    await ann.press("➕ New product")
    screen = await ann.walk(PRODUCT_STEPS_TO_STARS)
    assert screen.buttons[:6] == [
        "⭐ 1 star",
        "⭐⭐ 2 stars",
        "⭐⭐⭐ 3 stars",
        "⭐⭐⭐⭐ 4 stars",
        "⭐⭐⭐⭐⭐ 5 stars",
        "Not rated yet",
    ]

"""Bad input at every kind of step: a clear message in the user's language, the same
question again, and nothing entered before it lost."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.e2e.conftest import E2E, Screen, oversized_jpeg, picture, reply_keyboard

TOO_BIG = 10 * 1024 * 1024 + 1  # one byte over config.toml's max_photo_bytes (10 MB)
NO_LETTERS = "Cần có chữ hoặc số, không chỉ biểu tượng hay mã định dạng."
INVISIBLE = "Nội dung chỉ có ký tự ẩn (không nhìn thấy). Anh/chị gõ lại bằng chữ hoặc số nhé."


def asks_again(question: Screen, message: str, screen: Screen) -> None:
    """`screen` is one message: `message`, a blank line, then exactly the `question` asked
    before, with the same buttons or keys."""
    assert len(question) == 1, question
    assert screen.texts == [f"{message}\n\n{question.texts[0]}"], screen
    assert screen.buttons == question.buttons, screen
    assert [reply_keyboard(o) for o in screen] == [reply_keyboard(o) for o in question]


async def test_bad_inputs(bot: E2E) -> None:
    lan = bot.chat(4001, "Lan", "vi")
    await lan.send("/start")  # the app speaks Vietnamese: so does the bot, without asking

    # --- registration ----------------------------------------------------
    name_q = Screen((await lan.press("📝 Đăng ký chủ thể OCOP"))[-1:])
    assert name_q.texts[0].startswith("Tên chủ thể OCOP")
    bad = [
        ("😀", NO_LETTERS),
        ("🌾 … ⭐", NO_LETTERS),
        ("<b></b>", NO_LETTERS),  # markup alone is no name
        ("&nbsp; <br/>", NO_LETTERS),
        ("\u200b\u200d\u2066", INVISIBLE),  # zero-width and bidi characters only
        ("\x00\x07", INVISIBLE),
        ("H", "Hơi ngắn quá, cần ít nhất 2 ký tự."),
        ("Hợp tác xã " + "x" * 239, "Dài quá (250 ký tự); tối đa 200 ký tự."),
    ]
    for text, message in bad:
        asks_again(name_q, message, await lan.send(text))
    kind_q = await lan.send("   HTX Mây tre đan Phú Vinh   ")  # the spaces are dropped
    assert kind_q.texts == ["Chủ thể thuộc loại nào?"]
    asks_again(kind_q, "Anh/chị vui lòng chọn một nút bên dưới.", await lan.send("HTX lớn"))
    rep_q = await lan.press("Hợp tác xã (HTX)")
    asks_again(rep_q, NO_LETTERS, await lan.send("😀😀"))
    phone_q = await lan.send("Trần Thị Lan")
    assert len(phone_q) == 1  # the question, with the share key and the other keys
    bad = [
        ("12345", "Số điện thoại chưa đúng. Ví dụ: 0912 345 678 hoặc +84 912 345 678."),
        ("0912 345 67a", "Số điện thoại chưa đúng. Ví dụ: 0912 345 678 hoặc +84 912 345 678."),
    ]
    for text, message in bad:
        asks_again(phone_q, message, await lan.send(text))
    asks_again(
        phone_q,
        "Bước này cần gõ chữ, không cần gửi ảnh hay tệp.",
        await lan.photo(picture(10)),
    )
    province_q = Screen((await lan.send("0987 654 321"))[-1:])
    assert province_q.texts == ["Tỉnh/thành phố nào? Gõ tên, ví dụ: Lâm Đồng"]
    asks_again(
        province_q,
        "Không tìm thấy «Atlantis». Anh/chị gõ lại tên, có dấu hoặc không dấu đều được.",
        await lan.send("Atlantis"),
    )
    asks_again(
        province_q,
        "Không tìm thấy «😀». Anh/chị gõ lại tên, có dấu hoặc không dấu đều được.",
        await lan.send("😀"),
    )
    await lan.walk(
        [
            ("send", "Ha Noi", "Xã/phường/đặc khu nào?"),
            ("send", "phuc son", "Địa chỉ cụ thể"),
            ("send", "Thôn Phú Vinh, xã Phúc Sơn", "Gửi vị trí cơ sở sản xuất"),
            ("key", "⏭ Bỏ qua", "Mã số thuế"),
        ]
    )
    tax_q = Screen(lan.api.sent(lan.id)[-1:])
    asks_again(
        tax_q,
        "Mã số thuế gồm 10 chữ số, chi nhánh thêm dấu - và 3 số (ví dụ 0123456789-001).",
        await lan.send("12345"),
    )
    await lan.walk(
        [
            ("send", "0109876543", "Có hiện số điện thoại"),
            ("press", "Không", "Câu chuyện của cơ sở"),
            ("press", "⏭ Bỏ qua", "Đúng thì bấm «Lưu»"),
        ]
    )
    confirm_q = Screen(lan.api.sent(lan.id)[-1:])
    asks_again(
        confirm_q,
        "Anh/chị bấm «Lưu» để lưu, hoặc «Quay lại» để sửa.",
        await lan.send("ok"),
    )
    assert "Đăng ký xong" in (await lan.press("💾 Lưu")).text

    # --- a product -----------------------------------------------------------
    await lan.press("➕ Thêm sản phẩm")
    group_q = await lan.send("Giỏ mây đan Phú Vinh")
    asks_again(group_q, "Anh/chị vui lòng chọn một nút bên dưới.", await lan.send("giỏ"))
    await lan.press("Thủ công mỹ nghệ")
    stars_q = await lan.press("Thủ công mỹ nghệ, đồ gia dụng, trang trí")
    assert stars_q.texts == ["Sản phẩm đã được xếp hạng OCOP mấy sao?"]
    stars_message = "Hạng sao OCOP chỉ từ 1 đến 5. Chọn nút bên dưới, hoặc «Chưa xếp hạng»."
    for text in ("7", "0", "-3", "ba sao"):
        asks_again(stars_q, stars_message, await lan.send(text))
    cert_number_q = await lan.send("4 sao")
    assert cert_number_q.texts == ["Số quyết định công nhận OCOP? Ví dụ: 1234/QĐ-UBND"]
    asks_again(cert_number_q, "Chỉ dùng chữ, số và các dấu - / . :", await lan.send("QĐ #12!"))
    cert_date_q = await lan.send("88/QĐ-UBND")
    bad = [
        ("31/02/2024", "Ngày này không có thật. Vui lòng kiểm tra lại."),
        ("2024-05-20", "Ngày cần viết theo dạng ngày/tháng/năm, ví dụ 20/05/2024."),
        ("24/11/2026", "Ngày quyết định không thể ở tương lai."),  # the clock says 23/11/2026
    ]
    for text, message in bad:
        asks_again(cert_date_q, message, await lan.send(text))
    description_q = await lan.send("29/02/2024")  # a real date: 2024 is a leap year
    assert description_q.texts[0].startswith("Mô tả sản phẩm")
    bad = [
        ("x" * 3001, "Dài quá (3.001 ký tự); tối đa 3.000 ký tự."),
        ("Giỏ đẹp", "Hơi ngắn quá, cần ít nhất 10 ký tự."),
        ("😀😀😀😀😀😀😀😀😀😀", NO_LETTERS),
    ]
    for text, message in bad:
        asks_again(description_q, message, await lan.send(text))
    asks_again(
        description_q,
        "Bước này cần gõ chữ, không cần gửi ảnh hay tệp.",
        await lan.document(b"%PDF-1.4", "mo-ta.pdf", "application/pdf"),
    )
    await lan.send("Giỏ mây đan tay từ mây rừng, bền, nhẹ, dùng đựng hoa quả.")
    price_q = await lan.press("⏭ Bỏ qua")
    assert price_q.texts == ["Giá bán (đồng)? Ví dụ: 125000, 125.000 hoặc 125k"]
    bad = [
        ("-5000", "Số không được âm."),
        ("0", "Số phải lớn hơn 0."),
        ("mười nghìn", "Giá chưa đúng. Ví dụ: 125000, 125.000 hoặc 125k."),
        ("12,5", "Giá chưa đúng. Ví dụ: 125000, 125.000 hoặc 125k."),
        ("2 tỷ", "Giá chưa đúng. Ví dụ: 125000, 125.000 hoặc 125k."),
    ]
    for text, message in bad:
        asks_again(price_q, message, await lan.send(text))
    await lan.send("350k")
    net_q = await lan.press("cái")
    bad = [
        ("0 g", "Số phải lớn hơn 0."),
        ("-1 kg", "Số không được âm."),
        ("nhiều", "Chưa đúng. Ví dụ: 500 g, 1,5 kg, 750 ml hoặc 1 lít."),
    ]
    for text, message in bad:
        asks_again(net_q, message, await lan.send(text))
    weight_q = await lan.send("1,2 kg")
    for text, message in [("0", "Số phải lớn hơn 0."), ("-300", "Số không được âm.")]:
        asks_again(weight_q, message, await lan.send(text))
    size_q = await lan.send("1,5 kg")
    bad = [
        ("40x30", "Kích thước cần ghi dài x rộng x cao, ví dụ 20x10x5 (cm)."),
        ("40x0x20", "Số phải lớn hơn 0."),
        ("40x-30x20", "Số không được âm."),
        ("4000x30x20", "Kích thước quá lớn (tối đa 10 m mỗi cạnh)."),
    ]
    for text, message in bad:
        asks_again(size_q, message, await lan.send(text))
    shelf_q = await lan.send("40x30x20")
    asks_again(
        shelf_q,
        "Hạn sử dụng chưa đúng. Ví dụ: 12 tháng, 30 ngày, 2 năm.",
        await lan.send("mãi mãi"),
    )
    certs_q = await lan.press("⏭ Bỏ qua")  # a handicraft: no ingredients asked
    assert certs_q.texts[0].startswith("Sản phẩm có chứng nhận nào khác?")
    await lan.press("ISO 22000")
    cert_q = await lan.press("✔️ Xong")
    asks_again(
        cert_q,
        "Cần ghi số giấy chứng nhận rồi ngày hết hạn, ví dụ: VG-123 31/12/2027",
        await lan.send("ISO-9"),
    )
    area_q = await lan.send("ISO-9 30/06/2028")
    asks_again(area_q, "Chỉ dùng chữ, số và các dấu - / . :", await lan.send("vùng #1"))
    gtin_q = await lan.press("⏭ Bỏ qua")
    bad = [
        (
            "8930000000010",
            "Số kiểm tra của mã vạch không đúng (số cuối phải là 9). "
            "Anh/chị xem lại mã trên bao bì nhé.",
        ),
        ("893000000001", "Mã vạch GTIN-13 cần đúng 13 chữ số."),
    ]
    for text, message in bad:
        asks_again(gtin_q, message, await lan.send(text))
    summary = await lan.send("893 0000 000019")
    assert "Đúng thì bấm «Lưu»" in summary.text
    saved = await lan.press("💾 Lưu")
    code = saved.text.split("Mã sản phẩm: ")[1].split()[0]

    # --- photos -------------------------------------------------------------
    photos_q = await lan.press("📷 Thêm ảnh")
    assert photos_q.texts[0].startswith("Gửi ảnh cho «Giỏ mây đan Phú Vinh» (đang có 0/10 ảnh).")
    not_image = "Tệp này không phải ảnh JPEG, PNG hoặc WebP. Anh/chị gửi lại ảnh khác nhé."
    bad_photos: list[tuple[Callable[[], Awaitable[Screen]], str]] = [
        (lambda: lan.send("ảnh đây"), "Anh/chị gửi ảnh sản phẩm nhé (bấm 📎 rồi chọn ảnh)."),
        (lambda: lan.document(b"Gio may dan\n", "ghi-chu.txt", "text/plain"), not_image),
        (lambda: lan.document(b"\x89PNG\r\n\x1a\n broken", "anh.png", "image/png"), not_image),
        (
            lambda: lan.photo(oversized_jpeg(TOO_BIG)),
            "Ảnh quá nặng (tối đa 10 MB). Anh/chị gửi ảnh nhỏ hơn nhé.",
        ),
        (
            lambda: lan.photo(picture(20, (150, 150))),
            "Ảnh quá nhỏ (150×150); cạnh ngắn cần ít nhất 200 điểm ảnh.",
        ),
    ]
    for send, message in bad_photos:
        asks_again(photos_q, message, await send())
    screen = await lan.photo(picture(21))
    assert screen.texts[0].startswith("📷 Đã lưu ảnh số 1 (tổng 1 ảnh).")
    screen = await lan.photo(picture(21))
    assert screen.texts[0].startswith(
        "Ảnh này đã có trong sản phẩm rồi.\n\n"
        "Gửi ảnh cho «Giỏ mây đan Phú Vinh» (đang có 1/10 ảnh)."
    )
    screen = await lan.press("✔️ Xong")
    assert screen.texts == ["Ảnh của «Giỏ mây đan Phú Vinh» (1):\n1. 1000×800 — ảnh đại diện"]

    # --- everything entered between the refusals was kept ------------------------
    product = await bot.product(code)
    assert (product.name, product.group, product.subgroup) == (
        "Giỏ mây đan Phú Vinh",
        "handicrafts",
        "crafts_household",
    )
    assert (product.stars, product.cert_number, str(product.cert_date)) == (
        4,
        "88/QĐ-UBND",
        "2024-02-29",
    )
    assert product.description == "Giỏ mây đan tay từ mây rừng, bền, nhẹ, dùng đựng hoa quả."
    assert product.story is None
    assert (product.price_vnd, product.unit) == (350_000, "cái")
    assert (product.net_amount, product.net_unit, product.package_weight_g) == (1200, "g", 1500)
    assert (product.length_mm, product.width_mm, product.height_mm) == (400, 300, 200)
    assert (product.shelf_life, product.ingredients, product.growing_area_code) == (None,) * 3
    assert [(c.kind, c.number, str(c.expiry)) for c in product.certifications] == [
        ("iso22000", "ISO-9", "2028-06-30")
    ]
    assert product.gtin == "8930000000019"
    assert len(product.photos) == 1
    screen = await lan.send("/profile")
    assert "🏠 HTX Mây tre đan Phú Vinh\n" in screen.text
    assert "Người đại diện: Trần Thị Lan" in screen.text
    assert "Điện thoại: +84987654321" in screen.text
    assert "Mã số thuế: 0109876543" in screen.text

    # --- a price above the limit, while editing: the limit is written as amounts are
    # (grouped digits, "1.000.000.000"), not as a bare "1000000000".
    await lan.send("/products")
    await lan.press("📝 Giỏ mây đan Phú Vinh")
    await lan.press("✏️ Sửa")
    edit_q = await lan.press("Giá bán")
    assert edit_q.texts == [
        "Giá bán (đồng)? Ví dụ: 125000, 125.000 hoặc 125k\n(Hiện tại: 350.000\xa0₫)"
    ]
    screen = await lan.send("2000tr")
    assert screen.texts[0].endswith("\n\n" + edit_q.texts[0]), screen
    assert screen.texts[0].startswith("Giá quá cao (tối đa 1.000.000.000"), screen

"""Officers over Telegram, the parts that need the engine's document step and the
deep-link hook in routes.py: CSV files as documents, and /start o_CODE."""

from __future__ import annotations

import re

from tests.e2e.test_officers import ADMIN, OfficersE2E, bot, officer_of_thai_nguyen

__all__ = ["bot"]  # the fixture with an admin, from test_officers


async def test_listings_from_an_uploaded_csv_file(bot: OfficersE2E) -> None:
    officer = await officer_of_thai_nguyen(bot)
    hoa = bot.chat(1001, "Hoa", "en")
    await hoa.start_in_english()
    await hoa.register()
    code = await hoa.add_product()
    await officer.send("/listings")
    screen = await officer.press("📄 Upload a CSV file")
    assert screen.texts[0].startswith("Send a CSV file (UTF-8, separated by commas or semicolons)")

    # Excel's "CSV UTF-8": a BOM, semicolons, CRLF, Vietnamese headers and statuses.
    good = (
        "\ufeffMã;Sàn;Trạng thái;Đường dẫn;Lý do\r\n"
        f"{code};Shopee;Đang bán;https://shopee.vn/che-i.1.2;\r\n"
        f"{code};lazada;bị từ chối;;Thiếu giấy ATTP\r\n"
    ).encode()
    screen = await officer.document(good, "san-tmdt.csv", "text/csv")
    assert screen.texts[0] == (
        "✅ File applied. Rows: 2 · changed: 2 · unchanged: 0 · producers told: 1.\n"
        f"Line 2: {code} · Shopee → ✅ live\nLine 3: {code} · Lazada → ❌ rejected"
    )
    assert screen.buttons == ["🏠 Main menu"]
    product = await bot.product(code)
    assert {(x.marketplace, x.status) for x in product.listings} == {
        ("shopee", "live"),
        ("lazada", "rejected"),
    }

    # A spreadsheet, a file with 40 bad rows (its report also comes as a file), a huge file.
    await officer.send("/listings")
    await officer.press("📄 Upload a CSV file")
    screen = await officer.document(b"PK\x03\x04", "san.xlsx", "application/vnd.ms-excel")
    assert screen.texts[0].startswith("That is an Excel file. Please save it as CSV")
    bad = "code,marketplace,status\n" + "".join(f"ZZZZ{n:02},voso,live\n" for n in range(40))
    screen = await officer.document(bad.encode(), "bad.csv", "text/csv")
    assert screen.texts[0].startswith("❌ Nothing was changed. Problems found: 40.")
    assert screen.texts[0].endswith("… and 10 more lines (see the report file).")
    assert screen[1]["document_name"] == "listings-report.txt"
    assert len(screen[1]["document"].decode().splitlines()) == 1 + 40
    assert screen.texts[-1].startswith("Send a CSV file")  # asks for the corrected file
    huge = "code,marketplace,status\n" + f"{code},voso,live\n" * 100_000
    screen = await officer.document(huge.encode(), "all.csv", "text/csv")
    assert "The file has more than 5000 rows." in screen.texts[0]
    product = await bot.product(code)
    assert {(x.marketplace, x.status) for x in product.listings} == {
        ("shopee", "live"),
        ("lazada", "rejected"),
    }


async def test_the_invite_deep_link_on_first_contact(bot: OfficersE2E) -> None:
    admin = bot.chat(ADMIN, "Admin", "en")
    await admin.start_in_english()
    await admin.press("🔑 Invite an officer")
    screen = await admin.send("Lâm Đồng")
    link = re.search(r"https://t\.me/\w+\?start=(o_\w+)", screen.text)
    assert link, screen
    officer = bot.chat(7001, "Minh", "vi")
    screen = await officer.send(f"/start {link[1]}")  # the link opens the chat: at once
    assert screen.texts[0].startswith("🎉 Anh/chị đã là cán bộ OCOP của Lâm Đồng.")
    assert "📋 Duyệt sản phẩm" in screen.buttons
    assert screen.buttons[-1] == "🇬🇧 English"  # the app's language, and a switch
    screen = await officer.send(f"/start {link[1]}")  # the link a second time
    assert screen.texts[0].startswith(
        "Anh/chị đã là cán bộ Lâm Đồng rồi, không cần dùng mã mời nữa."
    )

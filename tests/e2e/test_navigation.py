"""Moving around a form: later and resume, cancel, back, and buttons of older screens."""

from __future__ import annotations

from tests.e2e.conftest import E2E, PRODUCT_NAME, PRODUCT_STEPS_EN, Screen, step_index

NAV = ["◀️ Back", "🕓 Later", "✖️ Cancel"]
ASK_NAME = "Product name? For example: Tân Cương green tea"
ASK_DESCRIPTION = (
    "Product description (at least 10 characters): what it is made of, how it is used, "
    "what is special."
)
ASK_CERT_DATE = (
    "Decision date (dd/mm/yyyy)? For example: 20/05/2024. "
    "The certificate is valid for 36 months from then."
)
ASK_CERT_NUMBER = "OCOP recognition decision number? For example: 1234/QĐ-UBND"
ASK_STORY = "The product's story: origin, tradition, people. You may skip and add it later."
ASK_PRICE = "Selling price in VND? For example: 125000, 125.000 or 125k"
ASK_STARS = "How many OCOP stars does the product have?"
SAVED_FOR_LATER = (
    "“New product” is saved for later. Press “Continue” in the menu or type /resume to carry on."
)
CANCELLED = "Cancelled. Nothing you entered here was saved."
OUT_OF_DATE = "This menu is out of date. Here is the current one:"
MENU = "Main menu — HTX Chè Tân Cương Xanh"


async def test_cancel_and_resume(bot: E2E) -> None:
    hoa = await bot.producer(3001)
    await hoa.press("➕ New product")
    screen = await hoa.walk(PRODUCT_STEPS_EN[: step_index("20/05/2024") + 1])
    assert screen.texts == [ASK_DESCRIPTION]

    # "Later" keeps the draft; the menu offers to continue it, first.
    screen = await hoa.press("🕓 Later")
    assert screen.texts == [f"{SAVED_FOR_LATER}\n\n{MENU}"]
    assert screen.buttons[0] == "▶️ Continue: New product"

    # Meanwhile the rest of the bot works as usual.
    screen = await hoa.send("/products")
    assert screen.texts == ["You have no products yet."]
    screen = await hoa.press("🏠 Main menu")
    assert screen.texts == [MENU]
    assert screen.buttons[0] == "▶️ Continue: New product"

    screen = await hoa.press("▶️ Continue: New product")
    assert screen.texts == [f"Continuing “New product” where you left off.\n\n{ASK_DESCRIPTION}"]
    assert screen.buttons == NAV
    screen = await hoa.press("◀️ Back")  # the answers before "Later" are all there
    assert screen.texts == [f"{ASK_CERT_DATE}\n(Now: 20/05/2024)"]
    screen = await hoa.press("◀️ Back")
    assert screen.texts == [f"{ASK_CERT_NUMBER}\n(Now: 1234/QĐ-UBND)"]

    # /menu in the middle of a form puts it aside too; /resume brings it back.
    screen = await hoa.send("/menu")
    assert screen.texts == [f"{SAVED_FOR_LATER}\n\n{MENU}"]
    screen = await hoa.send("/resume")
    assert screen.texts == [
        f"Continuing “New product” where you left off.\n\n{ASK_CERT_NUMBER}\n(Now: 1234/QĐ-UBND)"
    ]
    # "New product" with a draft waiting continues the draft rather than losing it.
    screen = await hoa.press("🕓 Later")
    screen = await hoa.press("➕ New product")
    assert screen.texts[-1].endswith(f"\n\n{ASK_CERT_NUMBER}\n(Now: 1234/QĐ-UBND)")

    screen = await hoa.walk(PRODUCT_STEPS_EN[step_index("1234/QĐ-UBND") :])
    code = screen.text.split("Product code: ")[1].split()[0]
    product = await bot.product(code)
    assert (product.name, product.group, product.subgroup, product.stars) == (
        PRODUCT_NAME,
        "food",
        "tea",
        4,
    )
    assert str(product.cert_date) == "2024-05-20"
    screen = await hoa.send("/menu")
    assert "▶️ Continue: New product" not in screen.buttons  # the draft is gone once saved

    # /cancel discards: nothing saved, no draft, and a new form starts empty.
    await hoa.press("➕ New product")
    await hoa.walk(
        [
            ("send", "Mứt gừng Tân Cương", "Which product group?"),
            ("press", "Food", "Which subgroup?"),
        ]
    )
    screen = await hoa.send("/cancel")
    assert screen.texts == [f"{CANCELLED}\n\n{MENU}"]
    assert "▶️ Continue: New product" not in screen.buttons
    assert await bot.product_count() == 1
    screen = await hoa.send("/cancel")
    assert screen.texts == [f"There is nothing in progress to cancel.\n\n{MENU}"]
    screen = await hoa.press("➕ New product")
    assert screen.texts == [ASK_NAME]  # no "(Now: …)": nothing of the cancelled form

    # The Cancel button does the same, also after a "Later".
    await hoa.send("Mứt gừng Tân Cương")
    await hoa.press("🕓 Later")
    await hoa.press("▶️ Continue: New product")
    screen = await hoa.press("✖️ Cancel")
    assert screen.texts == [f"{CANCELLED}\n\n{MENU}"]
    assert "▶️ Continue: New product" not in screen.buttons
    screen = await hoa.send("/resume")
    assert screen.texts == [f"There is nothing unfinished to continue.\n\n{MENU}"]
    assert await bot.product_count() == 1


async def test_back(bot: E2E) -> None:
    hoa = await bot.producer(3002)
    screen = await hoa.press("➕ New product")
    screen = await hoa.press("◀️ Back")
    assert screen.texts == [f"This is already the first step.\n\n{ASK_NAME}"]

    screen = await hoa.walk(
        [
            ("send", "Mật ong hoa nhãn Hưng Yên", "Which product group?"),
            ("press", "Food", "Which subgroup?"),
            ("press", "Processed food", ASK_STARS),
            ("press", "Not rated yet", ASK_DESCRIPTION),  # no decision number without stars
            ("send", "Mật ong nguyên chất từ hoa nhãn, không pha đường.", ASK_STORY),
            ("send", "Ba đời nuôi ong bên sông Hồng.", ASK_PRICE),
        ]
    )
    # Back shows the previous question with the answer given.
    screen = await hoa.press("◀️ Back")
    assert screen.texts == [f"{ASK_STORY}\n(Now: Ba đời nuôi ong bên sông Hồng.)"]
    assert screen.buttons == ["◀️ Back", "⏭ Skip", "🕓 Later", "✖️ Cancel"]
    screen = await hoa.press("◀️ Back")
    assert screen.texts == [
        f"{ASK_DESCRIPTION}\n(Now: Mật ong nguyên chất từ hoa nhãn, không pha đường.)"
    ]
    screen = await hoa.press("◀️ Back")
    assert len(screen) == 1 and screen.texts[0].startswith(ASK_STARS)

    # A different answer there: the steps that now apply are asked, the rest is kept.
    screen = await hoa.press("⭐⭐⭐ 3 stars")
    assert screen.texts == [ASK_CERT_NUMBER]
    screen = await hoa.send("56/QĐ-UBND")
    assert screen.texts == [ASK_CERT_DATE]
    screen = await hoa.send("01/03/2025")
    assert screen.texts == [
        f"{ASK_DESCRIPTION}\n(Now: Mật ong nguyên chất từ hoa nhãn, không pha đường.)"
    ]
    screen = await hoa.send("Mật ong hoa nhãn nguyên chất, sánh, thơm mùi nhãn.")  # changed
    assert screen.texts == [f"{ASK_STORY}\n(Now: Ba đời nuôi ong bên sông Hồng.)"]
    screen = await hoa.press("⏭ Skip")  # skipping an optional step clears it
    assert screen.texts == [ASK_PRICE]

    screen = await hoa.walk(
        [
            ("send", "250k", "Unit of sale"),
            ("press", "jar", "Net weight"),
            ("send", "500 g", "Weight with packaging"),
            ("send", "700 g", "Package size"),
            ("send", "10x10x12", "Shelf life"),
            ("send", "2 years", "Ingredients"),
            ("send", "Mật ong hoa nhãn 100%", "Any other certifications"),
            ("press", "✔️ Done", "Growing-area code"),
            ("press", "⏭ Skip", "GTIN-13"),
            ("press", "⏭ Skip", "press “Save”"),
        ]
    )
    # Back from the summary goes to the last question; Save then saves.
    screen = await hoa.press("◀️ Back")
    assert screen.texts[0].startswith("GTIN-13 barcode number")
    screen = await hoa.press("⏭ Skip")
    screen = await hoa.press("💾 Save")
    code = screen.text.split("Product code: ")[1].split()[0]
    product = await bot.product(code)
    assert (product.stars, product.cert_number, str(product.cert_date)) == (
        3,
        "56/QĐ-UBND",
        "2025-03-01",
    )
    assert product.description == "Mật ong hoa nhãn nguyên chất, sánh, thơm mùi nhãn."
    assert product.story is None
    assert (product.price_vnd, product.unit, product.shelf_life) == (250_000, "jar", "P2Y")

    # Back works in registration forms too, phone step included.
    other = bot.chat(3003, "Bao", "en")
    await other.start_in_english()
    await other.press("📝 Register my OCOP entity")
    await other.walk(
        [
            ("send", "Tổ hợp tác Mây tre Phú Vinh", "What kind of entity"),
            ("press", "Cooperative group", "Full name of the representative"),
            ("send", "Trần Văn Bảo", "Contact phone number"),
            ("send", "0987 654 321", "Which province"),
        ]
    )
    screen = await other.press("◀️ Back")
    assert screen.texts == [
        "Contact phone number? Type it, for example 0912 345 678.\n"
        "Or press “📱 Share my phone number” below.\n(Now: +84987654321)"
    ]
    # Back is a key under the share key there (a message carries one keyboard).
    screen = await other.key("◀️ Back")  # leaving the phone step takes its share key away
    assert screen.texts == [
        "◀️ Back to the previous step.",
        "Full name of the representative?\n(Now: Trần Văn Bảo)",
    ]

    # Changing the language in the middle of a form: the same question, in the new language.
    screen = await other.send("/language")
    assert screen.buttons == ["🇬🇧 English", "🇻🇳 Tiếng Việt"]
    screen = await other.press("🇻🇳 Tiếng Việt")
    assert screen.texts == [
        "Đã chọn Tiếng Việt. Có thể đổi bất cứ lúc nào bằng /language.\n\n"
        "Họ tên người đại diện?\n(Hiện tại: Trần Văn Bảo)"
    ]
    assert screen.buttons == ["◀️ Quay lại", "🕓 Để sau", "✖️ Hủy"]
    screen = await other.send("Trần Văn Bảo")
    assert screen.texts[0].startswith("Số điện thoại liên hệ?")
    assert screen.texts[0].endswith("(Hiện tại: +84987654321)")


async def test_share_keys_go_away(bot: E2E) -> None:
    """The "share my phone/location" key is taken away whenever its step is left."""
    bao = bot.chat(3005, "Bao", "en")
    await bao.start_in_english()
    await bao.press("📝 Register my OCOP entity")
    await bao.walk(
        [
            ("send", "Tổ hợp tác Mây tre Phú Vinh", "What kind of entity"),
            ("press", "Cooperative group", "Full name of the representative"),
            ("send", "Trần Văn Bảo", "Contact phone number"),
        ]
    )
    assert bao.share_keys() == ["📱 Share my phone number", "◀️ Back", "🕓 Later", "✖️ Cancel"]
    screen = await bao.key("◀️ Back")
    assert screen.texts == [
        "◀️ Back to the previous step.",
        "Full name of the representative?\n(Now: Trần Văn Bảo)",
    ]
    keys_after_back = bao.share_keys()

    await bao.walk(
        [
            ("send", "Trần Văn Bảo", "Contact phone number"),
            ("send", "0987 654 321", "Which province"),
        ]
    )
    assert bao.share_keys() == []  # a typed number: "✅ Received." takes the key away
    await bao.walk(
        [
            ("send", "Ha Noi", "Which commune"),
            ("send", "Phuc Son", "Street address"),
            ("press", "⏭ Skip", "Share the location"),
        ]
    )
    assert bao.share_keys() == [
        "📍 Share my location",
        "◀️ Back",
        "⏭ Skip",
        "🕓 Later",
        "✖️ Cancel",
    ]
    screen = await bao.key("⏭ Skip")
    assert screen.texts[0] == "⏭ Skipped."  # this message takes the key away
    assert screen.texts[1].startswith("Tax code")
    keys_after_skip = bao.share_keys()

    # Left up, the key would send a contact or location to a step that wants typed text.
    assert (keys_after_back, keys_after_skip) == ([], [])


async def test_stale_button(bot: E2E) -> None:
    hoa = await bot.producer(3004)
    old_menu = hoa.newest_with("➕ New product")
    await hoa.press("➕ New product")
    groups = await hoa.send(PRODUCT_NAME)
    assert groups.texts == ["Which product group?"]
    subgroups = await hoa.press("Food")
    assert subgroups.texts == ["Which subgroup?"]

    # A button of the group question, pressed after it was answered.
    screen = await hoa.press("Beverages", groups.last)
    assert screen.texts == [f"{OUT_OF_DATE}\n\nWhich subgroup?"]
    assert screen.buttons == subgroups.buttons  # the current screen, still food subgroups
    # The main menu's button from before the form started.
    screen = await hoa.press("➕ New product", old_menu)
    assert screen.texts == [f"{OUT_OF_DATE}\n\nWhich subgroup?"]
    # Made-up callback data is no better.
    screen = await hoa.press_data(subgroups.last, "AAAA:0")
    assert screen.texts == [f"{OUT_OF_DATE}\n\nWhich subgroup?"]
    screen = await hoa.press_data(subgroups.last, "not-even-a-token")
    assert screen.texts == [f"{OUT_OF_DATE}\n\nWhich subgroup?"]

    # Nothing changed: the form goes on from the same step with the same answers.
    screen = await hoa.press("◀️ Back")
    assert screen.texts == ["Which product group?\n(Now: Food)"]
    screen = await hoa.press("Food")
    summary = await hoa.walk(PRODUCT_STEPS_EN[step_index("Tea and tea products") : -1])
    assert "Group: Food › Tea and tea products" in summary.text

    # Save pressed twice in a row (a double tap): one product, the second press is stale.
    save = summary.message_with("💾 Save")
    first = hoa.api.press(hoa.user, save, "💾 Save")
    second = hoa.api.press(hoa.user, save, "💾 Save")
    await bot.handled(first)
    await bot.handled(second)
    screen = Screen(await bot.api.settle(hoa.id, quiet=0))
    # (The two answers' messages may interleave: only what each says is checked.)
    assert sum(text.startswith(f"🎉 “{PRODUCT_NAME}” is saved.") for text in screen.texts) == 1
    # the current screen once the form is done, after the note
    assert f"{OUT_OF_DATE}\n\n{MENU}" in screen.texts, screen
    assert len(screen) == 2, screen
    assert await bot.product_count() == 1

    # Long after: the summary's Save, the group buttons — all stale, nothing created.
    screen = await hoa.press("💾 Save", save)
    assert screen.texts == [f"{OUT_OF_DATE}\n\n{MENU}"]
    screen = await hoa.press("Beverages", groups.last)
    assert screen.texts == [f"{OUT_OF_DATE}\n\n{MENU}"]
    assert await bot.product_count() == 1

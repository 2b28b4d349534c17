"""Changing and deleting a product from the chat."""

from __future__ import annotations

from tests.e2e.conftest import E2E, PRODUCT_NAME

ASK_PRICE = "Selling price in VND? For example: 125000, 125.000 or 125k"
EDIT_FIELDS = [
    "Product name",
    "Product group",
    "OCOP stars",
    "Description",
    "Story",
    "Price",
    "Unit",
    "Net weight",
    "Package weight",
    "Package size",
    "Shelf life",
    "Ingredients",
    "Other certifications",
    "Growing-area code",
    "GTIN barcode",
    "◀️ Back",
]


async def test_edit_and_delete(bot: E2E) -> None:
    hoa = await bot.producer(6001)
    code = await hoa.add_product()
    await hoa.add_photos(range(1, 4))
    before = await bot.product(code)

    # The product screen: cover photo, card, and what can be done with it.
    screen = await hoa.press("◀️ Back")
    assert [output["method"] for output in screen] == ["sendPhoto", "sendMessage"]
    assert "Price: ₫125,000 / box" in screen.texts[1]
    assert screen.texts[1].endswith("✅ Complete.\nPhotos: 3")
    assert screen.buttons == [
        "✏️ Edit",
        "📷 Photos",
        "🏷 QR labels and stamps",
        "🛒 Marketplace status",
        "🗑 Delete",
        "📦 My products",
        "🏠 Main menu",
    ]

    # --- edit the price: one question, showing the stored value
    screen = await hoa.press("✏️ Edit")
    assert screen.texts == [f"What would you like to change in “{PRODUCT_NAME}”?"]
    assert screen.buttons == EDIT_FIELDS
    price_q = await hoa.press("Price")
    assert price_q.texts == [f"{ASK_PRICE}\n(Now: ₫125,000)"]
    screen = await hoa.send("-150000")
    assert screen.texts == [f"The number can't be negative.\n\n{price_q.texts[0]}"]
    screen = await hoa.send("150k")
    assert screen.texts[0] == "✅ Product updated."
    assert "Price: ₫150,000 / box" in screen.texts[-1]
    assert screen.texts[-1].endswith("✅ Complete.\nPhotos: 3")
    after = await bot.product(code)
    assert after.price_vnd == 150_000
    unchanged = ("name", "stars", "cert_number", "description", "story", "unit", "gtin")
    assert [getattr(after, f) for f in unchanged] == [getattr(before, f) for f in unchanged]
    assert [(c.kind, c.number) for c in after.certifications] == [("vietgap", "VG-123")]

    # "Later" in an edit is a cancel: nothing changes.
    await hoa.press("✏️ Edit")
    await hoa.press("Price")
    screen = await hoa.press("🕓 Later")
    assert screen.texts[0] == "Cancelled. Nothing you entered here was saved."
    assert "Price: ₫150,000 / box" in screen.texts[-1]
    assert "▶️ Continue: New product" not in screen.buttons

    # --- edit the certifications: add the food-safety certificate → ready everywhere
    screen = await hoa.send("/status")
    assert screen.text.count("❌ A food-safety facility certificate is needed") == len(
        bot.settings.marketplaces
    )
    await hoa.send("/products")
    await hoa.press(f"✅ {PRODUCT_NAME}")
    await hoa.press("✏️ Edit")
    screen = await hoa.press("Other certifications")
    assert screen.buttons[:7] == [
        "✅ VietGAP",
        "GlobalGAP",
        "HACCP",
        "ISO 22000",
        "Organic",
        "Food-safety facility",
        "✔️ Done",
    ]
    screen = await hoa.press("Food-safety facility")
    assert "✅ Food-safety facility" in screen.buttons
    screen = await hoa.press("✔️ Done")
    assert screen.texts == [
        "VietGAP: certificate number and expiry date? For example: VG-123 31/12/2027\n"
        "(Now: VG-123 — 31/12/2027)"
    ]
    screen = await hoa.send("VG-123 31/12/2027")
    assert screen.texts == [
        "Food-safety facility: certificate number and expiry date? For example: VG-123 31/12/2027"
    ]
    screen = await hoa.send("ATTP-12/2024 01/03/2027")
    assert screen.texts[0] == "✅ Product updated."
    assert (
        "Food-safety facility certificate: no. ATTP-12/2024, expires 01/03/2027"
        in (screen.texts[-1])
    )
    screen = await hoa.send("/status")
    for marketplace in bot.settings.marketplaces:
        assert f"• {marketplace.name}: not started\n    ✅ Ready to list" in screen.text
    assert "❌" not in screen.text

    # --- delete, with a confirmation
    await hoa.send("/products")
    await hoa.press(f"✅ {PRODUCT_NAME}")
    screen = await hoa.press("🗑 Delete")
    assert screen.texts == [
        f"Delete “{PRODUCT_NAME}” (code {code})? Its photos and listings go too. "
        "This cannot be undone."
    ]
    assert screen.buttons == ["🗑 Yes, delete", "✖️ Cancel"]
    screen = await hoa.press("✖️ Cancel")  # changed my mind: back to the product
    assert screen.texts[-1].startswith(f"📦 {PRODUCT_NAME} — code {code}")
    assert await bot.product_count() == 1

    confirm = await hoa.press("🗑 Delete")
    screen = await hoa.press("🗑 Yes, delete")
    assert screen.texts == [f"🗑 “{PRODUCT_NAME}” deleted.\n\nYou have no products yet."]
    assert await bot.product_count() == 0
    screen = await hoa.press("🗑 Yes, delete", confirm.last)  # a second tap: nothing left to do
    assert screen.texts[0].startswith("This menu is out of date. Here is the current one:")
    screen = await hoa.send("/products")
    assert screen.texts == ["You have no products yet."]
    screen = await hoa.send("/status")
    assert screen.texts == ["You have no products yet."]

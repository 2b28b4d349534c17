"""Officers setting listings: one at a time in the chat, or many from a CSV file."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.flows.listings_import import import_listings
from bot.runtime import Runtime
from storage.models import Listing, Product
from tests.helpers import Chat, labels, make_product
from tests.officers.people import People, audit, buttons_of, context, outbox, user_of

SHOPEE = "https://shopee.vn/che-bup-tan-cuong-i.1234.5678"
LAZADA = "https://www.lazada.vn/products/che-bup-i123.html"


async def listings(
    runtime: Runtime, product_id: int
) -> dict[str, tuple[str, str | None, str | None]]:
    async with runtime.db.transaction() as session:
        product = await session.scalar(
            select(Product).where(Product.id == product_id).options(selectinload(Product.listings))
        )
        assert product is not None
        return {item.marketplace: (item.status, item.url, item.reason) for item in product.listings}


async def code_of(runtime: Runtime, product_id: int) -> str:
    async with runtime.db.transaction() as session:
        product = await session.get(Product, product_id)
        assert product is not None
        return product.code


async def set_shopee_live(officer: Chat) -> None:
    await officer.say("/listings")
    await officer.press("🔎 Find a product")
    await officer.say("che bup")  # one match: straight to its marketplaces
    await officer.press("Shopee")
    await officer.press("✅ live")
    await officer.say(SHOPEE)
    await officer.press("💾 Save")


async def test_setting_a_listing_in_the_chat(runtime: Runtime, people: People) -> None:
    officer = people.officer
    screen = await officer.say("/listings")
    assert officer.text.startswith("🛒 Marketplace listings — Thái Nguyên\n")
    assert labels(screen) == ["🔎 Find a product", "📄 Upload a CSV file", "🏠 Main menu"]
    await officer.press("🔎 Find a product")
    assert officer.text.startswith("Type the product code (for example 7K3M9P) or part of its name")
    screen = await officer.say("che bup")
    assert officer.text == "“Chè búp Tân Cương”: which marketplace?"
    assert labels(screen)[:5] == [
        "Postmart · not started",
        "Voso · not started",
        "Shopee · not started",
        "Lazada · not started",
        "Sàn TMĐT tỉnh · not started",
    ]
    await officer.press("Shopee")
    assert officer.text == "“Chè búp Tân Cương” on Shopee: what is its status now?"
    await officer.press("✅ live")
    assert officer.text.startswith("Link to the product page on Shopee (starting with https://)?")
    await officer.say("shopee.vn/abc")
    assert officer.text.startswith("That link isn't valid.")
    await officer.say(SHOPEE)
    code = await code_of(runtime, people.tea)
    assert officer.text.startswith(
        f"“Chè búp Tân Cương” ({code}) on Shopee: ✅ live\nLink: {SHOPEE}\n\n"
    )
    screen = await officer.press("💾 Save")
    assert officer.text == (
        "✅ Saved: “Chè búp Tân Cương” on Shopee: ✅ live. The producer is being told."
    )
    assert labels(screen) == [
        "🛒 Another marketplace for this product",
        "🔎 Another product",
        "🏠 Main menu",
    ]
    assert await listings(runtime, people.tea) == {"shopee": ("live", SHOPEE, None)}

    [entry] = await audit(runtime, "listing.set")
    assert entry.actor_id == (await user_of(runtime, officer)).id
    assert entry.before == {
        "product_id": people.tea,
        "marketplace": "shopee",
        "status": "not_started",
        "url": None,
        "reason": None,
    }
    assert entry.after is not None and (entry.after["status"], entry.after["url"]) == (
        "live",
        SHOPEE,
    )
    [notice] = await outbox(runtime)
    assert notice.user_id == (await user_of(runtime, people.hoa)).id
    assert notice.payload["text"] == (
        "🛒 Cập nhật tình trạng sản phẩm của anh/chị trên sàn TMĐT:\n"
        f"• Chè búp Tân Cương ({code}) — Shopee: ✅ đang bán\n    {SHOPEE}"
    )
    assert buttons_of(notice) == [("🛒 Xem tình trạng lên sàn", f"status:{people.tea}")]

    # The producer's notice button leads to the product's marketplace status.
    await people.hoa.callback(f"n:{notice.id}:0")
    assert "• Shopee: ✅ đang bán\n    " + SHOPEE in people.hoa.text


async def test_a_rejection_needs_its_reason_and_links_can_be_kept_or_removed(
    runtime: Runtime, people: People
) -> None:
    officer = people.officer
    await set_shopee_live(officer)
    await officer.press("🛒 Another marketplace for this product")
    assert labels(officer.screen)[2] == "Shopee · ✅ live"
    await officer.press("Shopee")
    await officer.press("❌ rejected")
    assert officer.text.endswith(f"\n(Now: {SHOPEE})")  # the stored link, shown with the prompt
    await officer.press("⏭ Skip")  # keeps the link
    assert officer.text.startswith("Why did the marketplace reject it?")
    await officer.say("Thiếu giấy chứng nhận ATTP")
    assert f"Link: {SHOPEE}\nReason: Thiếu giấy chứng nhận ATTP" in officer.text
    await officer.press("💾 Save")
    assert await listings(runtime, people.tea) == {
        "shopee": ("rejected", SHOPEE, "Thiếu giấy chứng nhận ATTP")
    }
    # "-" removes the link; preparing asks for none and clears the reason
    await officer.press("🛒 Another marketplace for this product")
    await officer.press("Shopee")
    await officer.press("paused")
    await officer.say("-")
    assert "The stored link will be removed." in officer.text
    await officer.press("💾 Save")
    assert await listings(runtime, people.tea) == {"shopee": ("paused", None, None)}
    assert len(await outbox(runtime)) == 3  # one notice for each change


async def test_saving_what_is_already_stored_changes_nothing(
    runtime: Runtime, people: People
) -> None:
    await set_shopee_live(people.officer)
    await people.officer.press("🛒 Another marketplace for this product")
    await people.officer.press("Shopee")
    await people.officer.press("✅ live")
    await people.officer.press("⏭ Skip")
    await people.officer.press("💾 Save")
    assert people.officer.text == (
        "Nothing changed: “Chè búp Tân Cương” on Shopee is still ✅ live."
    )
    assert len(await audit(runtime, "listing.set")) == 1
    assert len(await outbox(runtime)) == 1


async def test_search_stays_within_the_province(runtime: Runtime, people: People) -> None:
    coffee = await code_of(runtime, people.coffee)
    await people.officer.say(f"/listings {coffee}")
    assert people.officer.text.startswith(
        f"No product matching “{coffee}” in your province.\n\nType the product code"
    )
    await people.officer.say("ca phe")
    assert people.officer.text.startswith("No product matching “ca phe” in your province.")
    await people.other_officer.say(f"/listings {coffee.lower()}")
    assert people.other_officer.text == "“Cà phê Arabica Cầu Đất”: which marketplace?"


async def test_several_matches_are_offered_to_choose_from(runtime: Runtime, people: People) -> None:
    await make_product(runtime, people.hoa, name="Chè búp đặc biệt")
    await people.officer.say("/listings chè búp")
    assert people.officer.text == "Several products match “chè búp”. Choose one:"
    tea = await code_of(runtime, people.tea)
    await people.officer.press(f"Chè búp Tân Cương · {tea}")
    assert people.officer.text == "“Chè búp Tân Cương”: which marketplace?"


async def test_pasted_csv_lines_are_applied_with_one_notice_per_producer(
    runtime: Runtime, people: People
) -> None:
    second = await make_product(runtime, people.hoa, name="Chè móc câu")
    tea, hook = await code_of(runtime, people.tea), await code_of(runtime, second)
    await people.officer.say("/listings")
    await people.officer.press("📄 Upload a CSV file")
    assert people.officer.text.startswith(
        "Send a CSV file (UTF-8, separated by commas or semicolons)"
    )
    await people.officer.say(
        "code;marketplace;status;url;reason\n"
        f"{tea};shopee;live;{SHOPEE};\n"
        f"{tea};lazada;Bị từ chối;;Ảnh chưa đủ 500 điểm ảnh\n"
        f"{hook};provincial;đang bán;;\n"
        f"{hook};postmart;not_started;;\n"
    )
    assert people.officer.screen[-1].text == (
        "✅ File applied. Rows: 4 · changed: 3 · unchanged: 1 · producers told: 1.\n"
        f"Line 2: {tea} · Shopee → ✅ live\n"
        f"Line 3: {tea} · Lazada → ❌ rejected\n"
        f"Line 4: {hook} · Sàn TMĐT tỉnh → ✅ live\n"
        f"Line 5: {hook} · Postmart — unchanged (not started)"
    )
    assert await listings(runtime, people.tea) == {
        "shopee": ("live", SHOPEE, None),
        "lazada": ("rejected", None, "Ảnh chưa đủ 500 điểm ảnh"),
    }
    [notice] = await outbox(runtime)
    assert notice.payload["text"].splitlines() == [
        "🛒 Cập nhật tình trạng sản phẩm của anh/chị trên sàn TMĐT:",
        f"• Chè búp Tân Cương ({tea}) — Shopee: ✅ đang bán",
        f"    {SHOPEE}",
        f"• Chè búp Tân Cương ({tea}) — Lazada: ❌ bị từ chối",
        "    Lý do: Ảnh chưa đủ 500 điểm ảnh",
        f"• Chè móc câu ({hook}) — Sàn TMĐT tỉnh: ✅ đang bán",
    ]
    assert buttons_of(notice) == [("🛒 Xem tình trạng lên sàn", "status")]
    assert len(await audit(runtime, "listing.set")) == 3
    [summary] = await audit(runtime, "listings.import")
    assert summary.after == {"file": "(pasted)", "rows": 4, "problems": 0, "changed": 3}


async def test_a_file_with_any_bad_row_changes_nothing(runtime: Runtime, people: People) -> None:
    tea, coffee = await code_of(runtime, people.tea), await code_of(runtime, people.coffee)
    await people.officer.say("/listings")
    await people.officer.press("📄 Upload a CSV file")
    await people.officer.say(
        "code,marketplace,status,url,reason\n"
        f"{tea},shopee,live,{SHOPEE},\n"
        f"{coffee},shopee,live,,\n"
        "ZZZZZZ,voso,live,,\n"
        f"{tea},voso,sold,,\n"
        f"{tea},lazada,rejected,,\n"
    )
    report, prompt = people.officer.screen[-2:]
    assert report.text == (
        "❌ Nothing was changed. Problems found: 4. "
        "Please fix the lines below and send the whole file again.\n"
        f"Line 3: product {coffee} belongs to Lâm Đồng, not to your province.\n"
        "Line 4: there is no product with code ZZZZZZ.\n"
        "Line 5: status “sold” is not valid; use one of: "
        "not_started, preparing, submitted, live, rejected, paused.\n"
        "Line 6: status “rejected” needs a reason in the reason column."
    )
    assert prompt.text.startswith("Send a CSV file")  # ready for the corrected file
    assert await listings(runtime, people.tea) == {}
    assert await outbox(runtime) == []
    [refused] = await audit(runtime, "listings.import_refused")
    assert refused.after is not None and refused.after["problems"] == 4

    await people.officer.say("code,market,status\n")
    assert people.officer.screen[-2].text.startswith("❌ Nothing was changed. Problems found: 2.")
    assert "Line 1: unknown columns: market." in people.officer.screen[-2].text
    assert "Line 1: missing columns: marketplace." in people.officer.screen[-2].text


async def test_a_huge_file_is_refused_and_a_long_report_comes_as_a_file(
    runtime: Runtime, people: People
) -> None:
    tea = await code_of(runtime, people.tea)
    huge = "code,marketplace,status\n" + f"{tea},shopee,live\n" * 100_000
    async with context(people.officer) as ctx:
        outcome = await import_listings(ctx, huge.encode(), "all.csv")
    assert not outcome.applied
    assert [reply.text for reply in outcome.replies] == [
        "❌ Nothing was changed. Problems found: 1. "
        "Please fix the lines below and send the whole file again.\n"
        "The file has more than 5000 rows. "
        "Please split it into smaller files and send them one by one."
    ]

    many = "code,marketplace,status\n" + "".join(f"BAD{n:03},shopee,live\n" for n in range(40))
    async with context(people.officer) as ctx:
        outcome = await import_listings(ctx, many.encode(), "bad.csv")
    message, report = outcome.replies
    assert message.text.endswith("\n… and 10 more lines (see the report file).")
    assert len(message.text.splitlines()) == 1 + 30 + 1
    assert report.document_name == "listings-report.txt" and report.document is not None
    assert len(report.document.decode().splitlines()) == 1 + 40
    assert await listings(runtime, people.tea) == {}


async def test_a_listing_row_per_change_even_for_many_products(
    runtime: Runtime, people: People
) -> None:
    ids = [await make_product(runtime, people.hoa, name=f"Chè số {n}") for n in range(60)]
    codes = [await code_of(runtime, product_id) for product_id in ids]
    text = "code,marketplace,status\n" + "".join(f"{code},voso,submitted\n" for code in codes)
    async with context(people.officer) as ctx:
        outcome = await import_listings(ctx, text.encode(), "voso.csv")
    assert outcome.applied
    assert outcome.replies[0].text.startswith(
        "✅ File applied. Rows: 60 · changed: 60 · unchanged: 0 · producers told: 1."
    )
    async with runtime.db.transaction() as session:
        stored = list(await session.scalars(select(Listing.status)))
    assert stored == ["submitted"] * 60
    [notice] = await outbox(runtime)
    lines = notice.payload["text"].splitlines()
    assert len(lines) == 1 + 40 + 1 and lines[-1] == "… và 20 thay đổi khác."

"""Reviewing products: the queue, the card, approving, asking for changes, telling producers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from bot.runtime import Runtime
from storage.models import Photo, Product
from storage.products import add_photo, update_product
from tests.conftest import Clock
from tests.e2e.conftest import picture
from tests.helpers import Chat, labels, load_product, make_product, make_user
from tests.officers.people import People, audit, buttons_of, outbox, user_of

QUEUE_END = ["🏠 Main menu"]
CARD_BUTTONS = ["✅ Approve", "✏️ Ask for changes", "📋 Review queue", "🏠 Main menu"]


async def submitted(runtime: Runtime, product_id: int, when: dt.datetime) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Product).where(Product.id == product_id).values(submitted_at=when)
        )


async def code_of(runtime: Runtime, product_id: int) -> str:
    product = await load_product(runtime, product_id)
    assert product is not None
    return product.code


async def with_cover(runtime: Runtime, product_id: int) -> str:
    """Gives the product a real cover photo; returns its SHA-256."""
    info = await runtime.app.media.store_async(picture(7))
    async with runtime.db.transaction() as session:
        product = await session.scalar(
            select(Product).where(Product.id == product_id).options(selectinload(Product.photos))
        )
        assert product is not None
        photo = Photo(
            sha256=info.sha256,
            mime=info.mime,
            width=info.width,
            height=info.height,
            size_bytes=info.size,
        )
        await add_photo(session, product, photo)
    return info.sha256


async def test_the_queue_shows_the_provinces_pending_products_longest_waiting_first(
    runtime: Runtime, people: People, clock: Clock
) -> None:
    newer = await make_product(runtime, people.hoa, name="Chè móc câu")
    approved = await make_product(runtime, people.hoa, name="Chè đinh")
    await submitted(runtime, people.tea, clock.now - dt.timedelta(days=3))
    await submitted(runtime, newer, clock.now - dt.timedelta(days=1))
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Product).where(Product.id == approved).values(review_status="approved")
        )
    tea, hook = await code_of(runtime, people.tea), await code_of(runtime, newer)

    screen = await people.officer.say("/review")
    assert people.officer.text == (
        "📋 Waiting for review: 2 (longest waiting first):\n"
        f"1. Chè búp Tân Cương ({tea}) — HTX 1001, submitted 20/11/2026\n"
        f"2. Chè móc câu ({hook}) — HTX 1001, submitted 22/11/2026"
    )
    assert labels(screen) == ["1. Chè búp Tân Cương", "2. Chè móc câu", *QUEUE_END]

    # Lâm Đồng's officer sees Lâm Đồng's product only.
    screen = await people.other_officer.say("/review")
    assert labels(screen) == ["1. Cà phê Arabica Cầu Đất", *QUEUE_END]


async def test_an_admin_reviews_every_province(
    runtime: Runtime, people: People, admin: Chat
) -> None:
    await make_user(runtime, admin, producer=False)
    screen = await admin.say("/review")
    assert sorted(labels(screen)[:2]) == ["1. Chè búp Tân Cương", "2. Cà phê Arabica Cầu Đất"]


async def test_the_queue_pages_through_many_products(runtime: Runtime, people: People) -> None:
    for number in range(9):
        await make_product(runtime, people.hoa, name=f"Chè số {number + 2}")
    screen = await people.officer.say("/review")
    assert people.officer.text.startswith("📋 Waiting for review: 10 (longest waiting first):")
    assert people.officer.text.endswith("\nPage 1/2")
    assert labels(screen)[-2:] == ["Next ▶️", "🏠 Main menu"]
    screen = await people.officer.press("Next ▶️")
    assert labels(screen) == ["9. Chè số 9", "10. Chè số 10", "◀️ Previous", "🏠 Main menu"]


async def test_opening_a_product_shows_cover_card_producer_and_readiness(
    runtime: Runtime, people: People
) -> None:
    sha256 = await with_cover(runtime, people.tea)
    await people.officer.say("/review")
    screen = await people.officer.press("1. Chè búp Tân Cương")
    photo, card = screen
    assert photo.photo == runtime.app.media.path(sha256, "image/jpeg")
    code = await code_of(runtime, people.tea)
    assert card.text.startswith(
        "📋 Product review — waiting for review\n\n"
        f"📦 Chè búp Tân Cương — code {code}\nNot yet OCOP rated\n"
    )
    assert "🏠 Producer: HTX 1001 · +84912345678\nPlace: Xã Tân Cương, Thái Nguyên" in card.text
    assert card.text.endswith(
        "📝 Still missing: at least 3 photos\n"
        "Photos: 1\n"
        "❌ Postmart, Voso, Shopee, Lazada: At least 3 photos (now 1); "
        "A food-safety facility certificate is needed\n"
        "❌ Sàn TMĐT tỉnh: A food-safety facility certificate is needed"
    )
    assert labels(screen) == CARD_BUTTONS


async def test_approving_with_a_rating_records_it_and_tells_the_producer(
    runtime: Runtime, people: People
) -> None:
    officer = people.officer
    await officer.say("/review")
    await officer.press("1. Chè búp Tân Cương")
    await officer.press("✅ Approve")
    assert officer.text.startswith("Record the product's OCOP stars?")
    await officer.press("⭐⭐⭐⭐ 4 stars")
    await officer.say("1234/QĐ-UBND")
    await officer.say("20/05/2024")
    code = await code_of(runtime, people.tea)
    assert officer.text == (
        f"Approve “Chè búp Tân Cương” ({code}) and record: ⭐⭐⭐⭐ OCOP 4 stars · "
        "decision 1234/QĐ-UBND of 20/05/2024, valid until 20/05/2027.\n\n"
        "Please check the details above. If they are right, press “Save”."
    )
    screen = await officer.press("💾 Save")
    assert (
        screen[0].text
        == f"✅ “Chè búp Tân Cương” ({code}) is approved. The producer is being told."
    )
    assert screen[1].text == "✅ No products are waiting for review."

    product = await load_product(runtime, people.tea)
    assert product is not None
    officer_user = await user_of(runtime, officer)
    assert (product.review_status, product.reviewed_by) == ("approved", officer_user.id)
    assert (product.stars, product.cert_number) == (4, "1234/QĐ-UBND")
    assert (product.cert_date, product.cert_expiry) == (dt.date(2024, 5, 20), dt.date(2027, 5, 20))

    [entry] = await audit(runtime, "review.approve")
    assert (entry.actor_id, entry.entity, entry.entity_id) == (
        officer_user.id,
        "product",
        product.id,
    )
    assert entry.before is not None and entry.after is not None
    assert (entry.before["review_status"], entry.before["stars"]) == ("pending", None)
    assert (entry.after["review_status"], entry.after["stars"]) == ("approved", 4)
    assert entry.after["cert_expiry"] == "2027-05-20"

    # The producer's notice, in her language (Vietnamese), queued in the same transaction.
    [notice] = await outbox(runtime)
    hoa = await user_of(runtime, people.hoa)
    assert (notice.user_id, notice.kind, notice.status) == (hoa.id, "notice", "pending")
    assert notice.payload["text"] == (
        f"✅ Sản phẩm «Chè búp Tân Cương» ({code}) của anh/chị đã được cán bộ OCOP duyệt.\n"
        "Hạng sao: ⭐⭐⭐⭐ OCOP 4 sao · QĐ 1234/QĐ-UBND, hiệu lực đến 20/05/2027."
    )
    assert buttons_of(notice) == [("📦 Xem sản phẩm", f"product:{product.id}")]


async def test_approving_without_stars_keeps_the_rating(runtime: Runtime, people: People) -> None:
    await people.officer.say("/review")
    await people.officer.press("1. Chè búp Tân Cương")
    await people.officer.press("✅ Approve")
    await people.officer.press("⏭ Skip")
    code = await code_of(runtime, people.tea)
    assert people.officer.text.startswith(
        f"Approve “Chè búp Tân Cương” ({code}), keeping its OCOP rating as it is."
    )
    await people.officer.press("💾 Save")
    product = await load_product(runtime, people.tea)
    assert product is not None and (product.review_status, product.stars) == ("approved", None)
    [notice] = await outbox(runtime)
    assert "\n" not in notice.payload["text"]  # no rating line


async def test_asking_for_changes_sends_the_producer_to_that_field(
    runtime: Runtime, people: People
) -> None:
    officer = people.officer
    await officer.say("/review")
    await officer.press("1. Chè búp Tân Cương")
    screen = await officer.press("✏️ Ask for changes")
    assert officer.text.startswith("Which part should the producer change?")
    en, vi = runtime.app.catalogs.translator("en"), runtime.app.catalogs.translator("vi")
    assert {en("field.price"), en("field.ingredients")} <= set(labels(screen))
    await officer.press(en("field.price"))
    await officer.say("Giá cao hơn giá niêm yết tại cửa hàng, anh/chị kiểm tra lại.")
    code = await code_of(runtime, people.tea)
    assert officer.text.startswith(
        f"“Chè búp Tân Cương” ({code})\nAsk the producer to change: {en('field.price')}\n"
        "Reason: Giá cao hơn giá niêm yết tại cửa hàng, anh/chị kiểm tra lại."
    )
    screen = await officer.press("💾 Save")
    assert screen[0].text == (
        f"✏️ The change request for “Chè búp Tân Cương” ({code}) is on its way to the producer."
    )
    product = await load_product(runtime, people.tea)
    assert product is not None
    assert (product.review_status, product.review_field) == ("changes_requested", "price")
    assert product.review_reason == "Giá cao hơn giá niêm yết tại cửa hàng, anh/chị kiểm tra lại."
    [entry] = await audit(runtime, "review.changes")
    assert entry.before == {"review_status": "pending", "review_reason": None, "review_field": None}

    [notice] = await outbox(runtime)
    assert notice.payload["text"] == (
        f"✏️ Cán bộ OCOP đề nghị anh/chị sửa sản phẩm «Chè búp Tân Cương» ({code}).\n"
        f"Cần sửa: {vi('field.price')}\n"
        "Lý do: Giá cao hơn giá niêm yết tại cửa hàng, anh/chị kiểm tra lại.\n"
        "Sửa xong, sản phẩm sẽ tự được gửi duyệt lại."
    )
    assert buttons_of(notice) == [
        (f"✏️ Sửa {vi('field.price')}", f"product:field:{people.tea}:price")
    ]

    # Once delivered, the producer's press opens exactly that field, for her only.
    await people.lan.callback(f"n:{notice.id}:0")
    assert people.lan.text.startswith("This menu is out of date.")
    await people.hoa.callback(f"n:{notice.id}:0")
    assert people.hoa.text.startswith("Giá bán (đồng)? Ví dụ: 125000, 125.000 hoặc 125k")
    await people.hoa.say("110.000")
    assert people.hoa.text.startswith("✅ Đã cập nhật sản phẩm.")
    await officer.say("/review")  # changed: waiting for review again
    assert officer.text.startswith("📋 Waiting for review: 1")


async def test_a_product_changed_during_review_is_not_approved_blindly(
    runtime: Runtime, people: People, clock: Clock
) -> None:
    await people.officer.say("/review")
    await people.officer.press("1. Chè búp Tân Cương")
    await people.officer.press("✅ Approve")
    await people.officer.press("⏭ Skip")
    async with runtime.db.transaction() as session:  # the producer edits meanwhile
        product = await session.get(Product, people.tea)
        assert product is not None
        clock.advance(minutes=2)
        await update_product(session, product, {"price_vnd": 99_000}, now=clock.now)
    screen = await people.officer.press("💾 Save")
    assert screen[0].text.startswith(
        "⚠️ The producer changed this product while you were looking at it, so nothing was saved."
    )
    assert "Price: ₫99,000 / hộp" in screen[-1].text
    stored = await load_product(runtime, people.tea)
    assert stored is not None and stored.review_status == "pending"
    assert await outbox(runtime) == []


async def test_a_change_request_on_a_product_changed_meanwhile_is_not_sent(
    runtime: Runtime, people: People, clock: Clock
) -> None:
    """Both review flows end through the same checks: a product the producer edited
    after the officer opened it is shown again, fresh, and nothing is recorded."""
    officer = people.officer
    await officer.say("/review")
    await officer.press("1. Chè búp Tân Cương")
    await officer.press("✏️ Ask for changes")
    await officer.press(runtime.app.catalogs.translator("en")("field.price"))
    await officer.say("Giá cao quá.")
    async with runtime.db.transaction() as session:
        product = await session.get(Product, people.tea)
        assert product is not None
        clock.advance(minutes=2)
        await update_product(session, product, {"price_vnd": 99_000}, now=clock.now)
    screen = await officer.press("💾 Save")
    assert screen[0].text.startswith("⚠️ The producer changed this product while you were")
    assert "Price: ₫99,000 / hộp" in screen[-1].text
    stored = await load_product(runtime, people.tea)
    assert stored is not None and stored.review_status == "pending"
    assert await outbox(runtime) == []


async def test_cancelling_a_review_flow_goes_back_to_the_product(
    runtime: Runtime, people: People
) -> None:
    officer = people.officer
    await officer.say("/review")
    opened = await officer.press("1. Chè búp Tân Cương")
    for action in ("✅ Approve", "✏️ Ask for changes"):
        await officer.press(action)
        screen = await officer.say("/cancel")
        # the product's card again, under the note that nothing was saved
        assert screen[-1].text == (
            f"Cancelled. Nothing you entered here was saved.\n\n{opened[-1].text}"
        )
        stored = await load_product(runtime, people.tea)
        assert stored is not None and stored.review_status == "pending"

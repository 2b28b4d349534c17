"""Notices with buttons on the Zalo Bot Platform (no buttons there): the buttons come as a
numbered list under the notice's text, and typing a number does what the button does."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage import outbox
from storage.models import User
from tests.zalo_bot.conftest import ZaloChat, ZaloE2E


async def officer_of_thai_nguyen(zalo: ZaloE2E) -> ZaloChat:
    minh = zalo.chat("z7001", "Minh")
    await minh.start_in_english()
    async with zalo.runtime.db.transaction() as session:
        user = await session.scalar(select(User).where(User.external_id == minh.id))
        assert user is not None
        user.role, user.province_code = "officer", 19  # Thái Nguyên
    return minh


async def test_the_producer_types_the_notices_number_and_lands_in_the_story_edit(
    zalo: ZaloE2E,
) -> None:
    minh = await officer_of_thai_nguyen(zalo)
    hoa = zalo.chat("z1001")
    await hoa.start_in_english()
    await hoa.register()
    code = await hoa.add_product()
    assert "1. " in zalo.api.sent(hoa.id)[-1]["text"]  # her last screen: a numbered menu

    await minh.send("/review")
    await minh.press("1. Chè búp Tân Cương đặc biệt")
    await minh.press("✏️ Ask for changes")
    await minh.press("Story")
    await minh.send("Câu chuyện cần nói rõ vùng chè và người làm.")
    screen = await minh.press("💾 Save")
    assert "is on its way to the producer" in screen.texts[0], screen

    zalo.clock.advance(seconds=5)  # the notice leaves a little after her last screen
    assert await zalo.deliver() == 1
    [notice] = zalo.api.take_new(hoa.id)
    assert notice["text"].startswith(
        f"✏️ The OCOP officer asks you to change your product “Chè búp Tân Cương đặc biệt” ({code})."
    )
    assert notice["text"].endswith("\n\n1. ✏️ Change Story")
    assert "Why: Câu chuyện cần nói rõ vùng chè và người làm." in notice["text"]

    zalo.clock.advance(seconds=30)
    screen = await hoa.send("1")  # the notice's entry, not her menu's first entry
    assert screen.texts[0].startswith("The product's story"), screen
    screen = await hoa.send("Ba thế hệ làm chè trên đồi Tân Cương, Thái Nguyên, sao chè bằng tay.")
    assert screen.texts[0] == "✅ Product updated.", screen

    # Once she moved on, a number means the screen she sees again, not the old notice.
    menu = "\n".join(screen.texts)
    first = re.search(r"^1\. (.+)$", menu, re.MULTILINE)
    assert first, screen
    zalo.clock.advance(seconds=30)
    screen = await hoa.send("1")
    assert not screen.texts[0].startswith("The product's story"), screen


async def test_a_number_beyond_the_notices_list_picks_from_the_screen_as_without_it(
    zalo: ZaloE2E,
) -> None:
    hoa, lan = zalo.chat("z1002"), zalo.chat("z1003", "Lan")
    for chat in (hoa, lan):
        await chat.start_in_english()
        screen = await chat.send("/notices")
        assert re.search(r"^2\. ", screen.text, re.MULTILINE), screen
    async with zalo.runtime.db.transaction() as session:
        user = await session.scalar(select(User).where(User.external_id == hoa.id))
        assert user is not None
        message = outbox.payload("Lịch tập huấn", [[("🏠 Menu", "menu")]])
        await outbox.enqueue(session, user, message, not_before=zalo.clock())
    zalo.clock.advance(seconds=5)
    assert await zalo.deliver() == 1
    [notice] = zalo.api.take_new(hoa.id)
    assert notice["text"] == "Lịch tập huấn\n\n1. 🏠 Menu"
    zalo.clock.advance(seconds=5)
    # "2" is not on the notice's list: it picks the screen's second entry, as for Lan.
    assert (await hoa.send("2")).texts == (await lan.send("2")).texts

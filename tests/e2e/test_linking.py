"""One person on two channels, end to end: Telegram over the fake Bot API, and the console.

Hoa registers and adds a product on Telegram, links the console with /link,
works from the console, and her notices follow her: to the console while it
is the channel she used last, to Telegram once she chooses it in /notices —
each notice once, never to both.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import OutboxMessage
from tests.e2e.test_officers import OfficersE2E, bot, officer_of_thai_nguyen
from tests.helpers import CONSOLE
from tests.helpers import Chat as ConsoleChat

__all__ = ["bot"]  # the officers' harness: an admin who invites the officer


async def outbox_rows(harness: OfficersE2E) -> list[OutboxMessage]:
    async with harness.runtime.db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_linked_producer_gets_each_notice_once_where_she_is(bot: OfficersE2E) -> None:
    officer = await officer_of_thai_nguyen(bot)
    hoa = bot.chat(1001, "Hoa", "en")
    await hoa.start_in_english()
    await hoa.register()
    code = await hoa.add_product()

    # --- /link on Telegram, the code typed on the console
    screen = await hoa.send("/link")
    found = re.search(r"/link ([0-9A-Z]{4}-[0-9A-Z]{4})", screen.text)
    assert found, screen
    desk = ConsoleChat(bot.runtime, CONSOLE, user_id="hoa-desk", language="en")
    await desk.say("/link WRONG-CODE")
    assert "That code is wrong, has expired or was already used." in desk.text
    await desk.say(f"/link {found[1]}")
    assert "✅ Linked Telegram, the console." in desk.text
    await desk.say("/products")
    assert "Chè búp Tân Cương đặc biệt" in desk.text  # her products followed her

    # --- the console is the channel she used last: the notice goes there only
    story = bot.t("en")("field.story")
    await officer.send("/review")
    await officer.press("1. Chè búp Tân Cương đặc biệt")
    await officer.press("✏️ Ask for changes")
    await officer.press(story)
    await officer.send("Câu chuyện cần nói rõ vùng chè và người làm.")
    await officer.press("💾 Save")
    assert await bot.deliver() == 0  # nothing for Telegram
    assert await bot.delivered(hoa) == []
    [notice] = [row for row in await outbox_rows(bot) if row.kind == "notice"]
    assert (notice.channel, notice.chat_id, notice.status) == ("console", "hoa-desk", "pending")
    await desk.callback(f"n:{notice.id}:0")  # its button, pressed where it arrived
    assert desk.text.startswith("The product's story")
    await desk.say("Ba thế hệ làm chè trên đồi Tân Cương, Thái Nguyên, sao chè bằng tay.")
    assert "✅ Product updated." in desk.text

    # --- /notices on the console: send them to Telegram from now on
    await desk.say("/notices")
    await desk.press("📬 Send to Telegram")
    assert "Done: notices and reminders will go to Telegram." in desk.text
    await officer.send("/review")
    await officer.press("1. Chè búp Tân Cương đặc biệt")
    await officer.press("✅ Approve")
    await officer.press("⭐⭐⭐⭐ 4 stars")
    await officer.send("1234/QĐ-UBND")
    await officer.send("20/05/2024")
    await officer.press("💾 Save")
    assert await bot.deliver() == 1
    delivered = await bot.delivered(hoa)
    assert delivered.texts == [
        f"✅ Your product “Chè búp Tân Cương đặc biệt” ({code}) has been approved by the OCOP "
        "officer.\nRating: ⭐⭐⭐⭐ OCOP 4 stars · decision 1234/QĐ-UBND, valid until 20/05/2027."
    ]
    notices = [row for row in await outbox_rows(bot) if row.kind == "notice"]
    assert [(row.channel, row.status) for row in notices] == [
        ("console", "pending"),
        ("telegram", "sent"),
    ]

"""Officers over Telegram: an admin's invite, the review queue, listings, and producers told.

The whole stack runs against the loopback fake Bot API (tests/e2e/conftest.py);
notices to producers leave through the real outbox worker and Telegram sender,
and producers press their buttons as delivered.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.telegram_sender import TelegramSender
from bot.i18n import Translator
from bot.outbox.attachments import AttachmentStore
from bot.outbox.worker import OutboxWorker
from storage.models import AuditEntry, OutboxMessage
from testkit.fake_bot_api import FakeBotAPI
from tests.conftest import Clock
from tests.e2e.conftest import E2E, Chat, Screen

ADMIN = 9001
SHOPEE = "https://shopee.vn/che-bup-tan-cuong-i.1234.5678"


class OfficersE2E(E2E):
    """The bot with user 9001 named an admin, as OCOP_ADMINS would."""

    async def start(self) -> None:
        await super().start()
        self.settings = dataclasses.replace(self.settings, admins=(str(ADMIN),))
        self.runtime.app.settings = self.settings

    async def deliver(self) -> int:
        """One pass of the outbox worker through the Telegram sender; returns messages sent."""
        sender = TelegramSender(self.channel.bot, AttachmentStore(self.runtime.app.media))
        worker = OutboxWorker(
            self.runtime.db,
            sender,
            self.settings,
            self.clock,
            catalogs=self.runtime.app.catalogs,
            worker_id="e2e",
        )
        return await worker.run_once()

    async def delivered(self, chat: Chat) -> Screen:
        """What reached the chat without it asking: the notices just delivered."""
        return Screen(await self.api.settle(chat.id, quiet=0))

    def t(self, language: str) -> Translator:
        """The catalog's own text, for labels other modules own."""
        return self.runtime.app.catalogs.translator(language)

    async def audit_actions(self) -> list[str]:
        async with self.runtime.db.transaction() as session:
            return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
async def bot(database_url: str, tmp_path: Path, clock: Clock) -> AsyncIterator[OfficersE2E]:
    async with FakeBotAPI() as api:
        harness = OfficersE2E(api, database_url, tmp_path / "media", clock)
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()


async def officer_of_thai_nguyen(bot: OfficersE2E, user_id: int = 7001) -> Chat:
    """An admin invites, the officer redeems: both in the chat."""
    admin = bot.chat(ADMIN, "Admin", "en")
    await admin.start_in_english()
    screen = await admin.press("🔑 Invite an officer")
    assert screen.text.startswith("Which province is the officer invite for?")
    screen = await admin.send("thai nguyen")
    found = re.search(r"\n\n([A-Z0-9]{5}-[A-Z0-9]{5})\n\n", screen.text)
    assert found, screen
    officer = bot.chat(user_id, "Minh", "en")
    await officer.start_in_english()
    screen = await officer.send(f"/officer {found[1]}")
    assert screen.texts[0].startswith("🎉 You are now an OCOP officer for Thái Nguyên.")
    assert {"📋 Review products", "🛒 Marketplace listings"} <= set(screen.buttons)
    late = bot.chat(user_id + 1, "Tuan", "en")
    await late.start_in_english()
    screen = await late.send(f"/officer {found[1]}")
    assert screen.texts[0].startswith("This invite code has already been used")
    return officer


async def test_review_and_listings_with_producers_told(bot: OfficersE2E) -> None:
    officer = await officer_of_thai_nguyen(bot)
    hoa = bot.chat(1001, "Hoa", "en")
    await hoa.start_in_english()
    await hoa.register()
    code = await hoa.add_product()

    # --- the queue and the card
    screen = await officer.press("📋 Review products")
    assert screen.texts[0].startswith("📋 Waiting for review: 1 (longest waiting first):\n1. ")
    screen = await officer.press("1. Chè búp Tân Cương đặc biệt")
    assert screen.texts[0].startswith(
        f"📋 Product review — waiting for review\n\n📦 Chè búp Tân Cương đặc biệt — code {code}"
    )
    assert "🏠 Producer: HTX Chè Tân Cương Xanh · +84912345678" in screen.text
    assert screen.buttons == ["✅ Approve", "✏️ Ask for changes", "📋 Review queue", "🏠 Main menu"]

    # --- changes asked for: the producer gets a button to exactly that field
    story = bot.t("en")("field.story")
    await officer.press("✏️ Ask for changes")
    await officer.press(story)
    await officer.send("Câu chuyện cần nói rõ vùng chè và người làm.")
    screen = await officer.press("💾 Save")
    assert screen.texts[0] == (
        f"✏️ The change request for “Chè búp Tân Cương đặc biệt” ({code}) "
        "is on its way to the producer."
    )
    assert await bot.deliver() == 1
    notice = await bot.delivered(hoa)
    assert notice.texts == [
        f"✏️ The OCOP officer asks you to change your product “Chè búp Tân Cương đặc biệt” "
        f"({code}).\nWhat to change: {story}\nWhy: Câu chuyện cần nói rõ vùng chè và người làm.\n"
        "Once you change it, it goes back for review by itself."
    ]
    assert notice.buttons == [f"✏️ Change {story}"]
    screen = await hoa.press(f"✏️ Change {story}")
    assert screen.texts[0].startswith("The product's story")
    screen = await hoa.send("Ba thế hệ làm chè trên đồi Tân Cương, Thái Nguyên, sao chè bằng tay.")
    assert screen.texts[0] == "✅ Product updated."

    # --- a restart in the middle of an approval loses nothing
    screen = await officer.send("/review")
    await officer.press("1. Chè búp Tân Cương đặc biệt")
    await officer.press("✅ Approve")
    await officer.press("⭐⭐⭐⭐ 4 stars")
    await bot.restart()
    await officer.send("1234/QĐ-UBND")
    screen = await officer.send("20/05/2024")
    assert "valid until 20/05/2027" in screen.text
    screen = await officer.press("💾 Save")
    assert screen.texts[0].startswith("✅ “Chè búp Tân Cương đặc biệt”")
    assert await bot.deliver() == 1
    notice = await bot.delivered(hoa)
    assert notice.texts == [
        f"✅ Your product “Chè búp Tân Cương đặc biệt” ({code}) has been approved by the OCOP "
        "officer.\nRating: ⭐⭐⭐⭐ OCOP 4 stars · decision 1234/QĐ-UBND, valid until 20/05/2027."
    ]
    product = await bot.product(code)
    assert (product.review_status, product.stars) == ("approved", 4)

    # --- a listing, set in the chat; the producer sees it from the notice
    await officer.send(f"/listings {code}")
    await officer.press("Shopee · not started")
    await officer.press("✅ live")
    await officer.send(SHOPEE)
    screen = await officer.press("💾 Save")
    assert screen.texts[0] == (
        "✅ Saved: “Chè búp Tân Cương đặc biệt” on Shopee: ✅ live. The producer is being told."
    )
    assert await bot.deliver() == 1
    notice = await bot.delivered(hoa)
    assert notice.texts[0].splitlines() == [
        "🛒 News about your products on the marketplaces:",
        f"• Chè búp Tân Cương đặc biệt ({code}) — Shopee: ✅ live",
        f"    {SHOPEE}",
    ]
    screen = await hoa.press("🛒 See marketplace status")
    assert f"• Shopee: ✅ live\n    {SHOPEE}" in screen.text

    # --- many listings at once: lines pasted as CSV
    await officer.send("/listings")
    await officer.press("📄 Upload a CSV file")
    screen = await officer.send(
        f"code;marketplace;status;url;reason\n{code};lazada;rejected;;Ảnh nhỏ hơn 330 điểm ảnh\n"
        f"{code};voso;submitted;;\n"
    )
    assert screen.texts[0] == (
        "✅ File applied. Rows: 2 · changed: 2 · unchanged: 0 · producers told: 1.\n"
        f"Line 2: {code} · Lazada → ❌ rejected\nLine 3: {code} · Voso → submitted"
    )
    assert await bot.deliver() == 1
    assert len((await bot.delivered(hoa)).texts) == 1  # one notice for the whole file

    # --- what the officer did is on record
    actions = await bot.audit_actions()
    assert actions[:2] == ["invite.create", "invite.redeem"]
    assert "invite.refused" in actions
    assert [a for a in actions if a.startswith(("review.", "listing"))] == [
        "review.changes",
        "review.approve",
        "listing.set",
        "listing.set",
        "listing.set",
        "listings.import",
    ]
    async with bot.runtime.db.transaction() as session:
        statuses = list(await session.scalars(select(OutboxMessage.status)))
    assert statuses == ["sent"] * 4


async def test_a_producer_is_refused_officer_commands(bot: OfficersE2E) -> None:
    hoa = bot.chat(1001, "Hoa", "en")
    await hoa.start_in_english()
    for command in ("/review", "/listings", "/invite", "/officer ABCDE-FGHJK"):
        screen = await hoa.send(command)
        expected = (
            "That invite code is not valid."
            if command.startswith("/officer")
            else "Sorry, you are not allowed to do that."
        )
        assert screen.texts[0].startswith(expected), screen
        assert "📋 Review products" not in screen.buttons
    assert await bot.audit_actions() == ["denied", "denied", "denied", "invite.refused"]

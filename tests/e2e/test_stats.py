"""KPIs and exports end to end: the real Telegram channel against the fake Bot API."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from storage.models import User
from tests.e2e.conftest import E2E, Chat
from tests.reports import dataset
from tests.reports.dataset import PROVINCE_A


async def officer(bot: E2E, user_id: int, province: int | None = PROVINCE_A) -> Chat:
    chat = bot.chat(user_id, "Lan", "en")
    await chat.start_in_english()
    async with bot.runtime.db.transaction() as session:
        user = await session.scalar(select(User).where(User.external_id == str(user_id)))
        assert user is not None
        user.role, user.province_code = "officer", province
    return chat


async def test_stats_sends_a_chart_with_the_figures(bot: E2E) -> None:
    async with bot.runtime.db.transaction() as session:
        await dataset.build(session)
    lan = await officer(bot, 5001)

    screen = await lan.send("/stats")
    [output] = screen
    assert output["method"] == "sendPhoto"
    with Image.open(io.BytesIO(output["photo"])) as image:
        assert image.format == "PNG"
        assert image.width == 720
    assert output["text"].startswith("📊 OCOP figures — Thái Nguyên\nAs of 23/11/2026")
    assert "📦 Products: 5" in output["text"]
    assert "• Products with a QR traceability label: 3/5 (60%) — 2 to go" in output["text"]
    assert screen.buttons == ["📤 Export data", "🏠 Main menu"]

    screen = await lan.press("📤 Export data")
    assert screen.text.startswith("📤 Export data — Thái Nguyên.")
    screen = await lan.press("📦 Products (Excel)")
    document = screen[0]
    assert document["method"] == "sendDocument"
    assert document["document_name"] == "ocop-thai-nguyen-products-2026-11-23.xlsx"
    assert document["text"] == "📎 Products — Thái Nguyên: 5 rows."
    sheet = load_workbook(io.BytesIO(document["document"])).active
    assert sheet is not None and sheet.max_row == 6
    assert screen.last["text"] == "Anything else to export for Thái Nguyên?"


async def test_producer_gets_not_allowed(bot: E2E) -> None:
    hoa = bot.chat(5002, "Hoa", "en")
    await hoa.start_in_english()
    screen = await hoa.send("/stats")
    assert screen.texts[0].startswith("Sorry, you are not allowed to do that.\n\n")
    assert all(output["method"] == "sendMessage" for output in screen)

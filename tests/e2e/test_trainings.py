"""A training over Telegram: the officer sets it up in the chat, invitations and reminders
leave through the outbox worker to the fake Bot API, producers answer with their buttons,
and a restart in the middle loses nothing."""

from __future__ import annotations

import dataclasses

import pytest

from bot.config import ReminderSettings
from bot.scheduler import SchedulerService
from tests.e2e.conftest import E2E, Screen
from tests.e2e.test_broadcasts import deliver_all, worker_for
from tests.outbox.conftest import add_officer, add_producer
from tests.scheduler.conftest import local

TOPIC = "Bán hàng trên sàn TMĐT cho sản phẩm OCOP"


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def scheduler_for(bot: E2E) -> SchedulerService:
    """The scheduler as `ocop-bot run` would wire it; only trainings here (no nudges)."""
    reminders = dataclasses.replace(ReminderSettings(), incomplete_days=())
    settings = dataclasses.replace(bot.settings, reminders=reminders)
    return SchedulerService(bot.runtime.db, settings, bot.clock, catalogs=bot.runtime.app.catalogs)


async def deliver(bot: E2E) -> None:
    await scheduler_for(bot).run_once()
    await deliver_all(bot, worker_for(bot))


async def test_a_training_over_telegram(bot: E2E) -> None:
    for n in range(2):
        await add_producer(bot.runtime, str(5000 + n), products=[{}])
    await add_officer(bot.runtime, "9001")
    officer = bot.chat(9001, "Minh", "en")
    hoa, lan = bot.chat(5000, "Hoa", "vi"), bot.chat(5001, "Lan", "vi")

    screen = await officer.send("/newtraining")
    assert "What is the training about?" in screen.text
    await officer.walk(
        [
            ("send", TOPIC, "When does it start?"),
            ("send", "05/12/2026 08:30", "Where?"),
            ("send", "https://meet.example.vn/ocop-tn", "How many seats?"),
            ("send", "1", "Only one commune or ward?"),
            ("press", "⏭ Skip", "Invite producers with products of which groups?"),
            ("press", "✔️ Done", "how many stars?"),
            ("press", "✔️ Done", "Which kinds of producer?"),
            ("press", "✔️ Done", "not yet live on one marketplace"),
            ("press", "⏭ Skip", "missing photos or a certificate"),
            ("press", "⏭ Skip", "💻 Online: https://meet.example.vn/ocop-tn"),
        ]
    )
    screen = await officer.press("💾 Save")
    assert "producers invited: 2" in screen.text

    await deliver(bot)
    invitation = Screen(await bot.api.settle(5000, quiet=0))
    assert invitation.text.startswith("📩 Kính mời anh/chị tham gia lớp tập huấn dưới đây.")
    assert invitation.buttons == ["✅ Sẽ tham gia", "❌ Không tham gia"]
    await bot.api.settle(5001, quiet=0)

    screen = await hoa.press("✅ Sẽ tham gia")
    assert screen.texts[0].startswith(f"✅ Đã ghi nhận: anh/chị sẽ tham gia «{TOPIC}».")
    screen = await lan.press("✅ Sẽ tham gia")
    assert "đang ở vị trí thứ 1 trong danh sách chờ" in screen.texts[0]

    await bot.restart()  # a redeploy: the jobs live in the database
    bot.clock.now = local(4, 8, 31, month=12)
    await deliver(bot)
    reminder = Screen(await bot.api.settle(5000, quiet=0))
    assert reminder.text.startswith(
        "⏰ Nhắc nhở: còn 1 ngày nữa là lớp tập huấn của anh/chị bắt đầu."
    )
    assert Screen(await bot.api.settle(5001, quiet=0)).texts == []  # waiting: no reminder

    screen = await hoa.press("❌ Không tham gia được nữa")
    assert screen.texts[0].startswith("Đã ghi nhận: anh/chị không tham gia")
    await deliver(bot)
    promoted = Screen(await bot.api.settle(5001, quiet=0))
    assert promoted.text.startswith("🎉 Đã có chỗ trống")

    bot.clock.now = local(5, 7, 45, month=12)
    await deliver(bot)
    assert "còn 45 phút nữa" in Screen(await bot.api.settle(5001, quiet=0)).text
    assert Screen(await bot.api.settle(5000, quiet=0)).texts == []

    screen = await lan.send("/trainings")
    assert f"{TOPIC}: ✅ sẽ tham gia" in screen.text

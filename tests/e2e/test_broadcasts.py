"""An officer's broadcast over Telegram: composed in the chat, delivered by the outbox worker
through the fake Bot API, progress edited, report sent, a producer opting out with its button."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.channels.telegram_sender import TelegramSender
from bot.outbox.attachments import AttachmentStore
from bot.outbox.worker import OutboxWorker
from storage import outbox
from storage.models import OutboxMessage
from tests.e2e.conftest import E2E, Screen
from tests.outbox.conftest import add_officer, add_producer, broadcast, user

TEXT = "Hội chợ OCOP Thái Nguyên mở cửa từ 28/11. Đăng ký gian hàng trước 26/11."


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def worker_for(bot: E2E) -> OutboxWorker:
    """The worker as `ocop-bot run` wires it: the channel's own Bot, the runtime's database."""
    sender = TelegramSender(bot.channel.bot, AttachmentStore(bot.runtime.app.media))
    return OutboxWorker(
        bot.runtime.db, sender, bot.settings, bot.clock, catalogs=bot.runtime.app.catalogs
    )


async def deliver_all(bot: E2E, worker: OutboxWorker) -> None:
    """Passes until nothing waits; real time passes too, as the per-chat limit wants."""
    for _ in range(30):
        await worker.run_once()
        bot.clock.advance(seconds=2)
        async with bot.runtime.db.transaction() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_(outbox.OPEN))
            )
        if not waiting:
            return
        await asyncio.sleep(0.2)  # the per-chat limit counts real seconds
    raise AssertionError("the outbox did not empty")


async def test_broadcast_over_telegram(bot: E2E) -> None:
    producers = []
    for n in range(3):
        producers.append(await add_producer(bot.runtime, str(5000 + n), products=[{}]))
        bot.api.user(5000 + n, "Producer", "vi")
    bot.api.block(5002, notify=False)  # this one blocked the bot long ago
    await add_officer(bot.runtime, "9001")
    officer = bot.chat(9001, "Lan", "en")

    screen = await officer.send("/broadcast")
    assert "What should the notice say?" in screen.text
    await officer.send(TEXT)
    await officer.walk(
        [
            ("press", "⏭ Skip", "Products of which groups?"),
            ("press", "✔️ Done", "how many stars?"),
            ("press", "✔️ Done", "Which kinds of producer?"),
            ("press", "✔️ Done", "not yet live on one marketplace"),
            ("press", "⏭ Skip", "missing photos or a certificate"),
            ("press", "⏭ Skip", "essential notice"),
        ]
    )
    screen = await officer.press("No")
    assert screen.texts[1] == TEXT  # the preview is the message itself
    assert "👥 Recipients: 3" in screen.text
    screen = await officer.press("✅ Send now")
    assert screen.texts[0].startswith("📣 Notice #1 is going out to 3 people.")

    await deliver_all(bot, worker_for(bot))

    got = [Screen(await bot.api.settle(5000 + n, quiet=0)) for n in range(3)]
    assert [s.texts for s in got] == [[TEXT], [TEXT], []]
    assert got[0].buttons == ["🔕 Không nhận thông báo loại này"]
    done = await broadcast(bot.runtime, 1)
    assert (done.status, done.sent, done.failed, done.blocked) == ("done", 2, 0, 1)
    assert (await user(bot.runtime, producers[2])).blocked_at is not None

    to_officer = Screen(await bot.api.settle(9001, quiet=0))
    progress = to_officer[0]
    assert (
        progress["text"].startswith("📣 Notice #1: sending") and progress["method"] == "sendMessage"
    )
    edited = bot.api.message(9001, progress["message_id"])
    assert edited is not None and edited["text"].splitlines() == [
        "📣 Notice #1: finished",
        "▓▓▓▓▓▓▓▓▓▓ 100%",
        "Sent 2/3 · Failed 0 · Blocked the bot 1",
    ]
    assert "reply_markup" not in edited  # the stop button is gone once finished
    sends = [output for output in to_officer if not output["edited"]]
    assert len(sends) == 2  # the progress message and the report; the rest are edits
    assert sends[-1]["text"].splitlines() == [
        "✅ Notice #1 is finished.",
        "Recipients: 3",
        "Sent: 2",
        "Failed: 0",
        "Blocked the bot: 1",
    ]

    # The producer turns such notices off with the button on the notice itself.
    hoa = bot.chat(5000, "Hoa", "vi")
    screen = await hoa.press("🔕 Không nhận thông báo loại này", got[0].last)
    assert screen.texts[0].startswith("Đã tắt thông báo không bắt buộc.")
    assert (await user(bot.runtime, producers[0])).notices_opt_out is True


async def test_stop_button_on_the_progress_message(bot: E2E) -> None:
    for n in range(3):
        await add_producer(bot.runtime, str(5000 + n), products=[{}])
        bot.api.user(5000 + n, "Producer", "vi")
    await add_officer(bot.runtime, "9001")
    officer = bot.chat(9001, "Lan", "en")
    await officer.send("/broadcast")
    await officer.send(TEXT)
    for label in ("⏭ Skip", "✔️ Done", "✔️ Done", "✔️ Done", "⏭ Skip", "⏭ Skip", "No"):
        await officer.press(label)
    await officer.press("✅ Send now")

    worker = worker_for(bot)
    worker.config = type(worker.config)(batch_size=1)  # the progress message only, for now
    await worker.run_once()
    screen = Screen(await bot.api.settle(9001, quiet=0))
    assert screen.texts[0].startswith("📣 Notice #1: sending")
    screen = await officer.press("⛔ Stop sending", screen[0])
    assert "Stop notice #1? 0/3 sent" in screen.text
    screen = await officer.press("⛔ Stop sending")
    assert screen.texts[0] == "⛔ Notice #1 stopped: 3 unsent messages cancelled, 0 already sent."
    await deliver_all(bot, worker)
    assert all(bot.api.sent(5000 + n) == [] for n in range(3))
    report = [o for o in await bot.api.settle(9001, quiet=0) if not o["edited"]]
    assert report[-1]["text"].splitlines()[0] == "⛔ Notice #1 was stopped."

"""An officer's broadcast on Zalo: chosen, previewed and sent in the chat with numbered
menus, delivered by the outbox through the Zalo Bot sender, the blocked producer counted."""

from __future__ import annotations

from storage.users import get_or_create_user
from tests.outbox.conftest import THAI_NGUYEN, add_producer, broadcast, user
from tests.zalo_bot.conftest import ZaloE2E

TEXT = "Hội chợ OCOP Thái Nguyên mở cửa từ 28/11. Đăng ký gian hàng trước 26/11."


async def test_broadcast_reaches_producers_on_zalo(zalo: ZaloE2E) -> None:
    producers = [
        await add_producer(zalo.runtime, f"zp{n}", channel="zalo_bot", products=[{}])
        for n in range(3)
    ]
    zalo.api.blocked.add("zp2")  # this one blocked the bot: Zalo answers 403
    async with zalo.runtime.db.transaction() as session:
        officer_user = await get_or_create_user(session, "zalo_bot", "zoff", "Lan")
        officer_user.role, officer_user.province_code = "officer", THAI_NGUYEN
        officer_user.language = "en"
    officer = zalo.chat("zoff", "Lan")

    screen = await officer.send("/broadcast")
    assert "What should the notice say?" in screen.text, screen
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
    assert TEXT in screen.texts and "👥 Recipients: 3" in screen.text, screen
    screen = await officer.press("✅ Send now")
    assert screen.texts[0].startswith("📣 Notice #1 is going out to 3 people."), screen

    for _ in range(10):
        await zalo.deliver()
        zalo.clock.advance(seconds=2)
    got = [[output["text"] for output in zalo.api.sent(f"zp{n}")] for n in range(3)]
    # The notice's "turn such notices off" button, as a numbered entry (no buttons here).
    shown = f"{TEXT}\n\n1. 🔕 Không nhận thông báo loại này"
    assert got == [[shown], [shown], []]
    done = await broadcast(zalo.runtime, 1)
    assert (done.status, done.sent, done.failed, done.blocked) == ("done", 2, 0, 1)
    assert (await user(zalo.runtime, producers[2])).blocked_at is not None
    reports = [o["text"] for o in zalo.api.take_new("zoff") if "Notice #1" in o["text"]]
    # No edits on Zalo: the progress once at the start, the final report once at the end.
    assert reports[0].startswith("📣 Notice #1: sending"), reports
    assert reports[-1].splitlines()[0] == "✅ Notice #1 is finished.", reports
    assert sum("Notice #1: finished" in r for r in reports) == 1, reports
    zalo.api.errors.clear()  # the 403 was asked for

    # Typing the number does what the button does: no more optional notices for zp0.
    zalo.clock.advance(seconds=5)
    screen = await zalo.chat("zp0").send("1")
    assert "đã tắt các thông báo không bắt buộc" in screen.texts[-1], screen
    assert (await user(zalo.runtime, producers[0])).notices_opt_out

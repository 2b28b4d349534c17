"""Zalo's reply window: what falls outside it is not sent, not retried, and reported."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.outbox.progress import report_text
from storage import outbox
from storage.models import OutboxMessage
from storage.users import get_or_create_user
from tests.zalo_oa.conftest import OA


async def queue(oa: OA, user: str, text: str) -> None:
    async with oa.runtime.db.transaction() as session:
        person = await get_or_create_user(session, "zalo_oa", user, "")
        await outbox.enqueue(session, person, outbox.payload(text))


async def statuses(oa: OA) -> dict[str, str]:
    async with oa.runtime.db.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        return {row.chat_id: row.status for row in rows}


async def test_a_notice_outside_the_window_is_not_sent_nor_retried(oa: OA) -> None:
    await oa.text("recent", "/help")
    await oa.text("old", "/help")
    oa.clock.advance(hours=47)
    await oa.text("recent", "/help")  # wrote again: their window opens anew
    oa.clock.advance(hours=2)  # "old" last wrote 49 hours ago
    await queue(oa, "recent", "Lịch tập huấn tuần sau")
    await queue(oa, "old", "Lịch tập huấn tuần sau")
    await oa.running.worker.run_once()
    assert oa.new("recent")[-1].text == "Lịch tập huấn tuần sau"
    assert oa.new("old") == []
    assert await statuses(oa) == {"recent": "sent", "old": "out_window"}
    oa.clock.advance(hours=1)
    await oa.running.worker.run_once()  # nothing is tried again
    assert oa.new("old") == [] and ("old", -230) not in oa.fake.refused


async def test_the_per_interaction_cap_is_kept(oa: OA) -> None:
    await oa.text("u", "/help")
    used = len(oa.fake.to("u"))
    left = oa.settings.zalo_oa.replies_per_window - used
    for index in range(left + 2):
        await queue(oa, "u", f"Tin {index}")
    for _ in range(left + 3):  # one chat's messages go one after another
        await oa.running.worker.run_once()
        oa.clock.advance(seconds=2)
    assert len(oa.fake.to("u")) == oa.settings.zalo_oa.replies_per_window
    async with oa.runtime.db.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert sorted(row.status for row in rows).count("out_window") == 2
    assert oa.fake.refused == []  # Zalo never had to refuse one


async def test_a_photo_notice_uploads_the_image(oa: OA) -> None:
    from tests.web.conftest import jpeg

    await oa.text("u", "/help")
    attachments = oa.running.worker.sender.attachments  # type: ignore[attr-defined]
    stored = await attachments.store_photo(jpeg((200, 120, 40), (1600, 1200)))
    async with oa.runtime.db.transaction() as session:
        person = await get_or_create_user(session, "zalo_oa", "u", "")
        await outbox.enqueue(
            session, person, outbox.payload("Nhãn mới", attachment=stored.to_json())
        )
    await oa.running.worker.run_once()
    photo, text = oa.new("u")[-2:]
    assert photo.image is not None and photo.image[:2] == b"\xff\xd8"
    assert text.text == "Nhãn mới"


def test_the_officers_report_counts_recipients_outside_the_window(oa: OA) -> None:
    counts = {outbox.SENT: 7, outbox.OUT_WINDOW: 3}
    vi = report_text(oa.runtime.app.catalogs.translator("vi"), 12, 10, counts, "done")
    en = report_text(oa.runtime.app.catalogs.translator("en"), 12, 10, counts, "done")
    assert "Ngoài khung trả lời của Zalo" in vi and vi.rstrip().endswith("3")
    assert "Outside Zalo's window" in en and en.rstrip().endswith("3")
    without = report_text(oa.runtime.app.catalogs.translator("en"), 12, 7, {"sent": 7}, "done")
    assert "Zalo" not in without


async def test_the_window_is_measured_from_the_users_last_message(oa: OA) -> None:
    await oa.text("u", "/help")
    oa.clock.advance(hours=oa.settings.zalo_oa.window_hours, seconds=1)
    await queue(oa, "u", "Muộn rồi")
    await oa.running.worker.run_once()
    assert await statuses(oa) == {"u": "out_window"}
    assert isinstance(oa.clock(), dt.datetime)


async def test_a_pdf_notice_goes_as_a_file(oa: OA) -> None:
    await oa.text("u", "/help")
    attachments = oa.running.worker.sender.attachments  # type: ignore[attr-defined]
    pdf = await attachments.store_document(b"%PDF-1.4\n%stamps\n", "tem.pdf", "application/pdf")
    async with oa.runtime.db.transaction() as session:
        person = await get_or_create_user(session, "zalo_oa", "u", "")
        await outbox.enqueue(session, person, outbox.payload("Tem", attachment=pdf.to_json()))
    await oa.running.worker.run_once()
    sent = oa.new("u")
    assert [s.message.get("attachment", {}).get("type") for s in sent][-2:] == ["file", None]
    assert sent[-1].text == "Tem"
    async with oa.runtime.db.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [row.status for row in rows] == ["sent"]

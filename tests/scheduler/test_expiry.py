"""OCOP certificates nearing expiry: the producer and the province's officers are reminded
90, 30 and 7 days before, then told once it has expired, when the origin page says so too."""

from __future__ import annotations

import datetime as dt

from bot.runtime import Runtime
from bot.scheduler import SchedulerService
from tests.conftest import Clock
from tests.outbox.conftest import LAM_DONG
from tests.scheduler.conftest import (
    RATED,
    change_product,
    jobs,
    local,
    officer,
    producer,
    reminders_to,
    texts_to,
)
from tests.web.conftest import Site, site  # noqa: F401  (the origin pages, in-process)


async def daily(scheduler: SchedulerService, clock: Clock, days: int) -> None:
    """A pass every day at the clock's hour (10:00 in Vietnam), for `days`."""
    for _ in range(days):
        await scheduler.run_once()
        clock.advance(days=1)


async def received_on(runtime: Runtime, user_id: int) -> list[dt.date]:
    rows = await reminders_to(runtime, user_id)
    return [(row.created_at.replace(tzinfo=dt.UTC) + dt.timedelta(hours=7)).date() for row in rows]


async def test_reminders_at_90_30_and_7_days_then_expired_to_producer_and_officers(
    runtime: Runtime,
    clock: Clock,
    scheduler: SchedulerService,
    site: Site,  # noqa: F811
) -> None:
    hoa, [tea] = await producer(runtime, clock, "5001", language="en", products=[RATED])
    lan = await officer(runtime, "9001")  # Thái Nguyên, like Hoa
    elsewhere = await officer(runtime, "9002", province=LAM_DONG)
    code = (await reminders_to(runtime, hoa)) or None  # nothing yet
    assert code is None

    await daily(scheduler, clock, 110)

    dates = [dt.date(2026, 12, 1), dt.date(2027, 1, 30), dt.date(2027, 2, 22), dt.date(2027, 3, 2)]
    assert await received_on(runtime, hoa) == dates
    assert await received_on(runtime, lan) == dates
    assert await texts_to(runtime, elsewhere) == []
    to_hoa = await texts_to(runtime, hoa)
    assert to_hoa[0].startswith("⚠️ The OCOP certificate of “Chè búp Tân Cương”")
    assert "valid until 01/03/2027: 90 days left." in to_hoa[0]
    assert "30 days left" in to_hoa[1] and "7 days left" in to_hoa[2]
    assert to_hoa[3].startswith("⛔ The OCOP certificate of “Chè búp Tân Cương”")
    assert "has expired (it was valid until 01/03/2027)" in to_hoa[3]
    to_lan = await texts_to(runtime, lan)
    assert "of HTX 5001: its OCOP certificate is valid until 01/03/2027, 90 days left." in to_lan[0]
    [button, off] = [
        b for line in (await reminders_to(runtime, lan))[0].payload["buttons"] for b in line
    ]
    assert button["action"] == f"review:open:{tea}" and off["action"] == "reminders:off:expiry"

    # The product is flagged: the origin page says the certificate has expired.
    code = (await reminders_to(runtime, hoa))[0].payload["text"].split("(")[1][:6]
    _, html, _ = await site.get(f"/p/{code}?lang=en")
    assert "Expired" in html and "expired on 01/03/2027" in html


async def test_a_certificate_first_seen_20_days_before_expiry_gets_one_reminder_now(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    clock.now = local(9, 10, month=2, year=2027)
    hoa, _ = await producer(runtime, clock, "5001", language="en", products=[RATED])
    await daily(scheduler, clock, 30)
    texts = await texts_to(runtime, hoa)
    assert len(texts) == 3
    assert "20 days left" in texts[0] and "7 days left" in texts[1] and "has expired" in texts[2]


async def test_a_renewed_certificate_stops_the_old_reminders_and_starts_new_ones(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    hoa, [tea] = await producer(runtime, clock, "5001", language="en", products=[RATED])
    await daily(scheduler, clock, 10)  # past the 90-day reminder (01/12)
    await change_product(runtime, tea, cert_expiry=dt.date(2027, 4, 10))
    await daily(scheduler, clock, 130)
    texts = await texts_to(runtime, hoa)
    assert "valid until 01/03/2027: 90 days left" in texts[0]
    assert ["valid until 10/04/2027" in text for text in texts[1:]] == [True] * 4
    assert [job.outcome for job in await jobs(runtime, series="2027-03-01")][1:] == ["renewed"] * 3


async def test_the_last_day_and_a_producer_who_turned_expiry_reminders_off(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    clock.now = local(28, 10, month=2, year=2027)
    hoa, _ = await producer(runtime, clock, "5001", products=[RATED])
    lan = await officer(runtime, "9001")
    async with runtime.db.transaction() as session:
        from storage.models import User

        user = await session.get(User, lan)
        assert user is not None
        user.reminders_off = {"expiry": True}
    clock.now = local(1, 10, month=3, year=2027)
    await scheduler.run_once()
    [text] = await texts_to(runtime, hoa)
    assert text.startswith("⚠️ Hôm nay (01/03/2027) là ngày cuối giấy chứng nhận OCOP")
    assert await texts_to(runtime, lan) == []

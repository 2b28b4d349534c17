"""Nudges about missing information: the 0/1/3/7/14-day schedule, the buttons, the rules.

The clock moves in half days through several weeks; a pass runs at each
step, as `ocop-bot run` would run one every 30 seconds.
"""

from __future__ import annotations

import datetime as dt

from bot.runtime import Runtime
from bot.scheduler import SchedulerService
from tests.conftest import Clock
from tests.helpers import Chat
from tests.scheduler.conftest import (
    COMPLETE_PRODUCT,
    add_photos,
    change_product,
    jobs,
    local,
    make_scheduler,
    producer,
    reminders_to,
    set_user,
    texts_to,
)


async def days_nudged(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService, user_id: int, days: int
) -> list[float]:
    """Runs a pass every 12 hours for `days`; the days (from the start) nudges were queued."""
    start = clock()
    for _ in range(days * 2):
        await scheduler.run_once()
        clock.advance(hours=12)
    sent = await reminders_to(runtime, user_id)
    return [
        (row.created_at.replace(tzinfo=dt.UTC) - start) / dt.timedelta(days=1)
        if row.created_at.tzinfo is None
        else (row.created_at - start) / dt.timedelta(days=1)
        for row in sent
    ]


async def test_a_product_missing_its_story_is_nudged_after_0_1_3_7_14_days_then_never(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    hoa, [tea] = await producer(
        runtime, clock, "5001", products=[{**COMPLETE_PRODUCT, "story": None}]
    )
    clock.advance(hours=24)  # new products are left alone for a day
    assert await days_nudged(runtime, clock, scheduler, hoa, 40) == [0, 1, 3, 7, 14]
    [first, *_] = await texts_to(runtime, hoa)
    assert first.startswith("📝 Sản phẩm «Chè búp Tân Cương»")
    assert "còn thiếu: câu chuyện sản phẩm." in first
    assert [job.outcome for job in await jobs(runtime, subject_id=tea)] == ["queued"] * 5


async def test_a_new_product_is_left_alone_for_a_day(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    hoa, _ = await producer(runtime, clock, "5001", products=[{"photos": 0}])
    clock.advance(hours=23)
    await scheduler.run_once()
    assert await texts_to(runtime, hoa) == []
    clock.advance(hours=1)  # the sweep runs hourly: the next pass finds it
    await scheduler.run_once()
    [text] = await texts_to(runtime, hoa)
    assert (
        "ít nhất 3 ảnh" in text and "giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm" in text
    )


async def test_the_buttons_open_the_missing_steps(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    hoa, _ = await producer(
        runtime,
        clock,
        "5001",
        language="en",
        products=[{**COMPLETE_PRODUCT, "story": None, "photos": 1}],
    )
    clock.advance(hours=24)
    await scheduler.run_once()
    [row] = await reminders_to(runtime, hoa)
    assert row.payload["text"].startswith("📝 Your product “Chè búp Tân Cương”")
    assert "still lacks: story, at least 3 photos." in row.payload["text"]
    labels = [button["label"] for line in row.payload["buttons"] for button in line]
    assert labels == ["✏️ Add story", "✏️ Add at least 3 photos", "🔕 Turn off these reminders"]
    chat = Chat(runtime, user_id="5001")
    await chat.callback(f"n:{row.id}:0")  # as Telegram sends a press on a delivered message
    assert "The product's story" in chat.text
    await chat.callback(f"n:{row.id}:1")
    assert "Chè búp Tân Cương" in chat.text and "photo" in chat.text.lower()
    await chat.callback(f"n:{row.id}:2")
    assert chat.text.startswith("Reminders turned off: Missing profile and product information.")


async def test_no_more_nudges_once_the_gap_is_filled(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    hoa, [tea] = await producer(
        runtime, clock, "5001", products=[{**COMPLETE_PRODUCT, "photos": 0}]
    )
    clock.advance(hours=24)
    assert await days_nudged(runtime, clock, scheduler, hoa, 2) == [0, 1]
    await add_photos(runtime, tea, 3)
    assert len(await days_nudged(runtime, clock, scheduler, hoa, 20)) == 2
    outcomes = [job.outcome for job in await jobs(runtime, subject_id=tea)]
    assert outcomes == ["queued", "queued", "complete", "complete", "complete"]


async def test_after_downtime_only_the_latest_nudge_goes(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    hoa, [tea] = await producer(
        runtime, clock, "5001", products=[{**COMPLETE_PRODUCT, "story": None}]
    )
    clock.advance(hours=24)
    await scheduler.run_once()  # day 0
    clock.advance(days=10)  # the scheduler was down: days 1, 3 and 7 went by
    await scheduler.run_once()
    assert len(await texts_to(runtime, hoa)) == 2  # day 0, and one (day 7) now
    outcomes = [job.outcome for job in await jobs(runtime, subject_id=tea)]
    assert outcomes == ["queued", "superseded", "superseded", "queued", None]


async def test_a_profile_missing_its_address_and_location(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    profile = {"address": "", "latitude": None, "tax_code": "4600123456"}
    hoa, _ = await producer(runtime, clock, "5001", profile=profile, language="en")
    clock.advance(hours=24)
    await scheduler.run_once()
    [row] = await reminders_to(runtime, hoa)
    assert "still lacks: street address, location on the map." in row.payload["text"]
    chat = Chat(runtime, user_id="5001")
    await chat.callback(f"n:{row.id}:0")
    assert "Street address (house number, hamlet)?" in chat.text


async def test_the_weekly_cap_holds_nudges_back_to_a_free_slot(
    runtime: Runtime, clock: Clock
) -> None:
    """Four products missing photos: three nudges the first day, the fourth a week later,
    and never more than three in any seven days."""
    scheduler = make_scheduler(runtime, clock, weekly_cap=3)
    hoa, _ = await producer(runtime, clock, "5001", products=[{"photos": 0}] * 4)
    clock.advance(hours=24)
    days = await days_nudged(runtime, clock, scheduler, hoa, 30)
    assert days[:3] == [0, 0, 0] and days[3] == 7
    for day in days:
        assert sum(1 for other in days if day <= other < day + 7) <= 3
    nudged = {row.payload["text"].split("(")[1][:6] for row in await reminders_to(runtime, hoa)}
    assert len(nudged) == 4  # every product got its turn


async def test_quiet_hours_hold_a_nudge_until_seven(runtime: Runtime, clock: Clock) -> None:
    scheduler = make_scheduler(runtime, clock)
    hoa, _ = await producer(runtime, clock, "5001", products=[{"photos": 0}])
    clock.now = local(24, 22, 30)  # the day's grace is over late in the evening
    report = await scheduler.run_once()
    assert report.quiet and report.planned == 5
    clock.now = local(25, 6, 59)
    await scheduler.run_once()
    assert await texts_to(runtime, hoa) == []
    clock.now = local(25, 7, 0)
    await scheduler.run_once()
    assert len(await texts_to(runtime, hoa)) == 1


async def test_turned_off_blocked_and_unreachable_users_get_nothing(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    off, _ = await producer(runtime, clock, "5001", products=[{"photos": 0}])
    blocked, _ = await producer(runtime, clock, "5002", products=[{"photos": 0}])
    await set_user(runtime, off, reminders_off={"incomplete": True})
    clock.advance(hours=24)
    await scheduler.run_once()  # plans and sends day 0 to `blocked`, who then blocks the bot
    await set_user(runtime, blocked, blocked_at=clock())
    assert len(await texts_to(runtime, blocked)) == 1
    clock.advance(days=1)
    await scheduler.run_once()
    assert await texts_to(runtime, off) == []
    assert len(await texts_to(runtime, blocked)) == 1
    assert {job.outcome for job in await jobs(runtime, user_id=off) if job.outcome} == {"off"}
    assert [job.outcome for job in await jobs(runtime, user_id=blocked)][:2] == [
        "queued",
        "blocked",
    ]


async def test_a_product_changed_to_another_producer_is_not_nudged(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    hoa, [tea] = await producer(runtime, clock, "5001", products=[{"photos": 0}])
    lan, _ = await producer(runtime, clock, "5002")
    clock.advance(hours=24)
    await scheduler.run_once()
    async with runtime.db.transaction() as session:
        from sqlalchemy import select

        from storage.models import Producer

        other = await session.scalar(select(Producer.id).where(Producer.user_id == lan))
    await change_product(runtime, tea, producer_id=other)
    clock.advance(days=1)
    await scheduler.run_once()
    assert len(await texts_to(runtime, hoa)) == 1
    assert (await jobs(runtime, subject_id=tea))[1].outcome == "gone"

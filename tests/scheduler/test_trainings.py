"""Trainings from the officer's flow to attendance, through the dispatcher and the scheduler.

Producers answer by pressing the buttons on the messages the outbox
delivered ("n:<outbox id>:<index>", as Telegram sends them back).
"""

from __future__ import annotations

from bot.runtime import Runtime
from bot.scheduler import SchedulerService
from storage import trainings as store
from storage.models import OutboxMessage
from tests.conftest import Clock
from tests.helpers import Chat
from tests.officers.people import audit, craft
from tests.outbox.conftest import LAM_DONG
from tests.scheduler.conftest import (
    add_training,
    jobs,
    local,
    officer,
    producer,
    reminders_to,
    texts_to,
)


async def press(runtime: Runtime, external_id: str, row: OutboxMessage, index: int) -> Chat:
    """Presses button `index` of a delivered message, as its recipient."""
    chat = Chat(runtime, user_id=external_id)
    await chat.callback(f"n:{row.id}:{index}")
    return chat


async def test_from_the_officers_flow_to_attendance(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    hoa, _ = await producer(runtime, clock, "5001", language="en")
    lan, _ = await producer(runtime, clock, "5002", language="en")
    elsewhere, _ = await producer(runtime, clock, "5003", province=LAM_DONG, ward=24781)
    await officer(runtime, "9001")
    minh = Chat(runtime, user_id="9001")

    await minh.say("/newtraining")
    assert "What is the training about?" in minh.text
    await minh.say("Bán hàng trên sàn TMĐT cho sản phẩm OCOP")
    await minh.say("05/12/2026 08:30")
    assert "Where?" in minh.text
    await minh.say("Hội trường UBND xã Tân Cương")
    await minh.say("1")
    assert "Only one commune or ward?" in minh.text  # the province is the officer's own
    for label in ("⏭ Skip", "✔️ Done", "✔️ Done", "✔️ Done", "⏭ Skip", "⏭ Skip"):
        await minh.press(label)
    assert "🕒 When: 05/12/2026 08:30" in minh.text and "👥 Seats: 1" in minh.text
    await minh.press("💾 Save")
    assert minh.text.startswith(
        "✅ Training #1 is created. Invitations are going out; producers invited: 2."
    )

    await scheduler.run_once()
    [to_hoa] = await reminders_to(runtime, hoa)
    [to_lan] = await reminders_to(runtime, lan)
    assert await texts_to(runtime, elsewhere) == []  # another province
    assert to_hoa.payload["text"].startswith("📩 You are invited to the training below.")
    assert "📍 Where: Hội trường UBND xã Tân Cương" in to_hoa.payload["text"]

    chat = await press(runtime, "5001", to_hoa, 0)  # ✅ Going
    assert chat.text.startswith(
        "✅ Noted: you are going to “Bán hàng trên sàn TMĐT cho sản phẩm OCOP”."
    )
    chat = await press(runtime, "5002", to_lan, 0)
    assert "is full. You are number 1 on the waiting list" in chat.text
    await chat.say("/trainings")
    line = "05/12/2026 08:30 — Bán hàng trên sàn TMĐT cho sản phẩm OCOP"
    assert f"{line}: ⏳ on the waiting list (number 1)" in chat.text

    chat = await press(runtime, "5001", to_hoa, 1)  # ❌ Not going: Lan moves up
    assert chat.text.startswith("Noted: you are not going")
    [_, promoted] = await texts_to(runtime, lan)
    assert promoted.startswith("🎉 A seat has come free")

    clock.now = local(4, 8, 31, month=12)
    await scheduler.run_once()
    clock.now = local(5, 7, 30, month=12)
    await scheduler.run_once()
    assert (await texts_to(runtime, lan))[2:] == [
        await _reminder(runtime, "1 day"),
        await _reminder(runtime, "1 hour"),
    ]
    assert len(await texts_to(runtime, hoa)) == 1  # not going: no reminders

    clock.now = local(5, 11, 0, month=12)
    await minh.say("/trainings")
    await minh.press("Bán hàng trên sàn TMĐT")
    assert "Going: 1 · Waiting: 0 · Not going: 1 · No answer: 0" in minh.text
    await minh.press("📝 Take attendance")
    await minh.press("⬜ HTX 5002")
    await minh.press("✔️ Finish attendance")
    assert minh.text.startswith("✅ Attendance saved: present 1, absent 0.")
    await chat.say("/trainings")
    assert chat.text.startswith("You have no upcoming training invitations.")


async def _reminder(runtime: Runtime, left: str) -> str:
    """The text of a reminder with `left` to go, as Lan (English) reads it."""
    t = runtime.app.catalogs.translator("en")
    return (
        t("training.reminder", left=left)
        + "\n\n📚 Training: Bán hàng trên sàn TMĐT cho sản phẩm OCOP"
        + "\n🕒 When: 05/12/2026 08:30\n📍 Where: Hội trường UBND xã Tân Cương"
    )


async def test_answers_are_checked_against_the_pressing_user(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    minh = await officer(runtime, "9001")
    await producer(runtime, clock, "5001", language="en")
    outsider, _ = await producer(
        runtime, clock, "5003", province=LAM_DONG, ward=24781, language="en"
    )
    training = await add_training(runtime, clock, minh)
    chat = Chat(runtime, user_id="5003")
    await craft(chat, f"training:going:{training}")
    await chat.callback("CRFT:0")
    assert chat.text.startswith("You have no invitation to this training.")
    assert await jobs(runtime, user_id=outsider) == []


async def test_only_officers_of_the_province_manage_a_training(
    runtime: Runtime, clock: Clock
) -> None:
    minh = await officer(runtime, "9001")
    await officer(runtime, "9002", province=LAM_DONG)
    await producer(runtime, clock, "5001", language="en")
    training = await add_training(runtime, clock, minh)
    producer_chat = Chat(runtime, user_id="5001")
    await producer_chat.say("/newtraining")
    assert producer_chat.text.startswith("Sorry, you are not allowed to do that.")
    other = Chat(runtime, user_id="9002")
    await craft(other, f"training:cancel_yes:{training}")
    await other.callback("CRFT:0")
    assert other.text.startswith("This training was not found within your area.")
    [denied] = [entry for entry in await audit(runtime, "denied") if entry.entity == "training"]
    assert denied.after == {
        "action": f"training:cancel_yes:{training}",
        "reason": "province",
    }
    async with runtime.db.transaction() as session:
        found = await store.get_training(session, training)
        assert found is not None and found.status == store.OPEN


async def test_invitations_wait_for_the_morning_and_reminders_do_not_outlive_the_start(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    minh = await officer(runtime, "9001")
    hoa, _ = await producer(runtime, clock, "5001", language="en")
    clock.now = local(23, 22, 0)
    training = await add_training(runtime, clock, minh, starts_at=local(25, 8, 0))
    await scheduler.run_once()
    assert await texts_to(runtime, hoa) == []  # 22:00: quiet hours
    clock.now = local(24, 7, 0)
    await scheduler.run_once()
    [invitation] = await reminders_to(runtime, hoa)
    await press(runtime, "5001", invitation, 0)
    steps = [job.step for job in await jobs(runtime, kind="training", user_id=hoa)]
    assert steps == ["24h", "1h"]  # the day-before reminder is still ahead (24/11 08:00)

    clock.now = local(25, 7, 30)  # the scheduler was down from 07:00 on the 24th
    await scheduler.run_once()
    texts = await texts_to(runtime, hoa)
    assert len(texts) == 2 and "starts in 30 minutes" in texts[1]
    outcomes = [job.outcome for job in await jobs(runtime, kind="training", user_id=hoa)]
    assert outcomes == ["superseded", "queued"]
    assert training


async def test_after_the_start_pending_invitations_are_dropped_not_sent(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    minh = await officer(runtime, "9001")
    hoa, _ = await producer(runtime, clock, "5001", language="en")
    await add_training(runtime, clock, minh, starts_at=local(23, 14, 0))
    clock.now = local(23, 15, 0)  # down until after the start
    await scheduler.run_once()
    assert await texts_to(runtime, hoa) == []
    [job] = await jobs(runtime, kind="invite")
    assert job.outcome == "started"


async def test_a_cancelled_training_tells_those_going_and_stops_reminders(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    minh = await officer(runtime, "9001")
    hoa, _ = await producer(runtime, clock, "5001", language="en")
    lan, _ = await producer(runtime, clock, "5002", language="en")
    await add_training(runtime, clock, minh, capacity=1)
    await scheduler.run_once()
    for external_id, user_id in (("5001", hoa), ("5002", lan)):
        [invitation] = await reminders_to(runtime, user_id)
        await press(runtime, external_id, invitation, 0)  # Hoa going, Lan waiting
    officer_chat = Chat(runtime, user_id="9001")
    await officer_chat.say("/trainings")
    await officer_chat.press("Bán hàng trên sàn TMĐT")
    await officer_chat.press("🚫 Cancel the training")
    await officer_chat.press("🚫 Yes, cancel it")
    assert "is cancelled. Telling the 2 people who were going or waiting." in officer_chat.text
    for user_id in (hoa, lan):
        assert (await texts_to(runtime, user_id))[-1].startswith(
            "🚫 The training below has been cancelled."
        )
    clock.now = local(4, 9, 0, month=12)
    await scheduler.run_once()
    assert [len(await texts_to(runtime, u)) for u in (hoa, lan)] == [2, 2]
    assert {job.outcome for job in await jobs(runtime, kind="training")} == {"cancelled"}


async def test_turning_training_reminders_off_in_reminders(
    runtime: Runtime, clock: Clock, scheduler: SchedulerService
) -> None:
    minh = await officer(runtime, "9001")
    hoa, _ = await producer(runtime, clock, "5001", language="en")
    chat = Chat(runtime, user_id="5001")
    await chat.say("/reminders")
    assert "✅ Trainings (invitations and reminders before they start): on" in chat.text
    await chat.press("🔕 Turn off: Trainings")
    assert chat.text.startswith("Reminders turned off: Trainings")
    assert "🔕 Trainings (invitations and reminders before they start): off" in chat.text
    await add_training(runtime, clock, minh)
    await scheduler.run_once()
    assert await texts_to(runtime, hoa) == []
    chat = Chat(runtime, user_id="5001")
    await chat.say("/trainings")  # the invitation is still there to answer
    assert "Bán hàng trên sàn TMĐT: not answered yet" in chat.text


async def test_filters_that_select_nobody_are_asked_again(runtime: Runtime, clock: Clock) -> None:
    await officer(runtime, "9001", province=LAM_DONG)  # no producers in Lâm Đồng
    minh = Chat(runtime, user_id="9001")
    await minh.say("/newtraining")
    for answer in ("Bán hàng trên sàn TMĐT", "05/12/2026 08:30", "Hội trường xã", "30"):
        await minh.say(answer)
    for label in ("⏭ Skip", "✔️ Done", "✔️ Done", "✔️ Done", "⏭ Skip", "⏭ Skip", "💾 Save"):
        await minh.press(label)
    assert minh.text.startswith("No producer matches these filters, so the training was not")
    assert "Only one commune or ward?" in minh.text
    async with runtime.db.transaction() as session:
        assert await store.get_training(session, 1) is None

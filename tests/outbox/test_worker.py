"""The outbox worker with a recording sender: once each, blocked, cancelled, crashed, opted out."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter

from bot.outbox.sender import Outcome
from bot.runtime import Runtime
from storage import outbox
from storage.audience import Audience
from storage.db import Database
from storage.models import User
from storage.producers import save_producer
from storage.users import get_or_create_user
from tests.conftest import Clock
from tests.helpers import PRODUCER_FIELDS
from tests.outbox.conftest import (
    THAI_NGUYEN,
    FakeSender,
    add_officer,
    add_producer,
    broadcast,
    make_worker,
    queue,
    rows,
    statuses,
    user,
)

AUDIENCE = Audience(province=THAI_NGUYEN)


async def run_until_idle(worker: object, passes: int = 20) -> None:
    for _ in range(passes):
        if await worker.run_once() == 0:  # type: ignore[attr-defined]
            return
    raise AssertionError("the worker kept finding work")


async def test_each_recipient_gets_the_text_once_with_working_buttons(
    runtime: Runtime, clock: Clock, sender: FakeSender, producers: list[int]
) -> None:
    officer = await add_officer(runtime)
    sent = await queue(runtime, clock, AUDIENCE, officer=officer, text="Lớp tập huấn 25/11")
    await run_until_idle(make_worker(runtime, sender, clock))

    chats = sender.chats()
    assert chats[0] == officer.external_id  # the progress message leaves first
    recipients = [chat for chat in chats if chat != officer.external_id]
    assert sorted(recipients) == [str(1000 + n) for n in range(5)]
    for _chat, message in sender.sent[1:6]:
        assert message.text == "Lớp tập huấn 25/11"
        [[(label, data)]] = message.buttons
        assert label == "🔕 Tắt" and data.startswith("n:")
    # A press on the delivered button resolves to the stored action for its recipient only.
    first = (await rows(runtime, kind="broadcast"))[0]
    async with runtime.db.transaction() as session:
        assert await outbox.notice_action(session, first.id, first.user_id, 0) == "notices:off"
        assert await outbox.notice_action(session, first.id, officer.id, 0) is None
    done = await broadcast(runtime, sent.id)
    assert (done.status, done.total, done.sent, done.failed, done.blocked) == ("done", 5, 5, 0, 0)


async def test_progress_is_edited_as_it_goes_and_the_report_follows(
    runtime: Runtime, clock: Clock, sender: FakeSender, producers: list[int]
) -> None:
    officer = await add_officer(runtime)
    sent = await queue(runtime, clock, AUDIENCE, officer=officer)
    worker = make_worker(runtime, sender, clock, batch_size=2, progress_seconds=2)

    await worker.run_once()  # the progress message and the first recipient
    assert len(sender.edits) == 1
    chat, message_id, text, buttons = sender.edits[-1]
    assert chat == officer.external_id and message_id == "1"
    assert "1/5" in text and "Notice #" in text
    assert buttons == [[("⛔ Stop", buttons[0][0][1])]]  # the stop button stays while sending

    await worker.run_once()  # two more, but under 2 s since the last edit: no edit
    assert len(sender.edits) == 1
    clock.advance(seconds=2)
    await worker.run_once()  # an edit first (3/5), then the last two, then the closing edit
    assert "3/5" in sender.edits[1][2]
    final = sender.edits[2]
    assert len(sender.edits) == 3
    assert "finished" in final[2] and "5/5" in final[2]
    assert final[3] == []  # closed: no stop button any more
    await run_until_idle(worker)  # the report
    report = sender.sent[-1]
    assert report[0] == officer.external_id
    assert report[1].text.splitlines() == [
        f"✅ Notice #{sent.id} is finished.",
        "Recipients: 5",
        "Sent: 5",
        "Failed: 0",
        "Blocked the bot: 0",
    ]
    await run_until_idle(worker)
    assert len([c for c in sender.chats() if c == officer.external_id]) == 2  # one report only
    assert len(sender.edits) == 3


async def test_a_user_who_blocked_the_bot_is_marked_and_skipped(
    runtime: Runtime, clock: Clock, sender: FakeSender, producers: list[int]
) -> None:
    sender.script["1002"] = [Outcome.blocked("Forbidden: bot was blocked by the user")]
    first = await queue(runtime, clock, AUDIENCE)
    second = await queue(runtime, clock, AUDIENCE)  # queued before anyone knew
    await run_until_idle(make_worker(runtime, sender, clock, batch_size=5))

    assert (await user(runtime, producers[2])).blocked_at is not None
    assert Counter(sender.chats())["1002"] == 0  # the refused try is not a delivery
    assert await statuses(runtime, first.id) == {"sent": 4, "blocked": 1}
    assert await statuses(runtime, second.id) == {"sent": 4, "blocked": 1}
    assert (await broadcast(runtime, first.id)).blocked == 1
    # A new broadcast leaves them out altogether.
    third = await queue(runtime, clock, AUDIENCE)
    assert (await broadcast(runtime, third.id)).total == 4


async def test_cancel_stops_delivery(
    runtime: Runtime, clock: Clock, sender: FakeSender, producers: list[int]
) -> None:
    officer = await add_officer(runtime)
    sent = await queue(runtime, clock, AUDIENCE, officer=officer)
    worker = make_worker(runtime, sender, clock, batch_size=2)
    await worker.run_once()  # progress + one recipient
    async with runtime.db.transaction() as session:
        found = await outbox.get_broadcast(session, sent.id)
        assert found is not None
        assert await outbox.cancel_broadcast(session, found) == 4
    await run_until_idle(worker)

    assert Counter(sender.chats()) == {officer.external_id: 2, "1000": 1}  # progress, report
    assert await statuses(runtime, sent.id) == {"sent": 1, "cancelled": 4}
    closed = await broadcast(runtime, sent.id)
    assert closed.status == "cancelled" and closed.finished_at is not None
    assert "stopped" in sender.edits[-1][2]
    assert sender.sent[-1][1].text.splitlines()[-1] == "Not sent because it was stopped: 4"


class HangingSender(FakeSender):
    """Sends go out (recorded) but their answer never comes: the process dies meanwhile."""

    def __init__(self, hang_after: int) -> None:
        super().__init__()
        self.hang_after = hang_after
        self.hanging = asyncio.Event()

    async def send(self, chat_id: str, message: object) -> Outcome:
        outcome = await super().send(chat_id, message)  # type: ignore[arg-type]
        if len(self.sent) > self.hang_after:
            self.hanging.set()
            await asyncio.Event().wait()  # forever
        return outcome


async def test_restart_after_a_crash_sends_nothing_twice(
    runtime: Runtime, clock: Clock, producers: list[int]
) -> None:
    more = [await add_producer(runtime, str(2000 + n), products=[{}]) for n in range(15)]
    sent = await queue(runtime, clock, AUDIENCE)
    crashed = HangingSender(hang_after=6)
    first = make_worker(runtime, crashed, clock, worker_id="dead", batch_size=10, max_in_flight=3)
    task = asyncio.create_task(first.run_once())
    await asyncio.wait_for(crashed.hanging.wait(), 5)
    await asyncio.sleep(0.05)  # let the other in-flight sends reach the sender too
    for pending in [*first._tasks, task]:  # the kill: nothing after this runs
        pending.cancel()
    await asyncio.gather(*first._tasks, task, return_exceptions=True)
    mid_send = await rows(runtime, status="sending")
    assert 1 <= len(mid_send) <= 3  # at most the in-flight window

    survivor = FakeSender()
    second = make_worker(runtime, survivor, clock, worker_id="alive", batch_size=10)
    await run_until_idle(second)
    assert len(await rows(runtime, status="sending")) == len(mid_send)  # leases still running
    clock.advance(seconds=61)  # past the dead worker's leases
    await run_until_idle(second)

    counts = await statuses(runtime, sent.id)
    assert counts == {"sent": 20 - len(mid_send), "unknown": len(mid_send)}
    delivered = Counter(crashed.chats() + survivor.chats())
    assert max(delivered.values()) == 1  # nobody got it twice
    assert set(delivered) == {str(1000 + n) for n in range(5)} | {str(2000 + n) for n in range(15)}
    assert len(more) == 15


async def test_opt_out_is_respected_for_optional_and_ignored_for_essential(
    runtime: Runtime, clock: Clock, sender: FakeSender, producers: list[int]
) -> None:
    async with runtime.db.transaction() as session:
        opted = await session.get(User, producers[0])
        assert opted is not None
        opted.notices_opt_out = True
    optional = await queue(runtime, clock, AUDIENCE)
    essential = await queue(runtime, clock, Audience(province=THAI_NGUYEN, essential=True))
    assert (await broadcast(runtime, optional.id)).total == 4
    assert (await broadcast(runtime, essential.id)).total == 5
    # Opting out after an optional broadcast was queued drops the rest of it.
    late = await queue(runtime, clock, AUDIENCE)
    async with runtime.db.transaction() as session:
        second = await session.get(User, producers[1])
        assert second is not None
        second.notices_opt_out = True
    await run_until_idle(make_worker(runtime, sender, clock))

    assert Counter(sender.chats())["1000"] == 1  # the essential one only
    assert Counter(sender.chats())["1001"] == 1  # opted out before any was sent: essential only
    assert await statuses(runtime, optional.id) == {"sent": 3, "dropped": 1}
    assert await statuses(runtime, late.id) == {"sent": 3, "dropped": 1}
    assert await statuses(runtime, essential.id) == {"sent": 5}


async def test_retry_after_pauses_everything_and_the_message_goes_later(
    runtime: Runtime, clock: Clock, sender: FakeSender, producers: list[int]
) -> None:
    sender.script["1001"] = [Outcome.retry_after(1.0)]
    sent = await queue(runtime, clock, AUDIENCE)
    worker = make_worker(runtime, sender, clock, batch_size=10, max_in_flight=1)
    started = time.monotonic()
    await worker.run_once()
    elapsed = time.monotonic() - started
    assert elapsed >= 0.9  # the sends after the 429 waited for retry_after
    assert await statuses(runtime, sent.id) == {"sent": 4, "pending": 1}
    await worker.run_once()
    assert await statuses(runtime, sent.id) == {"sent": 4, "pending": 1}  # not due yet
    clock.advance(seconds=1)
    await run_until_idle(worker)
    assert await statuses(runtime, sent.id) == {"sent": 5}
    assert Counter(sender.chats())["1001"] == 1


async def test_scheduled_broadcast_waits_for_its_time(
    runtime: Runtime, clock: Clock, sender: FakeSender, producers: list[int]
) -> None:
    later = clock() + dt.timedelta(hours=2)
    sent = await queue(runtime, clock, AUDIENCE, start=later)
    assert (await broadcast(runtime, sent.id)).status == "scheduled"
    worker = make_worker(runtime, sender, clock)
    await run_until_idle(worker)
    assert sender.sent == []
    clock.advance(hours=2)
    await run_until_idle(worker)
    assert len(sender.sent) == 5
    assert (await broadcast(runtime, sent.id)).status == "done"


async def test_two_workers_never_send_the_same_row(
    runtime: Runtime, clock: Clock, database_url: str
) -> None:
    async with runtime.db.transaction() as session:
        for n in range(120):
            found = await get_or_create_user(session, "telegram", str(3000 + n), "P")
            found.language = "vi"
            await save_producer(session, found.id, dict(PRODUCER_FIELDS, name=f"HTX {n}"))
    sent = await queue(runtime, clock, AUDIENCE)
    other_db = Database(database_url)  # a second process has its own connections
    try:
        # Sends that take a little time, as real ones do: the first worker cannot be
        # done with all 120 before the second has leased its first batch.
        one, two = FakeSender(delay=0.01), FakeSender(delay=0.01)
        first = make_worker(runtime, one, clock, worker_id="one", batch_size=7)
        second = make_worker(runtime, two, clock, worker_id="two", batch_size=7)
        second.db = other_db
        await first.start()
        await second.start()
        async with asyncio.timeout(30):
            while (await statuses(runtime, sent.id)).get("sent", 0) < 120:  # noqa: ASYNC110 - polls the database
                await asyncio.sleep(0.05)
        await first.stop()
        await second.stop()
    finally:
        await other_db.dispose()
    together = Counter(one.chats() + two.chats())
    assert len(together) == 120 and max(together.values()) == 1
    assert one.sent and two.sent  # both took part

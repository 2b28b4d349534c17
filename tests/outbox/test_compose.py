"""Composing a broadcast in the chat: preview, refusals, attachments, schedule, stop, /notices."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.core.types import Reply
from bot.runtime import Runtime
from storage.models import AuditEntry, Broadcast, User
from tests.conftest import Clock
from tests.e2e.conftest import picture
from tests.helpers import Chat, labels
from tests.outbox.conftest import LAM_DONG, add_officer, add_producer, rows, user

TEXT = "Mời các chủ thể OCOP dự lớp tập huấn bán hàng trên sàn TMĐT ngày 25/11."


@pytest.fixture
async def officer(runtime: Runtime) -> Chat:
    await add_officer(runtime, "9001")
    return Chat(runtime, user_id="9001")


@pytest.fixture
async def world(runtime: Runtime) -> list[int]:
    ids = [await add_producer(runtime, str(1000 + n), products=[{}]) for n in range(3)]
    ids.append(await add_producer(runtime, "1010", province=LAM_DONG, ward=24781, products=[{}]))
    return ids


async def compose(chat: Chat, text: str = TEXT) -> list[Reply]:
    """From /broadcast to the preview, every filter left open, not essential."""
    screen = await chat.say("/broadcast")
    assert "What should the notice say?" in chat.text, chat.text
    await chat.say(text)
    assert "Only one commune or ward?" in chat.text, chat.text
    await chat.press("Skip")
    for step in ("Products of which groups?", "how many stars?", "Which kinds of producer?"):
        assert step in chat.text, chat.text
        await chat.press("Done")
    assert "not yet live on one marketplace" in chat.text
    await chat.press("Skip")
    assert "missing photos or a certificate" in chat.text
    await chat.press("Skip")
    assert "essential notice" in chat.text
    screen = await chat.press("No")
    return screen


async def test_officer_composes_previews_and_sends(
    runtime: Runtime, officer: Chat, world: list[int]
) -> None:
    screen = await compose(officer)
    assert [reply.text for reply in screen[:2]] == [
        "👁 Preview: recipients will see exactly the message below.",
        TEXT,  # exactly as it will arrive
    ]
    assert screen[2].text.splitlines()[:2] == ["👥 Recipients: 3", "Province: Thái Nguyên"]
    assert labels(screen)[:2] == ["✅ Send now", "🕓 Send later"]

    screen = await officer.press("Send now")
    assert (
        screen[0].text
        == "📣 Notice #1 is going out to 3 people. Progress shows in the next message."
    )
    queued = await rows(runtime)
    assert [(row.kind, row.chat_id) for row in queued] == [
        ("progress", "9001"),
        *[("broadcast", str(1000 + n)) for n in range(3)],
    ]
    assert queued[1].payload["buttons"] == [
        [{"label": "🔕 Không nhận thông báo loại này", "action": "notices:off"}]
    ]
    async with runtime.db.transaction() as session:
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "broadcast.sent")
        )
        assert audit is not None and audit.after is not None and audit.after["total"] == 3


async def test_an_over_long_text_is_refused_and_asked_again(
    runtime: Runtime, officer: Chat, world: list[int]
) -> None:
    await officer.say("/broadcast")
    await officer.say("a" * 4097)
    assert officer.screen[0].text.startswith(
        "The text is 4,097 characters long, over the limit of 4,096. "
        "Please shorten it and send it again.\n\n"
    )
    assert "What should the notice say?" in officer.text
    await officer.say("a" * 4096)
    assert "Only one commune or ward?" in officer.text


async def test_a_broadcast_with_no_audience_is_refused(
    runtime: Runtime, officer: Chat, world: list[int]
) -> None:
    await officer.say("/broadcast")
    await officer.say(TEXT)
    await officer.press("Skip")
    await officer.press("Done")
    await officer.press("5 stars")  # nobody has a 5-star product
    await officer.press("Done")
    await officer.press("Done")
    await officer.press("Skip")
    await officer.press("Skip")
    screen = await officer.press("No")
    assert "👥 Recipients: 0" in officer.text and "Nobody matches" in officer.text
    assert "✅ Send now" not in labels(screen)


async def test_an_audience_gone_by_confirmation_is_refused_before_sending(
    runtime: Runtime, officer: Chat, world: list[int]
) -> None:
    await compose(officer)
    async with runtime.db.transaction() as session:
        for user_id in world:
            found = await session.get(User, user_id)
            assert found is not None
            found.blocked_at = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    screen = await officer.press("Send now")
    assert screen[0].text.startswith("⚠️ Nobody matches these filters")
    assert await rows(runtime) == []


async def test_producers_and_officers_without_a_province_cannot_broadcast(
    runtime: Runtime, world: list[int]
) -> None:
    producer = Chat(runtime, user_id="1000")
    async with runtime.db.transaction() as session:
        found = await session.get(User, world[0])
        assert found is not None
        found.language = "en"
    await producer.say("/broadcast")
    assert producer.screen[0].text.startswith("Sorry, you are not allowed to do that.\n\n")
    await add_officer(runtime, "9002", province=None)
    stranded = Chat(runtime, user_id="9002")
    await stranded.say("/broadcast")
    assert stranded.screen[0].text.startswith("Your officer account has no province yet")


async def test_a_photo_goes_with_a_short_text_only(
    runtime: Runtime, officer: Chat, world: list[int]
) -> None:
    await compose(officer, "a" * 1025)
    await officer.press("Add a photo or file")
    assert "Send one photo, or one file" in officer.text
    await officer.send(officer.incoming(photo=_photo_ref(), file_bytes=picture(3)))
    assert officer.screen[0].text.startswith("With a photo or file the text may be at most 1,024")

    await officer.press("Back")  # the step's own button leads back to the preview
    await officer.press("Edit text")
    await officer.say("Ảnh hội chợ OCOP Thái Nguyên")
    await officer.press("Add a photo or file")
    screen = await officer.send(officer.incoming(photo=_photo_ref(), file_bytes=picture(3)))
    assert screen[0].text == "📎 Photo/file added."
    assert screen[2].photo is not None and screen[2].text == "Ảnh hội chợ OCOP Thái Nguyên"
    assert "🗑 Remove the photo/file" in labels(screen)
    # Now the text may not grow past a caption.
    await officer.press("Edit text")
    await officer.say("b" * 1025)
    assert officer.screen[0].text.startswith("With a photo or file the text may be at most 1,024")


async def test_scheduling_takes_vietnam_time_and_refuses_the_past(
    runtime: Runtime, officer: Chat, world: list[int], clock: Clock
) -> None:
    await compose(officer)
    await officer.press("Send later")
    await officer.say("23/11/2026 09:00")  # it is 10:00 in Vietnam
    assert officer.screen[0].text.startswith(
        "That time has passed. Please choose a time after now.\n\nWhen should it go?"
    )
    screen = await officer.say("24/11/2026 08:30")
    assert screen[0].text == (
        "🕓 Notice #1 will go to 3 people at 24/11/2026 08:30. See or stop it with /broadcasts."
    )
    at = dt.datetime(2026, 11, 24, 1, 30, tzinfo=dt.UTC)
    async with runtime.db.transaction() as session:
        broadcast = await session.get(Broadcast, 1)
        assert broadcast is not None and broadcast.status == "scheduled"
    assert {row.not_before.replace(tzinfo=dt.UTC) for row in await rows(runtime)} == {at}


async def test_a_running_broadcast_is_stopped_from_the_list(
    runtime: Runtime, officer: Chat, world: list[int]
) -> None:
    await compose(officer)
    await officer.press("Send now")
    await officer.say("/broadcasts")
    assert "#1 · 📤 sending" in officer.text and "Sent 0/3" in officer.text
    await officer.press("Stop notice #1")
    assert "Stop notice #1? 0/3 sent" in officer.text
    await officer.press("Stop sending")
    assert (
        officer.screen[0].text
        == "⛔ Notice #1 stopped: 4 unsent messages cancelled, 0 already sent."
    )
    assert {row.status for row in await rows(runtime)} == {"cancelled"}
    async with runtime.db.transaction() as session:
        broadcast = await session.get(Broadcast, 1)
        assert broadcast is not None and broadcast.finished_at is not None  # nothing in flight

    # An officer of another province does not see it, and cannot stop it.
    await add_officer(runtime, "9003", province=LAM_DONG)
    other = Chat(runtime, user_id="9003")
    await other.say("/broadcasts")
    assert other.screen[0].text == "No notices have been sent yet."


async def test_notices_opt_out_from_the_command_and_from_a_delivered_button(
    runtime: Runtime, officer: Chat, world: list[int]
) -> None:
    await compose(officer)
    await officer.press("Send now")
    producer = Chat(runtime, user_id="1000")  # Vietnamese
    row = next(r for r in await rows(runtime, kind="broadcast") if r.chat_id == "1000")
    screen = await producer.callback(f"n:{row.id}:0")  # the button on the delivered notice
    assert screen[0].text.startswith("Đã tắt thông báo không bắt buộc")
    assert (await user(runtime, world[0])).notices_opt_out is True
    await producer.say("/notices")
    assert producer.screen[0].text.startswith("🔕 Anh/chị đã tắt")
    await producer.press("Bật lại thông báo")
    assert (await user(runtime, world[0])).notices_opt_out is False
    # Someone else's notice button does nothing for them.
    stranger = Chat(runtime, user_id="1001")
    await stranger.callback(f"n:{row.id}:0")
    assert (await user(runtime, world[1])).notices_opt_out is False


def _photo_ref() -> object:
    from bot.core.types import FileRef

    return FileRef("photo-1", size=50_000, mime="image/jpeg")

"""Every webhook request's X-ZEvent-Signature is checked; forged, stale and replayed events
change nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from storage.models import User
from tests.zalo_oa.conftest import OA


async def users(oa: OA) -> int:
    async with oa.runtime.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_a_signed_event_is_answered(oa: OA) -> None:
    replies = await oa.text("u1", "/help")
    assert replies and replies[0].text
    assert await users(oa) == 1


async def test_a_forged_event_is_refused_and_changes_nothing(oa: OA) -> None:
    body, headers = oa.fake.event("user_send_text", "u1", text="/start", secret="not-the-secret")
    assert await oa.post(body, headers) == 403
    unsigned = {"Content-Type": "application/json"}
    assert await oa.post(body, unsigned) == 403
    # The body changed after signing (another user): refused too.
    body, headers = oa.fake.event("user_send_text", "u1", text="/start")
    assert await oa.post(body.replace(b'"u1"', b'"u2"'), headers) == 403
    assert oa.fake.sent == []
    assert await users(oa) == 0


async def test_a_replayed_event_is_handled_once(oa: OA) -> None:
    body, headers = oa.fake.event("user_send_text", "u1", text="/help")
    assert await oa.post(body, headers) == 200
    answered = len(oa.fake.sent)
    assert answered >= 1
    assert await oa.post(body, headers) == 200  # the same event again
    assert len(oa.fake.sent) == answered


async def test_a_stale_event_is_refused(oa: OA) -> None:
    body, headers = oa.fake.event("user_send_text", "u1", text="/help")
    oa.clock.advance(seconds=oa.settings.zalo_oa.event_max_age + 1)
    assert await oa.post(body, headers) == 403
    ahead = oa.clock() + dt.timedelta(minutes=10)
    body, headers = oa.fake.event("user_send_text", "u1", text="/help", at=ahead)
    assert await oa.post(body, headers) == 403  # signed "in the future" is no better
    assert oa.fake.sent == []

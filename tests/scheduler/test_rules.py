"""Quiet hours and the weekly cap, as pure functions of the time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler.rules import WEEK, next_slot, quiet_until
from tests.scheduler.conftest import local

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = (dt.time(21, 0), dt.time(7, 0))


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (local(23, 20, 59), None),
        (local(23, 21, 0), local(24, 7)),
        (local(23, 23, 30), local(24, 7)),
        (local(24, 0, 0), local(24, 7)),
        (local(24, 6, 59), local(24, 7)),
        (local(24, 7, 0), None),
        (local(24, 12, 0), None),
    ],
)
def test_quiet_hours_over_midnight(now: dt.datetime, until: dt.datetime | None) -> None:
    assert quiet_until(now, TZ, *NIGHT) == until


def test_quiet_hours_within_a_day_and_none() -> None:
    lunch = (dt.time(12, 0), dt.time(13, 30))
    assert quiet_until(local(23, 12, 15), TZ, *lunch) == local(23, 13, 30)
    assert quiet_until(local(23, 13, 30), TZ, *lunch) is None
    assert quiet_until(local(23, 23, 0), TZ, dt.time(0), dt.time(0)) is None


def test_weekly_cap_frees_a_slot_when_the_oldest_nudge_is_a_week_old() -> None:
    now = local(30, 10)
    sent = [now - dt.timedelta(days=6), now - dt.timedelta(days=2), now - dt.timedelta(hours=1)]
    assert next_slot(sent, 3, now) == sent[0] + WEEK
    assert next_slot(sent[1:], 3, now) is None  # two in the week: a third may go
    assert next_slot(sent, 2, now) == sent[1] + WEEK
    older = [now - dt.timedelta(days=9), *sent[1:]]
    assert next_slot(older, 3, now) is None  # nine days ago is outside the week
    assert next_slot(sent, 0, now) is None  # 0: no cap

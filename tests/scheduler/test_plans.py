"""Schedules, as pure functions: nudges, expiry reminders, training reminders."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.config import ReminderSettings
from bot.scheduler.plans import expiry_reminders, nudges, training_reminders
from storage.models import Training
from tests.scheduler.conftest import local

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_nudges_follow_the_configured_days() -> None:
    first = local(23, 10)
    planned = nudges("incomplete_product", 7, 42, first, (0, 1, 3, 7, 14))
    assert [job.step for job in planned] == ["d0", "d1", "d3", "d7", "d14"]
    assert [(job.due_at - first).days for job in planned] == [0, 1, 3, 7, 14]
    assert planned[2].key == "incomplete_product:42::d3:7"


def test_expiry_keeps_the_latest_past_step_and_those_ahead() -> None:
    config = ReminderSettings()
    expiry = dt.date(2027, 3, 1)
    ahead = expiry_reminders("expiry", 7, 42, expiry, config, TZ, local(23, 10))
    assert [job.step for job in ahead] == ["90d", "30d", "7d", "0d"]
    assert ahead[0].due_at == local(1, 9, month=12)  # 01/12/2026 09:00, 90 days before
    assert ahead[-1].due_at == local(2, 9, month=3, year=2027)  # the day after the last valid
    late = expiry_reminders("expiry", 7, 42, expiry, config, TZ, local(9, 10, month=2, year=2027))
    assert [job.step for job in late] == ["30d", "7d", "0d"]
    assert {job.series for job in late} == {"2027-03-01"}


def test_training_reminders_only_ahead() -> None:
    training = Training(id=3, starts_at=local(5, 8, 30, month=12))
    early = training_reminders(7, training, (24, 1), local(23, 10))
    assert [(job.step, job.due_at) for job in early] == [
        ("24h", local(4, 8, 30, month=12)),
        ("1h", local(5, 7, 30, month=12)),
    ]
    assert [
        job.step for job in training_reminders(7, training, (24, 1), local(5, 0, month=12))
    ] == ["1h"]
    assert training_reminders(7, training, (24, 1), local(5, 8, month=12)) == []

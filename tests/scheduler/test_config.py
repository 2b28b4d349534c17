"""[reminders] in config.toml: the defaults the issue asks for, and overrides read as typed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.config import ReminderSettings, load_settings


def test_the_shipped_config_has_the_documented_defaults() -> None:
    reminders = load_settings(environ={}).reminders
    assert reminders == ReminderSettings()
    assert (reminders.quiet_start, reminders.quiet_end) == (dt.time(21), dt.time(7))
    assert reminders.incomplete_days == (0, 1, 3, 7, 14)
    assert reminders.expiry_days == (90, 30, 7, 0)
    assert reminders.training_hours == (24, 1)


def test_overrides(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[reminders]\nquiet_start = "22:30"\nquiet_end = "06:00"\nweekly_cap = 5\n'
        "training_hours = [48, 2]\n",
        encoding="utf-8",
    )
    reminders = load_settings(config, environ={}).reminders
    assert (reminders.quiet_start, reminders.quiet_end) == (dt.time(22, 30), dt.time(6))
    assert (reminders.weekly_cap, reminders.training_hours) == (5, (48, 2))
    assert reminders.expiry_days == (90, 30, 7, 0)  # not given: the default

"""Scheduled reminders (`scheduled_jobs.status`)."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DROPPED = "dropped"

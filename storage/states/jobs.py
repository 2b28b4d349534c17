"""Scheduled reminders (`scheduled_jobs.status`)."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DROPPED = "dropped"


# The switches on /reminders: the keys of `users.reminders_off` (bot/scheduler/kinds.py).
PREFERENCES = ("training", "incomplete", "expiry")


class JobKind(StrEnum):
    """Which reminder a job sends (bot/scheduler/kinds.py groups them)."""

    INVITE = "invite"  # an invitation to a training, with Going / Not going
    TRAINING = "training"  # a reminder before a training one is going to
    INCOMPLETE_PROFILE = "incomplete_profile"
    INCOMPLETE_PRODUCT = "incomplete_product"
    EXPIRY = "expiry"  # to the producer: their OCOP certificate expires soon, or has
    EXPIRY_OFFICER = "expiry_officer"  # the same, to the province's officers

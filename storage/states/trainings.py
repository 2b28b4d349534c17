"""Trainings and the producers' answers to their invitations."""

from __future__ import annotations

from enum import StrEnum


class TrainingStatus(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


class InviteStatus(StrEnum):
    """invited → going | not_going | waiting (full) → attended | absent once marked."""

    INVITED = "invited"
    GOING = "going"
    NOT_GOING = "not_going"
    WAITING = "waiting"
    ATTENDED = "attended"
    ABSENT = "absent"

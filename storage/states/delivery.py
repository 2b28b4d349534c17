"""Outbox rows and broadcasts: two tables, two sets of states.

Both have a "sending", with different meanings, hence two enums: mypy
refuses a broadcast state written to an outbox row and the reverse.
"""

from __future__ import annotations

from enum import StrEnum


class OutboxStatus(StrEnum):
    """One message: pending → leased → sending → sent | failed | blocked | unknown."""

    PENDING = "pending"
    LEASED = "leased"  # taken by a worker, not attempted yet: safe to take again once expired
    SENDING = "sending"  # committed just before the API call: never sent again
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"  # the user blocked the bot
    CANCELLED = "cancelled"
    DROPPED = "dropped"  # the user opted out of non-essential notices after it was queued
    UNKNOWN = "unknown"  # its worker died mid-send: it may or may not have arrived
    OUT_WINDOW = "out_window"  # the channel's reply window had closed (Zalo OA): never sent


class OutboxKind(StrEnum):
    """What an outbox row carries."""

    BROADCAST = "broadcast"  # one recipient's copy of a broadcast
    PROGRESS = "progress"  # the officer's progress message, edited as the broadcast goes
    REPORT = "report"  # the officer's final report
    REMINDER = "reminder"
    NOTICE = "notice"


class BroadcastStatus(StrEnum):
    """A notice: draft → scheduled | sending → done, or cancelled."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"

"""Who a user is to the bot (`users.role`)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    USER = "user"  # producers and consumers alike: everyone starts here
    OFFICER = "officer"  # acts within one province
    ADMIN = "admin"  # everywhere; names officers

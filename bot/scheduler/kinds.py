"""Kinds of reminder, which /reminders switch turns each off, and which count to the cap."""

from __future__ import annotations

from typing import Any

from storage.states.jobs import JobKind

INVITE = JobKind.INVITE
TRAINING = JobKind.TRAINING
INCOMPLETE_PROFILE = JobKind.INCOMPLETE_PROFILE
INCOMPLETE_PRODUCT = JobKind.INCOMPLETE_PRODUCT
EXPIRY = JobKind.EXPIRY
EXPIRY_OFFICER = JobKind.EXPIRY_OFFICER

# The kinds each switch on /reminders (storage.states.jobs.PREFERENCES) governs.
PREFERENCE_OF = {
    INVITE: "training",
    TRAINING: "training",
    INCOMPLETE_PROFILE: "incomplete",
    INCOMPLETE_PRODUCT: "incomplete",
    EXPIRY: "expiry",
    EXPIRY_OFFICER: "expiry",
}
# Nudges a producer did not ask for count towards the weekly cap; invitations
# and reminders of a training they said they would attend do not.
CAPPED = (INCOMPLETE_PROFILE, INCOMPLETE_PRODUCT, EXPIRY)
TRAINING_KINDS = (INVITE, TRAINING)


def is_off(reminders_off: dict[str, Any] | None, preference: str) -> bool:
    """Whether users.reminders_off turns `preference` off."""
    return bool((reminders_off or {}).get(preference))

"""Composing answers: a short note joined to the message it goes with.

An error and the question asked again, "saved for later" and the screen
that follows: one message each, not two, so a phone buzzes once and the
chat stays short (and Telegram's one-message-a-second per chat is spent
on what matters).
"""

from __future__ import annotations

from bot.core.types import Reply


def with_note(note: Reply, replies: list[Reply]) -> list[Reply]:
    """`note` joined above the first of `replies` (blank line between); apart where it can't be.

    A note that takes a keyboard away stays its own message when the next one
    has buttons (a Telegram message carries one keyboard). A photo without a
    caption takes the note as its caption.
    """
    if not replies:
        return [note]
    first = replies[0]
    if note.buttons or note.photo is not None or note.document is not None:
        return [note, *replies]
    if first.document is not None or first.make_document is not None:
        return [note, *replies]
    if note.remove_keyboard and (first.buttons or first.request_contact or first.request_location):
        return [note, *replies]
    if first.photo is not None:
        if first.text:
            return [note, *replies]
        first.text = note.text
    else:
        first.text = f"{note.text}\n\n{first.text}" if first.text else note.text
    first.remove_keyboard = first.remove_keyboard or note.remove_keyboard
    return replies


def noted(text: str, replies: list[Reply]) -> list[Reply]:
    """A plain note (no keyboard to take away) joined to `replies`."""
    return with_note(Reply(text), replies)

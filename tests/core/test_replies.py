"""Notes joined to the message they go with: one message where a channel allows it."""

from __future__ import annotations

from bot.core.replies import noted, with_note
from bot.core.types import Button, Reply

MENU = [[Button("🏠 Main menu", "menu")]]


def test_a_note_goes_above_the_first_message_with_a_blank_line() -> None:
    replies = noted("That price isn't valid.", [Reply("Selling price?", buttons=MENU)])
    assert len(replies) == 1
    assert replies[0].text == "That price isn't valid.\n\nSelling price?"
    assert replies[0].buttons == MENU  # the question keeps its buttons


def test_a_note_alone() -> None:
    assert [r.text for r in noted("Saved.", [])] == ["Saved."]


def test_a_photo_without_caption_takes_the_note_as_caption() -> None:
    photo = Reply("", photo=b"jpeg")
    replies = noted("✅ Genuine stamp.", [photo, Reply("card")])
    assert [r.text for r in replies] == ["✅ Genuine stamp.", "card"]
    assert replies[0].photo == b"jpeg"


def test_a_captioned_photo_or_a_document_stays_apart() -> None:
    for first in (Reply("caption", photo=b"jpeg"), Reply("", document=b"%PDF")):
        replies = noted("Note.", [first])
        assert [r.text for r in replies] == ["Note.", first.text]


def test_a_note_taking_a_keyboard_away_stays_apart_from_buttons() -> None:
    # A Telegram message carries one keyboard: removing the share key and showing inline
    # buttons needs two messages.
    note = Reply("◀️ Back.", remove_keyboard=True)
    replies = with_note(note, [Reply("Representative?", buttons=MENU)])
    assert [r.text for r in replies] == ["◀️ Back.", "Representative?"]
    # Without buttons there is no conflict: one message that also takes the key away.
    replies = with_note(Reply("✅ Received.", remove_keyboard=True), [Reply("Thanks.")])
    assert [(r.text, r.remove_keyboard) for r in replies] == [("✅ Received.\n\nThanks.", True)]

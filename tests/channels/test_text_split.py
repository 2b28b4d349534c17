"""Long texts for a messenger's limit: paragraphs first, then lines, then spaces, and never
a word or a link cut in two."""

from __future__ import annotations

import random

from bot.channels.text_split import split_text

LINK = "https://ocop.example.vn/p/ABC123?lang=vi"


def test_short_text_is_one_piece() -> None:
    assert split_text("Xin chào", 2000) == ["Xin chào"]
    assert split_text("", 2000) == []


def test_paragraphs_before_lines_before_spaces() -> None:
    first, second = "a" * 60, "b " * 30
    assert split_text(f"{first}\n\n{second}", 100) == [first, second.strip()]
    lines = "\n".join(["dòng một dài"] * 10)
    pieces = split_text(lines, 50)
    assert all(not piece.startswith("\n") and len(piece) <= 50 for piece in pieces)
    assert "\n".join(pieces) == lines  # cut only at line breaks


def test_never_inside_a_word_or_a_link() -> None:
    rng = random.Random(7)
    words = ["chè", "búp", "Tân", "Cương", LINK, "\n", "\n\n", "đặc-biệt"]
    for _ in range(200):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 400)))
        pieces = split_text(text, 60)
        assert all(0 < len(piece) <= 60 for piece in pieces)
        assert " ".join(pieces).split() == text.split()  # every word whole, in order


def test_a_single_word_longer_than_the_limit_is_the_only_cut() -> None:
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]

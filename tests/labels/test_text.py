"""Fitting text into a box, with a simple fixed-width measure (1 mm per character per 10 pt)."""

from __future__ import annotations

from bot.labels.text import (
    ASCENT,
    ELLIPSIS,
    LEADING,
    MM_PER_PT,
    Box,
    Line,
    TextBox,
    typeset,
    wrap,
)


def fixed(text: str, bold: bool, size_pt: float) -> float:
    return len(text) * size_pt / 10


def test_wrap_breaks_between_words() -> None:
    lines, complete = wrap("Chè búp Tân Cương", 9, 3, lambda s: len(s))
    assert (lines, complete) == (["Chè búp", "Tân Cương"], True)


def test_wrap_breaks_a_word_wider_than_the_box() -> None:
    lines, complete = wrap("abcdefghij", 4, 5, lambda s: len(s))
    assert (lines, complete) == (["abcd", "efgh", "ij"], True)


def test_wrap_ends_overflow_with_an_ellipsis_that_fits() -> None:
    lines, complete = wrap("one two three four five", 9, 2, lambda s: len(s))
    assert not complete
    assert len(lines) == 2
    assert lines[-1].endswith(ELLIPSIS)
    assert all(len(line) <= 9 for line in lines)


def test_text_shrinks_until_it_fits() -> None:
    text = " ".join(["abcd"] * 10)  # 49 characters: three lines of 20 at 10 pt
    box = TextBox(Box(0, 0, 20, 30), (Line(text, size_pt=10, min_size_pt=4, max_lines=2),))
    placed = typeset(box, fixed)
    assert len(placed) == 2
    assert all(fixed(p.text, p.bold, p.size_pt) <= 20 for p in placed)
    assert placed[0].size_pt < 10
    assert " ".join(p.text for p in placed) == text


def test_a_one_line_code_is_never_cut() -> None:
    box = TextBox(Box(0, 0, 5, 30), (Line("7K3-M9P", size_pt=12, min_size_pt=8),))
    (placed,) = typeset(box, fixed)
    assert placed.text == "7K3-M9P"
    assert fixed(placed.text, False, placed.size_pt) <= 5


def test_lines_stay_inside_the_box() -> None:
    # Six lines need 12.7 mm at the 5 pt minimum: they go below it rather than spill over.
    lines = tuple(Line(f"line {i}", size_pt=9) for i in range(6))
    box = TextBox(Box(2, 3, 40, 12), lines, valign="spread")
    placed = typeset(box, fixed)
    assert [p.text for p in placed] == [f"line {i}" for i in range(6)]
    for p in placed:
        assert p.baseline - ASCENT * p.size_pt * MM_PER_PT >= 3 - 1e-9
        assert p.baseline + (LEADING - ASCENT) * p.size_pt * MM_PER_PT <= 3 + 12 + 1e-9


def test_centred_text_is_centred() -> None:
    box = TextBox(Box(0, 0, 30, 10), (Line("abcd", size_pt=10),), align="center")
    (placed,) = typeset(box, fixed)
    assert placed.x == (30 - 4) / 2


def test_far_too_much_text_is_cut_rather_than_overflowing() -> None:
    box = TextBox(Box(0, 0, 10, 3), (Line("word " * 200, size_pt=10, max_lines=10),))
    placed = typeset(box, fixed)
    assert placed
    assert placed[-1].text.endswith(ELLIPSIS)
    assert len(placed) * placed[0].size_pt * 1.2 * MM_PER_PT <= 3 + 1e-9

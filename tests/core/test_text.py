"""Vietnamese text: composed on the way in, folded for search."""

from __future__ import annotations

import unicodedata

import pytest

from bot.core.text import clean, clean_lines, fold, has_word_character, nfc, only_invisible, visible


def test_nfc_composes_decomposed_input() -> None:
    decomposed = unicodedata.normalize("NFD", "Bánh tráng Trảng Bàng")
    assert len(decomposed) > len("Bánh tráng Trảng Bàng")
    assert nfc(decomposed) == "Bánh tráng Trảng Bàng"


def test_clean_trims_and_folds_white_space() -> None:
    assert clean("  Chè \t búp\n\nTân  Cương ") == "Chè búp Tân Cương"
    assert clean(unicodedata.normalize("NFD", " Đặc sản ")) == "Đặc sản"
    assert clean(" \n ") == ""


def test_fold_matches_with_and_without_accents() -> None:
    assert fold("Bánh Tráng") == fold("banh trang") == "banh trang"
    assert fold(unicodedata.normalize("NFD", "Bánh Tráng")) == "banh trang"


def test_fold_turns_d_with_stroke_into_d() -> None:
    assert fold("Đà Lạt") == "da lat"
    assert fold("đặc sản ĐỒNG THÁP") == "dac san dong thap"
    assert fold("Lâm Đồng") == fold("lam dong")


def test_fold_keeps_distinct_words_distinct() -> None:
    assert fold("Chè xanh") != fold("Chè đen")
    assert fold("  Hà   Nội ") == "ha noi"


def test_has_word_character() -> None:
    assert has_word_character("Chè 2 lá")
    assert has_word_character("5")
    assert not has_word_character("😀😀")
    assert not has_word_character("!!! ...")


# --- what may be stored ---------------------------------------------------------

# Bidirectional overrides and isolates, zero-width characters, the byte-order mark and the
# soft hyphen: invisible, yet they reorder or split what a buyer reads.
FORMAT_CHARACTERS = [
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u2060",
    "\ufeff",
    "\u00ad",
]
# C0 and C1 controls other than tab and the line breaks (LF, VT, FF, CR, NEL).
CONTROLS = [chr(c) for c in [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F]] + [
    chr(c) for c in range(0x80, 0xA0) if c != 0x85
]


@pytest.mark.parametrize("hidden", FORMAT_CHARACTERS + CONTROLS, ids=lambda ch: f"U+{ord(ch):04X}")
def test_clean_removes_every_invisible_character(hidden: str) -> None:
    assert clean(f"Chè{hidden} Tân{hidden}Cương") == "Chè TânCương"
    assert clean_lines(f"Chè{hidden}\nTân Cương") == "Chè\nTân Cương"
    assert fold(f"Ba{hidden}nh") == "banh"


def test_a_reversed_name_reads_as_it_looks() -> None:
    # U+202E would show "HTX ehC" reversed on a label or page.
    assert clean("HTX \u202eChè\u202c Xanh") == "HTX Chè Xanh"
    assert clean("\u2067Mật ong\u2069") == "Mật ong"


def test_one_line_fields_lose_line_breaks_and_tabs() -> None:
    assert clean("Thôn 3,\r\nxã Phúc Sơn\u2028Hà Nội\tVN") == "Thôn 3, xã Phúc Sơn Hà Nội VN"
    assert clean("Thôn 3\x0bxã\x0cPhúc\x85Sơn") == "Thôn 3 xã Phúc Sơn"


def test_multi_line_fields_keep_line_breaks() -> None:
    raw = "Chè búp  một tôm\r\nhai lá.\r\n\r\n\r\n\u2029Sao tay\x00 trên chảo gang.\t "
    assert clean_lines(raw) == "Chè búp một tôm\nhai lá.\n\nSao tay trên chảo gang."


def test_only_invisible() -> None:
    assert only_invisible("\u200b\u200d")
    assert only_invisible("\x00 \u202e")
    assert not only_invisible("")
    assert not only_invisible("  \n ")  # nothing typed at all is "empty", not "invisible"
    assert not only_invisible("a\u200b")


def test_visible_keeps_what_shows() -> None:
    # Emoji sequences keep their variation selectors; Vietnamese keeps its marks.
    assert visible("⭐️ Đặc sản") == "⭐️ Đặc sản"
    assert visible(unicodedata.normalize("NFD", "Trảng Bàng")) == "Trảng Bàng"


@pytest.mark.parametrize(
    "markup", ["<b></b>", "<br/>", "&nbsp;", "<i>…</i> &amp;", "<a href='x'></a>"]
)
def test_markup_alone_has_no_word(markup: str) -> None:
    assert not has_word_character(markup)


def test_words_inside_markup_count() -> None:
    assert has_word_character("<b>Chè</b>")
    assert has_word_character("a < b > c")

"""Vietnamese text: composed on the way in, folded for search."""

from __future__ import annotations

import unicodedata

from bot.core.text import clean, fold, has_word_character, nfc


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

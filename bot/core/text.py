"""Vietnamese text handling: NFC normalisation and diacritic folding for search."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Composes decomposed Vietnamese input (phones send both forms)."""
    return unicodedata.normalize("NFC", text)


def clean(text: str) -> str:
    """NFC, trimmed, inner runs of white space folded to one space."""
    return _SPACES.sub(" ", nfc(text)).strip()


def fold(text: str) -> str:
    """Lower case without diacritics, đ→d: "Bánh Tráng" and "banh trang" fold alike."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip()


def has_word_character(text: str) -> bool:
    """False for emoji-only or punctuation-only input."""
    return any(ch.isalnum() for ch in text)

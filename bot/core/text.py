"""Vietnamese text handling: what may be stored, NFC normalisation, folding for search.

Every typed value passes through `clean` (one line) or `clean_lines` (a
description, a story, a notice): text comes out composed (NFC), without
control characters (C0/C1), format characters (bidirectional overrides and
isolates, zero-width spaces and joiners, the byte-order mark — all Unicode
category Cf) and with white space folded. A reversed or invisible name on a
label or an origin page would mislead the buyer who reads it.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_SPACES = re.compile(r"\s+")
_LINE_SPACES = re.compile(r"[^\S\n]+")
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
# Markup that shows nothing by itself: HTML tags and entities.
_MARKUP = re.compile(r"</?[A-Za-z!][^<>]*>|&#?\w{1,10};")


def nfc(text: str) -> str:
    """Composes decomposed Vietnamese input (phones send both forms)."""
    return unicodedata.normalize("NFC", text)


def visible(text: str, *, multiline: bool = False) -> str:
    """NFC text with invisible characters removed; line breaks kept only if `multiline`.

    Tabs and line breaks of a one-line field become spaces; every other
    control or format character is dropped.
    """
    # Most answers have nothing to remove: printable excludes every control,
    # format and line-break character (both checks run in C).
    if text.isprintable() and unicodedata.is_normalized("NFC", text):
        return text
    text = _LINE_BREAKS.sub("\n", nfc(text))
    kept: list[str] = []
    for ch in text:
        if ch == "\n":
            kept.append("\n" if multiline else " ")
        elif ch == "\t":
            kept.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf"):
            kept.append(ch)
    return "".join(kept)


def clean(text: str) -> str:
    """One line: visible, trimmed, inner runs of white space folded to one space."""
    return _SPACES.sub(" ", visible(text)).strip()


def clean_lines(text: str) -> str:
    """Several lines: each cleaned, line breaks kept, runs of blank lines folded to one."""
    lines = [
        _LINE_SPACES.sub(" ", line).strip() for line in visible(text, multiline=True).split("\n")
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def only_invisible(raw: str) -> bool:
    """True when `raw` had characters but none that show (a zero-width space, a NUL)."""
    return not clean(raw) and any(not ch.isspace() for ch in raw)


@functools.lru_cache(maxsize=4096)  # the same button labels are folded on every answer
def fold(text: str) -> str:
    """Lower case without diacritics, đ→d: "Bánh Tráng" and "banh trang" fold alike."""
    lowered = visible(text).lower().replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFD", lowered)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip()


def has_word_character(text: str) -> bool:
    """False for emoji-only, punctuation-only or markup-only input ("<b></b>", "&nbsp;")."""
    return any(ch.isalnum() for ch in _MARKUP.sub("", text))

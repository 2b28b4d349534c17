"""A long text in pieces a messenger takes: at paragraphs, then lines, then spaces.

A piece ends at the last paragraph break that keeps it at least half full,
else at such a line break, else at a space: never inside a word or a link
(a link has no spaces). Only a single "word" longer than the limit is cut
where it must be.
"""

from __future__ import annotations

BREAKS = ("\n\n", "\n", " ")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, in order; no piece is empty."""
    pieces: list[str] = []
    text = text.strip()
    while len(text) > limit:
        cut = _cut(text, limit)
        piece = text[:cut].rstrip()
        if piece:
            pieces.append(piece)
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


def _cut(text: str, limit: int) -> int:
    """Where the first piece ends (it may take up to `limit` characters)."""
    best = 0
    for mark in BREAKS:
        # A break at `limit` itself is fine: the mark is not part of the piece.
        at = text.rfind(mark, 0, limit + len(mark))
        at = at if at <= limit else -1
        if at >= limit // 2:
            return at
        best = max(best, at)
    return best if best > 0 else limit

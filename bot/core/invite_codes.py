"""Officer invite codes: random, easy to read aloud, kept only as a hash.

A code is 10 symbols from the product-code alphabet (no 0/O, 1/I/L or 5/S
look-alikes): 29**10 ≈ 4·10**14 codes, so guessing one that is valid,
unused and unexpired is hopeless. It is shown once as "ABCDE-FGHJK"; the
database keeps its SHA-256 only, so a leaked database leaks no code.
"""

from __future__ import annotations

import hashlib
import secrets

from bot.core.codes import ALPHABET

INVITE_LENGTH = 10
DEEP_LINK_PREFIX = "o_"  # t.me/<bot>?start=o_<CODE>


def new_invite_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(INVITE_LENGTH))


def normalize_invite(raw: str) -> str | None:
    """The stored form of a typed code ("abcde-fghjk", "o_ABCDEFGHJK"); None if malformed."""
    value = raw.strip()
    if value[:2].lower() == DEEP_LINK_PREFIX:
        value = value[2:]
    code = "".join(ch for ch in value.upper() if ch not in " -_")
    if len(code) != INVITE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def invite_hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def spaced(code: str) -> str:
    """ "ABCDEFGHJK" → "ABCDE-FGHJK", easier to read out and copy."""
    half = INVITE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"

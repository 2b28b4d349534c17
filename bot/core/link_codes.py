"""Link codes (/link): short, one-time, easy to copy from one app into another.

8 symbols from the product-code alphabet (no 0/O, 1/I/L or 5/S look-alikes):
29**8 ≈ 5·10**11 codes. A code works once, for minutes, and an account that
types a few wrong ones must wait, so guessing one is hopeless. Shown as
"ABCD-EFGH"; only its SHA-256 is stored (storage/people.py).
"""

from __future__ import annotations

import secrets

from bot.core.codes import ALPHABET

LINK_LENGTH = 8


def new_link_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LINK_LENGTH))


def normalize_link_code(raw: str) -> str | None:
    """The stored form of a typed code ("abcd-efgh", "ABCD EFGH"); None if malformed."""
    code = "".join(ch for ch in raw.strip().upper() if ch not in " -_.")
    if len(code) != LINK_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def spaced(code: str) -> str:
    """ "ABCDEFGH" → "ABCD-EFGH"."""
    half = LINK_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"

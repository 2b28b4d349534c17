"""Product codes people can read aloud and type: no 0/O, 1/I/L or 5/S look-alikes."""

from __future__ import annotations

import secrets

ALPHABET = "2346789ABCDEFGHJKMNPQRTUVWXYZ"  # 29 symbols
CODE_LENGTH = 6  # 29**6 ≈ 595 million codes


def new_product_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """Upper case without spaces or dashes: "7k3-m9p" → "7K3M9P"."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def looks_like_code(raw: str) -> bool:
    code = normalize_code(raw)
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def gtin_check_digit(digits: str) -> int:
    """GS1 check digit for the digits before it (weights 3,1,3,… from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10

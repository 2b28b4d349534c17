"""Serial numbers for anti-counterfeit stamps.

A serial is 14 random symbols and one check symbol from the same 29-symbol
alphabet as product codes (no 0/O, 1/I/L or 5/S look-alikes). 29**14 ≈ 2**68,
so serials cannot be guessed or enumerated. 29 is prime, which makes the
weighted check symbol catch every single wrong symbol and every swap of two
symbols: a mistyped serial is recognised as malformed instead of being
reported as "not ours".
"""

from __future__ import annotations

import secrets
import unicodedata

ALPHABET = "2346789ABCDEFGHJKMNPQRTUVWXYZ"
PAYLOAD_LENGTH = 14  # 14 × log2(29) ≈ 68 bits of randomness
SERIAL_LENGTH = PAYLOAD_LENGTH + 1
GROUP = 5  # printed as XXXXX-XXXXX-XXXXX

_BASE = len(ALPHABET)
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Input longer than this is not a serial however it is spaced; refuse it before any work.
_MAX_INPUT = 40
_SEPARATORS = str.maketrans("", "", " -\t")
# The check symbol c makes sum(position × value) ≡ 0 (mod 29), positions 1..15.
_INVERSE_CHECK_WEIGHT = pow(SERIAL_LENGTH, -1, _BASE)


def _check_symbol(payload: str) -> str:
    total = sum(weight * _VALUES[symbol] for weight, symbol in enumerate(payload, start=1))
    return ALPHABET[(-total * _INVERSE_CHECK_WEIGHT) % _BASE]


def new_serial() -> str:
    """A fresh serial from the operating system's CSPRNG, e.g. "7K3M9PQ2XWH4TNC"."""
    number = secrets.randbelow(_BASE**PAYLOAD_LENGTH)
    symbols = []
    for _ in range(PAYLOAD_LENGTH):
        number, value = divmod(number, _BASE)
        symbols.append(ALPHABET[value])
    payload = "".join(symbols)
    return payload + _check_symbol(payload)


def new_serials(count: int) -> list[str]:
    """`count` distinct serials (a collision is ~2**-68 likely, but a batch must not repeat)."""
    serials: dict[str, None] = {}
    while len(serials) < count:
        serials[new_serial()] = None
    return list(serials)


def normalize_serial(raw: str) -> str:
    """Upper case without spaces or dashes: " 7k3m9-pq2xw-h4tnc " → "7K3M9PQ2XWH4TNC".

    Does not validate; see `is_well_formed_serial` and `parse_serial`.
    """
    return unicodedata.normalize("NFKC", raw).translate(_SEPARATORS).upper()


def is_well_formed_serial(raw: str) -> bool:
    """True when `raw`, normalised, has the right length, alphabet and check symbol."""
    if len(raw) > _MAX_INPUT:
        return False
    serial = normalize_serial(raw)
    if len(serial) != SERIAL_LENGTH or any(symbol not in _VALUES for symbol in serial):
        return False
    return serial[-1] == _check_symbol(serial[:-1])


def parse_serial(raw: str) -> str | None:
    """The canonical serial in `raw`, or None when it is not a well-formed serial."""
    return normalize_serial(raw) if is_well_formed_serial(raw) else None


def format_serial(serial: str) -> str:
    """Grouped for reading aloud and printing: "7K3M9-PQ2XW-H4TNC"."""
    return "-".join(serial[i : i + GROUP] for i in range(0, len(serial), GROUP))

"""GS1 Digital Link paths: /01/{gtin} with optional /10/{lot} and /21/{serial}.

Products store a GTIN-13; in a Digital Link it is written as GTIN-14 with a
leading 0 ("0" + GTIN-13). The check digit is the same either way.
"""

from __future__ import annotations

from bot.core.codes import gtin_check_digit


class WrongCheckDigit(ValueError):
    """All digits, right length, but the check digit does not match: a misprint or misread."""


def gtin13_of(raw: str) -> str | None:
    """The GTIN-13 in a Digital Link's /01/ value, None when it cannot be one of ours.

    Accepts the GTIN-14 form ("0893…") and, leniently, the bare GTIN-13.
    Raises WrongCheckDigit for a well-formed number with a wrong check digit.
    """
    if not raw.isascii() or not raw.isdigit() or len(raw) not in (13, 14):
        return None
    if gtin_check_digit(raw[:-1]) != int(raw[-1]):
        raise WrongCheckDigit(raw)
    if len(raw) == 14:
        # A non-zero indicator digit marks a case or pallet GTIN-14, not a product we list.
        return raw[1:] if raw[0] == "0" else None
    return raw

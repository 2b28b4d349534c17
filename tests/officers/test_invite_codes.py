"""Invite codes: readable, random, and stored only as a hash."""

from __future__ import annotations

import hashlib

from bot.core.codes import ALPHABET
from bot.core.invite_codes import (
    INVITE_LENGTH,
    invite_hash,
    new_invite_code,
    normalize_invite,
    spaced,
)


def test_codes_are_long_random_and_free_of_look_alikes() -> None:
    codes = {new_invite_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == INVITE_LENGTH == 10
        assert set(code) <= set(ALPHABET)
        assert not set(code) & set("0O1IL5S")


def test_a_code_reads_in_two_halves() -> None:
    assert spaced("ABCDEFGHJK") == "ABCDE-FGHJK"


def test_typed_codes_are_normalised() -> None:
    for typed in ("ABCDE-FGHJK", "abcde-fghjk", " abcde fghjk ", "ABCDEFGHJK", "o_ABCDEFGHJK"):
        assert normalize_invite(typed) == "ABCDEFGHJK", typed


def test_malformed_codes_are_refused() -> None:
    for typed in ("", "ABCDE", "ABCDE-FGHJK-M", "ABCDE-FGH0K", "ABCDE-FGHIK", "mã mời", "/officer"):
        assert normalize_invite(typed) is None, typed


def test_only_a_sha256_hash_is_kept() -> None:
    digest = invite_hash("ABCDEFGHJK")
    assert digest == hashlib.sha256(b"ABCDEFGHJK").hexdigest()
    assert len(digest) == 64 and "ABCDEFGHJK" not in digest

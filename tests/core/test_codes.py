"""Product codes that can be read aloud and typed without confusion."""

from __future__ import annotations

from bot.core.codes import (
    ALPHABET,
    CODE_LENGTH,
    looks_like_code,
    new_product_code,
    normalize_code,
)


def test_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1IL5S") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET)


def test_codes_use_the_alphabet_and_rarely_repeat() -> None:
    codes = [new_product_code() for _ in range(10_000)]
    assert all(len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) for code in codes)
    # 29**6 codes: 10,000 draws repeat one about once in twelve runs (the
    # birthday bound), so a few repeats are chance and more would be a bug.
    # Stored codes are unique: storage/products.py draws again on a repeat.
    assert len(set(codes)) >= len(codes) - 3


def test_normalize_code() -> None:
    assert normalize_code("7k3-m9p") == "7K3M9P"
    assert normalize_code(" 7K3 M9P ") == "7K3M9P"


def test_looks_like_code() -> None:
    assert looks_like_code(new_product_code())
    assert looks_like_code("7k3-m9p")
    assert not looks_like_code("7K3M9")  # too short
    assert not looks_like_code("7K3M9PQ")  # too long
    assert not looks_like_code("7K3M0P")  # 0 is not in the alphabet
    assert not looks_like_code("chè búp")

"""Serials: unguessable, readable, and a typo is caught as malformed."""

from __future__ import annotations

import math

import pytest

from bot.labels.serials import (
    ALPHABET,
    SERIAL_LENGTH,
    format_serial,
    is_well_formed_serial,
    new_serial,
    new_serials,
    normalize_serial,
    parse_serial,
)


def test_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1IL5S") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 29


def test_serial_carries_at_least_64_random_bits() -> None:
    assert (SERIAL_LENGTH - 1) * math.log2(len(ALPHABET)) >= 64


def test_100k_serials_are_unique_well_formed_and_use_the_alphabet() -> None:
    serials = [new_serial() for _ in range(100_000)]
    assert len(set(serials)) == len(serials)
    assert all(len(serial) == SERIAL_LENGTH for serial in serials)
    assert set("".join(serials)) <= set(ALPHABET)
    assert all(is_well_formed_serial(serial) for serial in serials)


def test_every_symbol_appears_in_every_position() -> None:
    # A biased generator would leave symbols out of some positions.
    serials = [new_serial() for _ in range(5_000)]
    for position in range(SERIAL_LENGTH - 1):
        assert {serial[position] for serial in serials} == set(ALPHABET)


def test_new_serials_are_distinct() -> None:
    serials = new_serials(2_000)
    assert len(serials) == len(set(serials)) == 2_000


@pytest.mark.parametrize("serial", [new_serial() for _ in range(20)])
def test_every_single_symbol_typo_is_caught(serial: str) -> None:
    for position in range(SERIAL_LENGTH):
        for symbol in ALPHABET:
            if symbol != serial[position]:
                typo = serial[:position] + symbol + serial[position + 1 :]
                assert not is_well_formed_serial(typo), typo


@pytest.mark.parametrize("serial", [new_serial() for _ in range(20)])
def test_every_swap_of_two_symbols_is_caught(serial: str) -> None:
    for i in range(SERIAL_LENGTH):
        for j in range(i + 1, SERIAL_LENGTH):
            if serial[i] != serial[j]:
                chars = list(serial)
                chars[i], chars[j] = chars[j], chars[i]
                assert not is_well_formed_serial("".join(chars))


def test_typed_forms_are_accepted() -> None:
    serial = new_serial()
    for typed in (serial.lower(), format_serial(serial), f"  {format_serial(serial).lower()} "):
        assert is_well_formed_serial(typed)
        assert normalize_serial(typed) == serial
        assert parse_serial(typed) == serial


def test_fullwidth_digits_and_letters_normalise() -> None:
    serial = new_serial()
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) for ch in serial)
    assert parse_serial(fullwidth) == serial


def test_format_groups_by_five() -> None:
    assert format_serial("ABCDEFGHJKMNPQR") == "ABCDE-FGHJK-MNPQR"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "A" * 15,  # right length and alphabet, but the check symbol does not match
        "7K3M9P",  # a product code is not a serial
        "X" * 10_000,  # too long
        "O" * 15,  # look-alike letters are not in the alphabet
        "0123456789ABCDE",
        "ABCDE/FGHJK/MNPQR",
        "<script>alert(1)</script>",
        "\x00" * 15,
    ],
)
def test_bad_input_is_rejected(bad: str) -> None:
    assert not is_well_formed_serial(bad)
    assert parse_serial(bad) is None


def test_wrong_check_symbol_is_rejected() -> None:
    serial = new_serial()
    wrong = next(ch for ch in ALPHABET if ch != serial[-1])
    assert is_well_formed_serial(serial)
    assert not is_well_formed_serial(serial[:-1] + wrong)


def test_one_symbol_too_many_or_too_few_is_rejected() -> None:
    serial = new_serial()
    assert not is_well_formed_serial(serial[:-1])
    assert not is_well_formed_serial(serial + serial[-1])

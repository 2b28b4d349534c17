"""Hostile listings CSV files, uploaded by an officer over Telegram (the fake Bot API).

Attacks: a header cell past csv.field_size_limit() ended in the generic
"something went wrong" (csv.Error not caught); a header with millions of
columns blocked the bot for seconds and answered with some 1,460 messages
listing the unknown columns; a cell of 100,000 characters was quoted back
whole. Now each gets one short, localized refusal, the step asks for the
corrected file, nothing changes, and the file is parsed off the event loop.
"""

from __future__ import annotations

import threading

import pytest

import bot.flows.listings_import as listings_import
from bot.core.listings_csv import Sheet
from tests.e2e.conftest import Chat, Screen
from tests.e2e.test_officers import OfficersE2E, bot, officer_of_thai_nguyen

__all__ = ["bot"]  # the fixture with an admin, from tests/e2e/test_officers.py

ASK_AGAIN = "Send a CSV file"
TELEGRAM_TEXT = 4096


async def upload_screen(bot: OfficersE2E) -> Chat:
    officer = await officer_of_thai_nguyen(bot)
    await officer.send("/listings")
    screen = await officer.press("📄 Upload a CSV file")
    assert screen.texts[0].startswith(ASK_AGAIN), screen
    return officer


def assert_refused_in_one_message(screen: Screen, expected: str) -> None:
    assert len(screen) == 2, screen  # the refusal, then the same step asks again
    assert screen.texts[0].startswith("❌ Nothing was changed. Problems found: 1."), screen
    assert expected in screen.texts[0], screen
    assert len(screen.texts[0]) < 500
    assert screen.texts[1].startswith(ASK_AGAIN)
    assert "went wrong" not in screen.text


async def test_an_over_long_header_cell(bot: OfficersE2E) -> None:
    officer = await upload_screen(bot)
    data = b'"' + b"x" * 200_000 + b'",marketplace,status\nAB2CD3,voso,live\n'
    screen = await officer.document(data, "long.csv", "text/csv")
    assert_refused_in_one_message(screen, "Line 1: the header line is too long (at most 1000")


async def test_a_header_with_two_million_columns(bot: OfficersE2E) -> None:
    officer = await upload_screen(bot)
    data = b"code,marketplace,status" + b",c" * 2_000_000 + b"\nAB2CD3,voso,live\n"
    screen = await officer.document(data, "wide.csv", "text/csv")
    assert_refused_in_one_message(screen, "the header line is too long")


async def test_many_unknown_columns_are_reported_in_one_short_line(bot: OfficersE2E) -> None:
    officer = await upload_screen(bot)
    header = "code,marketplace,status," + ",".join(f"c{n}" for n in range(200))
    screen = await officer.document(f"{header}\nAB2CD3,voso,live\n".encode(), "x.csv", "text/csv")
    assert_refused_in_one_message(
        screen, "unknown columns: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, … (+190)."
    )


async def test_a_runaway_quote_in_the_header(bot: OfficersE2E) -> None:
    officer = await upload_screen(bot)
    data = b'code,marketplace,status,"reason\nAB2CD3,voso,live\n'
    screen = await officer.document(data, "quote.csv", "text/csv")
    assert "went wrong" not in screen.text, screen
    assert screen.texts[-1].startswith(ASK_AGAIN)


async def test_huge_cells_are_quoted_short(bot: OfficersE2E) -> None:
    officer = await upload_screen(bot)
    rows = "".join(f"{'Z' * 100_000},{'w' * 100_000},{'s' * 100_000}\n" for _ in range(20))
    data = f"code,marketplace,status\n{rows}".encode()
    screen = await officer.document(data, "cells.csv", "text/csv")
    assert screen.texts[0].startswith("❌ Nothing was changed. Problems found: 60."), screen
    assert all(len(text) <= TELEGRAM_TEXT for text in screen.texts)
    assert len(screen) == 3  # the report (30 lines), the whole report as a file, the step
    assert "Z" * 40 not in screen.texts[0] and "Z" * 39 + "…" in screen.texts[0]


async def test_the_file_is_parsed_off_the_event_loop(
    bot: OfficersE2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = await upload_screen(bot)
    threads: list[threading.Thread] = []
    read = listings_import.read_listings

    def watched(*args: object) -> Sheet:
        threads.append(threading.current_thread())
        return read(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(listings_import, "read_listings", watched)
    screen = await officer.document(b"code,marketplace,status\nAB2CD3,voso,live\n", "a.csv", "")
    assert "AB2CD3" in screen.text
    assert threads and threads[0] is not threading.main_thread()

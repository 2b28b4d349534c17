"""`ocop-bot set-status --url` checks the URL as the chat and the CSV upload do.

Attack: the CLI stored `javascript:` links (shown on the origin page as
"where to buy") and 2,000-character URLs (on PostgreSQL a traceback with
the whole SQL statement). Now a refused value is one line on stderr, exit
status 2, and nothing stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

import bot.runtime
from bot import cli
from bot.runtime import Runtime
from storage.models import Listing
from tests.web.conftest import seed


@pytest.fixture
def environment(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The CLI reads its settings from the environment, as in production."""
    monkeypatch.setenv("OCOP_DATABASE_URL", database_url)
    monkeypatch.setenv("OCOP_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.delenv("OCOP_TELEGRAM_TOKEN", raising=False)
    factory = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(factory)  # main() installs the secret mask
    bot.runtime._factory_installed = False


async def set_status(*args: str) -> int:
    return await asyncio.to_thread(cli.main, ["set-status", *args])


async def listings(runtime: Runtime) -> list[tuple[str, str, str | None, str | None]]:
    async with runtime.db.read() as session:
        rows = await session.execute(
            select(Listing.marketplace, Listing.status, Listing.url, Listing.reason)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--url", "javascript:alert(document.cookie)"], "--url refused: That link isn't valid"),
        (["--url", "https://shopee.vn/" + "a" * 2000], "--url refused: That's too long (2018"),
        (["--url", "data:text/html,<script>alert(1)</script>"], "--url refused"),
        (["--url", "https://shopee.vn/x", "--reason", "x" * 2000], "--reason refused"),
    ],
)
async def test_refused_values_are_one_line_and_store_nothing(
    environment: None,
    runtime: Runtime,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    error: str,
) -> None:
    seeded = await seed(runtime)
    assert await set_status(seeded.code, "shopee", "live", *args) == 2
    out, err = capsys.readouterr()
    assert err.startswith(error), err
    assert err.count("\n") == 1 and "Traceback" not in err and "INSERT" not in err
    assert out == ""
    assert await listings(runtime) == []


async def test_rejected_needs_a_reason(
    environment: None, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = await seed(runtime)
    assert await set_status(seeded.code, "shopee", "rejected") == 2
    assert "--reason is needed" in capsys.readouterr().err
    assert await set_status(seeded.code, "shopee", "rejected", "--reason", "Thiếu ảnh") == 0
    assert await listings(runtime) == [("shopee", "rejected", None, "Thiếu ảnh")]


async def test_a_good_url_is_stored(
    environment: None, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = await seed(runtime)
    url = "https://shopee.vn/che-bup-tan-cuong-i.123.456"
    assert await set_status(seeded.code, "shopee", "live", "--url", f"  {url} ") == 0
    assert capsys.readouterr().out.startswith(f"{seeded.code} on Shopee: live")
    assert await listings(runtime) == [("shopee", "live", url, None)]

"""The web package's small pure parts: language choice, client classes, the page cache."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.web.cache import PageCache
from bot.web.clients import client_class, is_link_preview
from bot.web.language import choose_language

DAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        (None, None, "vi"),
        ("en", "vi", "en"),
        ("xx", "en-GB", "en"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-FR, vi;q=0.4, en;q=0.3", "vi"),
        (None, "en;q=0, vi;q=0", "vi"),
        (None, "en;q=abc", "vi"),
        (None, "de", "vi"),
        (None, "," * 10_000 + "en", "vi"),  # junk beyond the first 512 characters is ignored
    ],
)
def test_choose_language(query: str | None, header: str | None, expected: str) -> None:
    assert choose_language(query, header, "vi") == expected


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148", "mobile"),
        ("Mozilla/5.0 (Linux; Android 14) Chrome/126 Mobile Safari/537.36", "mobile"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15", "desktop"),
        ("Mozilla/5.0 (X11; Linux x86_64) Firefox/127.0", "desktop"),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", "bot"),
        ("TelegramBot (like TwitterBot)", "bot"),
        ("curl/8.5.0", "bot"),
        ("", "other"),
        (None, "other"),
        ("SomethingElse/1.0", "other"),
    ],
)
def test_client_class(agent: str | None, expected: str) -> None:
    assert client_class(agent) == expected


def test_link_previews() -> None:
    assert is_link_preview("facebookexternalhit/1.1")
    assert is_link_preview("Zalo/1.0")
    assert is_link_preview("TelegramBot (like TwitterBot)")
    assert not is_link_preview("Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36")


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_cache_expires_and_follows_the_date() -> None:
    now = FakeTime()
    cache = PageCache(ttl=60, max_bytes=10_000, monotonic=now)
    builds = 0

    async def build() -> bytes:
        nonlocal builds
        builds += 1
        return b"page"

    page = await cache.get_or_build("k", DAY, build)
    assert page is not None and page.body == b"page" and page.etag.startswith('"')
    await cache.get_or_build("k", DAY, build)
    assert builds == 1
    await cache.get_or_build("k", DAY + dt.timedelta(days=1), build)  # midnight in Vietnam
    assert builds == 2
    now.now += 61
    await cache.get_or_build("k", DAY + dt.timedelta(days=1), build)
    assert builds == 3


async def test_cache_keeps_within_its_size_and_skips_not_found() -> None:
    cache = PageCache(ttl=60, max_bytes=1_000)

    async def body() -> bytes:
        return b"x" * 300

    async def missing() -> bytes | None:
        return None

    for key in range(5):
        await cache.get_or_build(key, DAY, body)
    assert cache.get(0, DAY) is None and cache.get(4, DAY) is not None
    assert await cache.get_or_build("none", DAY, missing) is None
    assert cache.get("none", DAY) is None


async def test_simultaneous_misses_share_one_build() -> None:
    cache = PageCache(ttl=60, max_bytes=10_000)
    builds = 0

    async def slow() -> bytes:
        nonlocal builds
        builds += 1
        await asyncio.sleep(0.01)
        return b"page"

    pages = await asyncio.gather(*(cache.get_or_build("k", DAY, slow) for _ in range(20)))
    assert builds == 1 and all(p is not None and p.body == b"page" for p in pages)


async def test_failed_build_reaches_every_waiter_and_is_not_cached() -> None:
    cache = PageCache(ttl=60, max_bytes=10_000)

    async def broken() -> bytes:
        await asyncio.sleep(0.01)
        raise RuntimeError("db down")

    results = await asyncio.gather(
        *(cache.get_or_build("k", DAY, broken) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    assert cache.get("k", DAY) is None

"""The web package's small pure parts: language choice, client classes, the page cache."""

from __future__ import annotations

import asyncio

import pytest

from bot.web.cache import Inflight, PageCache, frozen_headers
from bot.web.clients import client_class, is_machine, is_person
from bot.web.language import choose_language


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


def test_link_previews_and_crawlers() -> None:
    assert is_machine("facebookexternalhit/1.1")
    assert is_machine("Mozilla/5.0 (compatible; Zalo/1.0)")
    assert is_machine("TelegramBot (like TwitterBot)")
    assert is_machine("WhatsApp/2.23.20.0 A")
    assert not is_machine("Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36")
    # A person scanning the QR with Zalo opens the page in Zalo's own browser.
    assert not is_machine(
        "Mozilla/5.0 (Linux; Android 12; SM-A125F) AppleWebKit/537.36 Chrome/120 "
        "Mobile Safari/537.36 Zalo android/12100631 ZaloTheme/light ZaloLanguage/vn"
    )
    assert not is_machine("Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36")


BROWSER = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Mobile Safari/537.36",
    "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
    "Accept-Language": "vi-VN,vi;q=0.9",
}


@pytest.mark.parametrize(
    ("method", "change", "expected"),
    [
        ("GET", {}, True),
        ("HEAD", {}, False),
        ("GET", {"Accept-Language": ""}, False),
        ("GET", {"Accept": ""}, False),
        ("GET", {"Accept": "*/*"}, False),
        ("GET", {"User-Agent": "Opera/9.80 (Android)"}, False),
        ("GET", {"Sec-Purpose": "prefetch;prerender"}, False),
        ("GET", {"Purpose": "prefetch"}, False),
    ],
)
def test_is_person(method: str, change: dict[str, str], expected: bool) -> None:
    assert is_person(method, {**BROWSER, **change}) is expected


HEADERS = frozen_headers({"Content-Type": "text/html; charset=utf-8"})


def test_cache_keeps_pages_until_told_to_forget() -> None:
    cache = PageCache(max_bytes=10_000)
    page = cache.put(("p", "7K3M9P", "vi"), b"page 1", HEADERS)
    assert page.body == b"page 1" and page.etag.startswith('"')
    assert page.headers is HEADERS  # shared by every page; the response adds the ETag
    assert cache.get(("p", "7K3M9P", "vi")) is page and cache.hits == 1
    assert cache.get(("p", "7K3M9P", "en")) is None and cache.hits == 1
    again = cache.put(("p", "7K3M9P", "vi"), b"page 2", HEADERS)
    assert again.etag != page.etag and cache.get(("p", "7K3M9P", "vi")) is again
    cache.put(("p", "AB2CD3", "vi"), b"other", HEADERS)
    cache.forget([("p", "7K3M9P", "vi"), ("p", "7K3M9P", "en")])
    assert ("p", "7K3M9P", "vi") not in cache and ("p", "AB2CD3", "vi") in cache
    extra = cache.put("x", b"other", HEADERS)
    assert cache.size == extra.size * 2


def test_cache_keeps_within_its_size_giving_used_pages_a_second_chance() -> None:
    size = PageCache(max_bytes=10_000).put("probe", b"x" * 300, HEADERS).size
    cache = PageCache(max_bytes=4 * size + 10)
    for key in range(5):
        cache.put(key, b"x" * 300, HEADERS)
    assert cache.size <= cache.max_bytes and len(cache) == 4
    assert 0 not in cache and 4 in cache  # the oldest, never used, went
    assert cache.get(1) is not None  # used: it stays when the next page comes
    cache.put(5, b"x" * 300, HEADERS)
    assert 1 in cache and 2 not in cache
    big = cache.put("big", b"x" * 5 * size, HEADERS)  # larger than the cache: not kept
    assert big.body and "big" not in cache and len(cache) == 4


def test_a_shared_block_is_counted_once() -> None:
    cache = PageCache(max_bytes=100_000)
    style = b"s" * 50_000
    page = cache.put("k", (b"<head>", style, b"</html>"), HEADERS)
    assert page.body == b"<head>" + style + b"</html>"
    assert cache.size < 2_000
    plain = cache.put("j", page.body, HEADERS)
    assert plain.etag == page.etag  # the same bytes, the same ETag


async def test_simultaneous_reads_share_one_run() -> None:
    reads: Inflight[bytes] = Inflight()
    runs = 0

    async def slow() -> bytes:
        nonlocal runs
        runs += 1
        await asyncio.sleep(0.01)
        return b"facts"

    results = await asyncio.gather(*(reads.run("k", slow) for _ in range(20)))
    assert runs == 1 and results == [b"facts"] * 20
    await reads.run("k", slow)  # nothing is kept afterwards
    assert runs == 2


async def test_a_failed_read_reaches_every_waiter() -> None:
    reads: Inflight[bytes] = Inflight()

    async def broken() -> bytes:
        await asyncio.sleep(0.01)
        raise RuntimeError("db down")

    results = await asyncio.gather(
        *(reads.run("k", broken) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)

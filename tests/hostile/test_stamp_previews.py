"""A stamp link shared in chat apps, crawled, scripted or reloaded must not "burn" the stamp.

Attack: a buyer (or a seller, or a competitor) shares a stamp's link in
WhatsApp, Viber, Slack, Discord…; each app fetches it to draw a preview, a
search engine crawls it, and after five such fetches the real buyer was
told the stamp had been checked before and the product may be fake. A
script could burn a whole batch in seconds. Now only a person's browser
counts, once per REPEAT_WINDOW, the page says how many separate checks
there were, and one address gets at most so many stamp pages a minute.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import inspect, select

from bot.labels.serials import format_serial
from bot.runtime import Runtime
from bot.web import create_app
from storage.models import Scan
from testkit.webhook_processes import free_port
from tests.conftest import Clock
from tests.e2e.conftest import E2E, bot
from tests.web.conftest import Site, seed, site

__all__ = ["bot", "site"]  # fixtures of tests/e2e and tests/web

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PHONE = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0 Mobile Safari/537.36"
)
# Preview fetchers and crawlers as they announce themselves; several claim to
# be "Mozilla", and they are given a browser's other headers here so that
# only their User-Agent gives them away.
PREVIEWS_AND_CRAWLERS = {
    "WhatsApp": "WhatsApp/2.24.6.77 A",
    "Viber": "Mozilla/5.0 (compatible; Viber/21.2; +https://www.viber.com)",
    "Slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slack images": "Slack-ImgProxy (+https://api.slack.com/robots)",
    "Discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Telegram": "TelegramBot (like TwitterBot)",
    "Zalo": "Mozilla/5.0 (compatible; Zalo/1.0)",
    "Facebook, Messenger": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "iMessage": "Mozilla/5.0 (Macintosh) AppleWebKit/601.2.4 facebookexternalhit/1.1 Facebot "
    "Twitterbot/1.0",
    "Skype, Teams": "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "LinkedIn": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "X": "Twitterbot/1.0",
    "Google": "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X) AppleWebKit/537.36 Chrome/125.0 "
    "Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Bing": "Mozilla/5.0 AppleWebKit/537.36 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Apple": "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (compatible; Applebot/0.1)",
    "Headless Chrome": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/125.0",
}


def browser(agent: str = PHONE, language: str = "vi-VN,vi;q=0.9") -> dict[str, str]:
    return {"User-Agent": agent, "Accept": ACCEPT, "Accept-Language": language}


def another_browser(site: Site) -> None:
    site.client.session.cookie_jar.clear()


async def counts(site: Site) -> dict[str, int]:
    return dict((await site.stored())["stamps"])


async def test_previews_and_crawlers_never_count(site: Site) -> None:
    seeded = await seed(site.runtime, stamps=1)
    serial = seeded.serials[0]
    for name, agent in PREVIEWS_AND_CRAWLERS.items():
        status, html, _ = await site.get(f"/s/{serial}", headers=browser(agent))
        assert status == 200, name
        assert "Kiểm tra tem chống hàng giả OCOP" in html, name  # no verdict, no count
        assert "Cảnh báo" not in html and "Hàng chính hãng" not in html, name
        another_browser(site)
    assert await counts(site) == {serial: 0}
    # The buyer who opens the link after all that is the first check.
    _, html, _ = await site.get(f"/s/{serial}", headers=browser())
    assert "Hàng chính hãng" in html and "lần kiểm tra đầu tiên" in html
    assert await counts(site) == {serial: 1}


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", {"User-Agent": "curl/8.5.0", "Accept": "*/*"}),
        ("GET", {"User-Agent": "python-requests/2.32.3", "Accept": "*/*"}),
        ("GET", {"User-Agent": "Go-http-client/1.1"}),
        ("GET", {"User-Agent": ""}),
        ("GET", {"User-Agent": PHONE, "Accept": ACCEPT}),  # no Accept-Language
        ("GET", {"User-Agent": PHONE, "Accept": "*/*", "Accept-Language": "vi"}),  # not a page
        ("GET", {**browser(), "Sec-Purpose": "prefetch"}),  # the browser fetching ahead
        ("HEAD", browser()),
    ],
)
async def test_requests_without_a_browsers_signs_never_count(
    site: Site, method: str, headers: dict[str, str]
) -> None:
    seeded = await seed(site.runtime, stamps=1)
    for _ in range(6):
        response = await site.client.request(method, f"/s/{seeded.serials[0]}", headers=headers)
        assert response.status == 200
        another_browser(site)
    assert await counts(site) == {seeded.serials[0]: 0}
    assert (await site.stored())["scans"] == 0


async def test_the_same_browser_within_minutes_counts_once(site: Site) -> None:
    seeded = await seed(site.runtime, stamps=1)
    serial = seeded.serials[0]
    _, html, response = await site.get(f"/s/{serial}", headers=browser())
    assert "Hàng chính hãng" in html
    cookie = response.cookies["ocop_check"]
    assert cookie["max-age"] == "600" and cookie["httponly"] and cookie["samesite"] == "Lax"
    for _ in range(4):  # reloads, a tap on "back", another look at the shop counter
        site.clock.advance(minutes=2)
        _, html, _ = await site.get(f"/s/{serial}", headers=browser())
        assert "Hàng chính hãng" in html and "lần kiểm tra đầu tiên" in html
    assert await counts(site) == {serial: 1}

    another_browser(site)  # someone else: a separate check
    _, html, _ = await site.get(f"/s/{serial}", headers=browser(language="en"))
    assert "checked 2 separate times, first on 23/11/2026 10:00" in html
    assert "Only people opening this page count" in html

    site.clock.advance(minutes=11)  # past the window, even with the cookie still sent
    _, html, _ = await site.get(f"/s/{serial}", headers=browser())
    assert "đã được kiểm tra 3 lần khác nhau" in html
    assert await counts(site) == {serial: 3}


async def test_a_forged_cookie_is_not_trusted(site: Site) -> None:
    seeded = await seed(site.runtime, stamps=1)
    serial = seeded.serials[0]
    forged = {"ocop_check": "x" * 5000}
    _, html, response = await site.get(f"/s/{serial}", headers=browser(), cookies=forged)
    assert "Hàng chính hãng" in html
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", response.cookies["ocop_check"].value)


async def test_scans_keep_no_personal_data(site: Site) -> None:
    seeded = await seed(site.runtime, stamps=1)
    serial = seeded.serials[0]
    _, _, response = await site.get(f"/s/{serial}", headers=browser())
    browser_id = response.cookies["ocop_check"].value
    async with site.runtime.db.transaction() as session:
        columns = await session.run_sync(
            lambda sync: [c["name"] for c in inspect(sync.connection()).get_columns("scans")]
        )
        scan = (await session.execute(select(Scan))).scalar_one()
    # When, through what, a coarse class; no address, no User-Agent, no cookie.
    assert sorted(columns) == ["channel", "client", "id", "scanned_at", "stamp_id", "visitor"]
    assert scan.client == "mobile"
    assert scan.visitor is not None and re.fullmatch(r"[0-9a-f]{32}", scan.visitor)
    assert browser_id not in scan.visitor and "127.0.0.1" not in repr(vars(scan))

    site.clock.advance(minutes=15)  # the window is over: the next check erases old keys
    another_browser(site)
    await site.get(f"/s/{serial}", headers=browser())
    async with site.runtime.db.read() as session:
        visitors = (await session.execute(select(Scan.visitor).order_by(Scan.id))).scalars()
        kept = list(visitors)
    assert kept[0] is None and kept[1] is not None


@pytest.fixture
async def limited(runtime: Runtime, clock: Clock) -> AsyncIterator[Site]:
    """The app as configured by default (30 stamp pages a minute per address)."""
    port = free_port()
    settings = dataclasses.replace(runtime.settings, public_url=f"http://127.0.0.1:{port}")
    assert settings.stamp_checks_per_minute == 30
    app = create_app(
        settings, runtime.db, runtime.app.catalogs, runtime.app.media, clock, cache_seconds=0
    )
    # No access log, as `bot.web.serve` runs it: the log would hold addresses.
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server(access_log=None)
    client: TestClient[Any, Any] = TestClient(server)
    await client.start_server()
    try:
        yield Site(runtime, clock, client, settings.public_url)
    finally:
        await client.close()


async def test_a_script_cannot_burn_a_batch(
    limited: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    seeded = await seed(limited.runtime, stamps=40)
    statuses = []
    for serial in seeded.serials:  # a script posing as a browser, one stamp after another
        another_browser(limited)
        response = await limited.client.get(f"/s/{serial}", headers=browser())
        statuses.append(response.status)
    assert statuses == [200] * 30 + [429] * 10
    counted = await counts(limited)
    assert sum(counted.values()) == 30
    assert all(counted[serial] == 0 for serial in seeded.serials[30:])

    status, html, response = await limited.get(f"/s/{seeded.serials[35]}", headers=browser())
    assert status == 429 and response.headers["Retry-After"] == "60"
    assert "Kiểm tra quá nhiều tem cùng lúc" in html and "đợi một phút" in html
    headers = browser(language="en")
    _, html, _ = await limited.get(f"/s/{format_serial(seeded.serials[36])}", headers=headers)
    assert "Too many stamp checks at once" in html
    # Guessing serials is limited the same way.
    status, _, _ = await limited.get("/s/AAAAAAAAAAAAAAA", headers=browser())
    assert status == 429

    refusals = [r for r in caplog.records if r.name == "bot.web.throttle"]
    assert len(refusals) == 1  # one line per client and streak, not one per request
    assert "refused until it slows down" in refusals[0].getMessage()
    assert "127.0.0.1" not in caplog.text

    limited.clock.advance(seconds=2)  # the allowance comes back, one check every 2 s
    assert (await limited.client.get(f"/s/{seeded.serials[39]}", headers=browser())).status == 200
    assert (await limited.client.get(f"/s/{seeded.serials[38]}", headers=browser())).status == 429


async def test_behind_a_proxy_each_consumer_has_their_own_limit(
    runtime: Runtime, clock: Clock
) -> None:
    settings = dataclasses.replace(
        runtime.settings, web_trust_forwarded=True, stamp_checks_per_minute=3
    )
    app = create_app(
        settings, runtime.db, runtime.app.catalogs, runtime.app.media, clock, cache_seconds=0
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        seeded = await seed(runtime, stamps=1)

        async def status(address: str) -> int:
            forwarded = {"X-Forwarded-For": f"198.51.100.7, {address}"}
            headers = {**browser(), **forwarded}
            response = await client.get(f"/s/{seeded.serials[0]}", headers=headers)
            return response.status

        assert [await status("203.0.113.1") for _ in range(4)] == [200, 200, 200, 429]
        assert await status("203.0.113.2") == 200


async def test_the_same_person_in_the_chat_counts_once(bot: E2E) -> None:
    seeded = await seed(bot.runtime, stamps=1)
    serial = seeded.serials[0]
    genuine = f"✅ Genuine stamp — this is its first check (stamp {format_serial(serial)})."
    minh = bot.chat(8101, "Minh", "en")
    await minh.start_in_english()
    for _ in range(5):  # typed, then typed again to be sure, over a few minutes
        assert (await minh.send(serial)).texts[0] == genuine
        bot.clock.advance(minutes=1)
    lan = bot.chat(8102, "Lan", "en")
    await lan.start_in_english()
    screen = await lan.send(format_serial(serial))
    assert screen.texts[0].startswith(f"⚠️ Stamp {format_serial(serial)} has been checked 2 times")
    async with bot.runtime.db.read() as session:
        rows = (await session.execute(select(Scan.channel, Scan.client))).all()
    assert [tuple(row) for row in rows] == [("telegram", "bot")] * 2

"""Serial stamp checks: /s/{serial} and /01/{gtin}[/10/{lot}]/21/{serial}.

The first check of a stamp says "genuine"; every later one warns that the
stamp was checked before, how often and since when, because a copied stamp
is checked many times. Each check is recorded with its time, channel and a
coarse client class only.

Only a person counts (bot/web/clients.py: link previews, crawlers and
scripts never do), and a person once per REPEAT_WINDOW: the page gives the
browser a cookie with a random id that expires with the window, and the
scan keeps a keyed hash of it (bot/core/visitors.py). One address may ask
for at most `stamp_checks_per_minute` stamp pages a minute (throttle.py).

The stamp, its batch and the product are read in a read-only session (the
product from the facts index when it has it); only the counting itself,
`record_scan`, runs in a write transaction, so checks hold SQLite's write
lock for two short statements.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from aiohttp import web

from bot.core.visitors import REPEAT_WINDOW, VisitorKeys, visitor_keys
from bot.labels.serials import format_serial, is_well_formed_serial, normalize_serial
from bot.web.clients import client_class, is_person
from bot.web.errors import message_page
from bot.web.facts import ProductFacts, product_facts
from bot.web.gs1 import WrongCheckDigit, gtin13_of
from bot.web.responses import fresh_page
from bot.web.state import WebState, other_language, state_of
from storage.models import Stamp, StampBatch
from storage.origin import origin_row
from storage.stamps import ScanResult, batch_of, record_scan, stamp_by_serial

COOKIE = "ocop_check"  # a random id, only to recognise a re-check within the window
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{22}")


@dataclass(frozen=True)
class Check:
    """What a stamp check found; `scan` is None when the request was not counted."""

    serial: str
    batch: StampBatch
    facts: ProductFacts | None
    scan: ScanResult | None


async def stamp_page(request: web.Request) -> web.StreamResponse:
    """GET /s/{serial}."""
    if not _allowed(request):
        return _too_many(request)
    return await _check(request, request.match_info["serial"], gtin13=None)


async def gs1_stamp_page(request: web.Request) -> web.StreamResponse:
    """GET /01/{gtin}[/10/{lot}]/21/{serial}: a stamp check that also names the product."""
    if not _allowed(request):
        return _too_many(request)
    try:
        gtin13 = gtin13_of(request.match_info["gtin"])
    except WrongCheckDigit:
        return message_page(request, 400, "web.bad_barcode_title", "web.bad_barcode_text")
    if gtin13 is None:
        return _not_ours(request)
    return await _check(request, request.match_info["serial"], gtin13=gtin13)


def counts_as_check(request: web.Request) -> bool:
    """Only a person opening the page counts (see bot/web/clients.py).

    A HEAD request, a chat app fetching the link to draw its preview, a
    search engine or a script is a machine reading the page, not a buyer
    checking the product. Counting them would make a genuine stamp look
    already checked to the first real buyer, and let anyone "burn" a stamp
    by pasting its link into a chat.
    """
    return is_person(request.method, request.headers)


def client_address(request: web.Request) -> str:
    """The client's address, for the per-address limit only (never stored or logged)."""
    if state_of(request).settings.web_trust_forwarded:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()  # the one our proxy added
        if last:
            return last
    return request.remote or ""


def _allowed(request: web.Request) -> bool:
    throttle = state_of(request).stamp_throttle
    return throttle is None or throttle.allow(client_address(request))


async def _check(request: web.Request, raw: str, gtin13: str | None) -> web.StreamResponse:
    if not is_well_formed_serial(raw):
        return _not_ours(request)  # malformed: no database work at all
    state = state_of(request)
    serial = normalize_serial(raw)
    async with state.db.read() as session:
        stamp = await stamp_by_serial(session, serial)
        if stamp is None:
            return _not_ours(request)
        batch = await batch_of(session, stamp)
        assert batch is not None  # stamps.batch_id is a foreign key
        facts = state.index.by_id(stamp.product_id) if state.index is not None else None
        if facts is None:
            product = await origin_row(session, product_id=stamp.product_id)
            facts = product_facts(state.settings, product, state.today()) if product else None
    if gtin13 is not None and (facts is None or facts.gtin != gtin13):
        return _not_ours(request)  # a real serial printed under another product's barcode
    if not counts_as_check(request):
        return _render(request, state, Check(serial, batch, facts, None))
    browser = _browser_id(request)
    now = state.clock()
    client = client_class(request.headers.get("User-Agent"))
    async with state.db.transaction() as session:
        scan = await record_scan(
            session, stamp, "web", client, now, _visitor(state, browser, stamp, now)
        )
    response = _render(request, state, Check(serial, batch, facts, scan))
    if browser != request.cookies.get(COOKIE):
        response.set_cookie(
            COOKIE,
            browser,
            max_age=int(REPEAT_WINDOW.total_seconds()),
            path="/",
            httponly=True,
            samesite="Lax",
            secure=state.settings.public_url.startswith("https://"),
        )
    return response


def _browser_id(request: web.Request) -> str:
    """The browser's id from its cookie, or a new random one (22 URL-safe characters)."""
    given = request.cookies.get(COOKIE, "")
    return given if _COOKIE_VALUE.fullmatch(given) else secrets.token_urlsafe(16)


def _visitor(state: WebState, browser: str, stamp: Stamp, now: dt.datetime) -> VisitorKeys:
    return visitor_keys(state.settings.check_secret, f"web:{browser}", stamp.id, now)


def _render(request: web.Request, state: WebState, check: Check) -> web.StreamResponse:
    language = state.language(request)
    t = state.translator(language)
    if check.scan is None:
        verdict, icon = "neutral", "?"
        title, lines = t("web.stamp_check_title"), [t("web.stamp_check_text")]
    elif check.scan.first:
        verdict, icon = "ok", "✓"
        title, lines = t("web.stamp_genuine_title"), [t("web.stamp_genuine_text")]
    else:
        verdict, icon = "warn", "!"
        title = t("web.stamp_warning_title")
        first_at = t.datetime(check.scan.first_at)
        lines = [
            t("web.stamp_warning_text", count=check.scan.count, first_at=first_at),
            t("web.stamp_warning_advice"),
            t("web.stamp_count_note"),
        ]
    body = state.templates.render(
        "stamp.html",
        t,
        verdict=verdict,
        icon=icon,
        title=title,
        lines=lines,
        serial=format_serial(check.serial),
        batch=check.batch,
        f=check.facts,
        switch_url=None,  # following a language link would count as another check
        other_lang=other_language(language),
    )
    return fresh_page(body, language, state.headers)


def _not_ours(request: web.Request) -> web.StreamResponse:
    return message_page(
        request,
        404,
        "web.stamp_unknown_title",
        "web.stamp_unknown_text",
        icon="✗",
        extra_keys=("web.stamp_unknown_advice",),
    )


def _too_many(request: web.Request) -> web.StreamResponse:
    response = message_page(request, 429, "web.stamp_too_many_title", "web.stamp_too_many_text")
    response.headers["Retry-After"] = "60"
    return response

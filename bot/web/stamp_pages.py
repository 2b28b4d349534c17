"""Serial stamp checks: /s/{serial} and /01/{gtin}[/10/{lot}]/21/{serial}.

The first check of a stamp says "genuine"; every later one warns that the
stamp was checked before, how often and since when, because a copied stamp
is checked many times. Each check is recorded with its time, channel and a
coarse client class only.

The stamp, its batch and the product are read in a read-only session (the
product from the facts index when it has it); only the counting itself,
`record_scan`, runs in a write transaction, so checks hold SQLite's write
lock for two short statements.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.labels.serials import format_serial, is_well_formed_serial, normalize_serial
from bot.web.clients import client_class, is_link_preview
from bot.web.errors import message_page
from bot.web.facts import ProductFacts, product_facts
from bot.web.gs1 import WrongCheckDigit, gtin13_of
from bot.web.responses import fresh_page
from bot.web.state import WebState, other_language, state_of
from storage.models import StampBatch
from storage.origin import origin_row
from storage.stamps import ScanResult, batch_of, record_scan, stamp_by_serial


@dataclass(frozen=True)
class Check:
    """What a stamp check found; `scan` is None when the request was not counted."""

    serial: str
    batch: StampBatch
    facts: ProductFacts | None
    scan: ScanResult | None


async def stamp_page(request: web.Request) -> web.StreamResponse:
    """GET /s/{serial}."""
    return await _check(request, request.match_info["serial"], gtin13=None)


async def gs1_stamp_page(request: web.Request) -> web.StreamResponse:
    """GET /01/{gtin}[/10/{lot}]/21/{serial}: a stamp check that also names the product."""
    try:
        gtin13 = gtin13_of(request.match_info["gtin"])
    except WrongCheckDigit:
        return message_page(request, 400, "web.bad_barcode_title", "web.bad_barcode_text")
    if gtin13 is None:
        return _not_ours(request)
    return await _check(request, request.match_info["serial"], gtin13=gtin13)


def counts_as_check(request: web.Request) -> bool:
    """Only a person opening the page counts.

    A HEAD request, or a chat app fetching the link to draw its preview when
    someone shares it, is a machine reading the page, not a buyer checking
    the product. Counting them would make a genuine stamp look already
    checked to the first real buyer, and let anyone "burn" a stamp by
    pasting its link into a chat.
    """
    return request.method == "GET" and not is_link_preview(request.headers.get("User-Agent"))


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
    scan = None
    if counts_as_check(request):
        client = client_class(request.headers.get("User-Agent"))
        async with state.db.transaction() as session:
            scan = await record_scan(session, stamp, "web", client, state.clock())
    return _render(request, state, Check(serial, batch, facts, scan))


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

"""Applying an officer's listings CSV: all rows or none, answered line by line.

The file is read and checked whole (bot/core/listings_csv.py), then every
code is looked up: unknown codes and products of another province are
problems too. Only a file without a single problem changes anything; each
producer whose products changed gets one notice for the whole file.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.core import places
from bot.core.context import Context
from bot.core.listings_csv import Problem, Row, Sheet, read_listings
from bot.core.ocop import listing_key
from bot.core.types import Reply
from bot.flows import producer_notices
from bot.flows.officer_scope import officer_scope
from storage.audit import record
from storage.listings import ListingChange, ListingUpdate, apply_listing_updates
from storage.models import Product
from storage.officers import Scope, products_by_codes

MAX_SHOWN = 30  # report lines in the message; a longer report also comes as a file
REPORT_NAME = "listings-report.txt"


@dataclass(frozen=True)
class Outcome:
    replies: list[Reply]
    applied: bool


async def import_listings(ctx: Context, data: bytes, file_name: str) -> Outcome:
    """Checks the whole file, then applies it only if every row is valid."""
    scope = officer_scope(ctx)
    assert scope is not None, "callers check the officer's scope first"
    marketplaces = {m.id: m.name for m in ctx.settings.marketplaces}
    # Parsing a 10 MB file is CPU work: off the event loop, other chats go on meanwhile.
    sheet = await asyncio.to_thread(
        read_listings, data, marketplaces, ctx.settings.limits.max_csv_rows
    )
    products = await products_by_codes(ctx.session, {row.code for row in sheet.rows})
    updates = _updates(ctx, sheet, products, scope)
    if sheet.problems or not updates:
        await _audit(
            ctx, "listings.import_refused", file_name, len(sheet.rows), len(sheet.problems)
        )
        return Outcome(_refusal(ctx, sheet.problems), applied=False)
    changes = await apply_listing_updates(
        ctx.session, ctx.user, [update for _row, update in updates], now=ctx.now()
    )
    notified = await producer_notices.listings_changed(ctx, changes)
    await _audit(ctx, "listings.import", file_name, len(updates), 0, changed=len(changes))
    return Outcome(_success(ctx, updates, changes, notified), applied=True)


def _updates(
    ctx: Context, sheet: Sheet, products: dict[str, Product], scope: Scope
) -> list[tuple[Row, ListingUpdate]]:
    """The rows as updates; unknown codes and other provinces join the sheet's problems."""
    updates = []
    for row in sheet.rows:
        product = products.get(row.code)
        if product is None:
            sheet.problems.append(
                Problem(row.line, "listings.csv_unknown_code", {"code": row.code})
            )
            continue
        if not scope.allows(product.producer.province_code):
            province = places.province(product.producer.province_code)
            sheet.problems.append(
                Problem(
                    row.line,
                    "listings.csv_other_province",
                    {"code": row.code, "province": province.name if province else "—"},
                )
            )
            continue
        update = ListingUpdate(product, row.marketplace, row.status, row.url, row.reason)
        updates.append((row, update))
    sheet.problems.sort(key=lambda problem: problem.line)
    return updates


def _refusal(ctx: Context, problems: list[Problem]) -> list[Reply]:
    t = ctx.t
    lines = [_problem_line(ctx, problem) for problem in problems]
    if not lines:  # a header and nothing else that changes anything
        return [Reply(t("listings.csv_nothing"))]
    head = t("listings.csv_refused", count=len(problems))
    return _report(ctx, head, lines)


def _success(
    ctx: Context,
    updates: list[tuple[Row, ListingUpdate]],
    changes: list[ListingChange],
    notified: int,
) -> list[Reply]:
    t = ctx.t
    changed = {id(change.update) for change in changes}
    lines = []
    for row, update in updates:
        marketplace = ctx.settings.marketplace(update.marketplace)
        key = "listings.csv_line_changed" if id(update) in changed else "listings.csv_line_same"
        lines.append(
            t(
                key,
                line=row.line,
                code=row.code,
                marketplace=marketplace.name if marketplace else update.marketplace,
                status=t(listing_key(update.status)),
            )
        )
    head = t(
        "listings.csv_applied",
        rows=len(updates),
        changed=len(changes),
        same=len(updates) - len(changes),
        notified=notified,
    )
    return _report(ctx, head, lines)


def _report(ctx: Context, head: str, lines: list[str]) -> list[Reply]:
    """The report in one message; past MAX_SHOWN lines, the whole of it as a text file too."""
    if len(lines) <= MAX_SHOWN:
        return [Reply("\n".join([head, *lines]))]
    more = ctx.t("listings.csv_more", count=len(lines) - MAX_SHOWN)
    document = "\n".join([head, *lines]).encode("utf-8")
    return [
        Reply("\n".join([head, *lines[:MAX_SHOWN], more])),
        Reply(ctx.t("listings.csv_report_file"), document=document, document_name=REPORT_NAME),
    ]


def _problem_line(ctx: Context, problem: Problem) -> str:
    text = ctx.t(problem.key, **problem.params)
    return ctx.t("listings.csv_line", line=problem.line, text=text) if problem.line else text


async def _audit(
    ctx: Context, action: str, file_name: str, rows: int, problems: int, changed: int = 0
) -> None:
    after = {"file": file_name[:200], "rows": rows, "problems": problems, "changed": changed}
    await record(ctx.session, ctx.user.id, action, "listings", None, after=after, at=ctx.now())

"""Officer handlers: KPIs (/stats) and exports (/export) of a province.

An officer sees only their own province (users.province_code); an admin
picks a province or the whole country. Routes already require the officer
role, but actions carry the province they are about, so every handler
checks that area against the user again (`scope_for`): a crafted or stale
action cannot open another province's figures.

Charts and workbooks are built off the event loop (Pillow and openpyxl are
CPU-bound); the queries behind them are a handful of aggregates.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core import places
from bot.core.context import Context
from bot.core.intents import EXPORT, MENU, STATS, Intent
from bot.core.text import fold
from bot.core.types import Button, Reply
from bot.handlers.menu import main_menu
from bot.handlers.routing import ADMIN, OFFICER, Feature, Route
from bot.i18n import N_
from bot.reports import charts, exports, summary, tables
from bot.reports.marketplace_sheets import SheetContext, sheet
from storage.kpis import export_data, kpis
from storage.models import User

if TYPE_CHECKING:
    from bot.handlers.routes import Router

COUNTRY = "all"  # the area argument for the whole country (admins only)
EXPORT_TABLE = Intent(rf"export:({'|'.join(tables.KINDS)}):(csv|xlsx):(\d+|all)", OFFICER)
EXPORT_SHEET = Intent(r"export:sheet:(\w+):(\d+|all)", OFFICER)
EXPORT_BUTTONS = {
    "producers": N_("export.button.producers"),
    "products": N_("export.button.products"),
    "listings": N_("export.button.listings"),
}


@dataclass(frozen=True)
class Scope:
    """The area figures are about: one province, or the country when province_code is None."""

    province_code: int | None

    @property
    def arg(self) -> str:
        return COUNTRY if self.province_code is None else str(self.province_code)


def scope_for(user: User, wanted: str | None) -> Scope | None:
    """The area `user` may see for the `wanted` argument (None: their own); None if refused."""
    if user.role == ADMIN:
        if wanted == COUNTRY:
            return Scope(None)
        if wanted and wanted.isdigit() and places.province(int(wanted)) is not None:
            return Scope(int(wanted))
        return None
    own = user.province_code
    if user.role == OFFICER and own is not None and wanted in (None, str(own)):
        return Scope(own)
    return None


async def _refuse(ctx: Context, router: Router, action: str) -> list[Reply]:
    """An officer with no province is told so; any other refusal is logged as denied."""
    if ctx.user.role == OFFICER and ctx.user.province_code is None:
        return [Reply(ctx.t("stats.no_province"))] + await main_menu(ctx)
    return await router.deny(ctx, action)


def _picker(ctx: Context, intent: Intent, question: str) -> list[Reply]:
    """Admins choose the whole country or one province."""
    t = ctx.t
    rows = [[Button(t("stats.whole_country"), intent.action(COUNTRY))]]
    provinces = [Button(p.name, intent.action(p.code)) for p in places.provinces()]
    rows += [provinces[i : i + 2] for i in range(0, len(provinces), 2)]
    rows.append([Button(t("menu.back_to_menu"), MENU.action())])
    return [Reply(t(question), buttons=rows)]


# --- KPIs -------------------------------------------------------------------


async def _stats(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    """Sends the area's KPIs as a chart with the figures in words."""
    wanted = args[0] if args else None
    if wanted is None and ctx.user.role == ADMIN:
        return _picker(ctx, STATS, N_("stats.pick_province"))
    scope = scope_for(ctx.user, wanted)
    if scope is None:
        return await _refuse(ctx, router, STATS.action(wanted) if wanted else STATS.action())
    figures = await kpis(ctx.session, scope.province_code, ctx.today())
    png = await asyncio.to_thread(charts.render, summary.dashboard(ctx.t, figures))
    t = ctx.t
    rows = [[Button(t("menu.export"), EXPORT.action(scope.arg))]]
    if ctx.user.role == ADMIN:
        rows.append([Button(t("stats.other_area"), STATS.action())])
    rows.append([Button(t("menu.back_to_menu"), MENU.action())])
    return [Reply(summary.text(t, figures), photo=png, buttons=rows)]


# --- exports ----------------------------------------------------------------


def _export_menu(ctx: Context, scope: Scope, key: str = N_("export.menu")) -> list[Reply]:
    t, arg = ctx.t, scope.arg
    rows = [
        [
            Button(t(label, format="CSV"), EXPORT_TABLE.action(kind, "csv", arg)),
            Button(t(label, format="Excel"), EXPORT_TABLE.action(kind, "xlsx", arg)),
        ]
        for kind, label in EXPORT_BUTTONS.items()
    ]
    sheets = [
        Button(t("export.button.sheet", marketplace=m.name), EXPORT_SHEET.action(m.id, arg))
        for m in ctx.settings.marketplaces
    ]
    rows += [sheets[i : i + 2] for i in range(0, len(sheets), 2)]
    rows.append([Button(t("menu.back_to_menu"), MENU.action())])
    place = summary.place_name(t, scope.province_code)
    return [Reply(t(key, place=place), buttons=rows)]


async def _export(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    """Offers the files to export for the area (admins choose the area first)."""
    wanted = args[0] if args else None
    if wanted is None and ctx.user.role == ADMIN:
        return _picker(ctx, EXPORT, N_("export.pick_province"))
    scope = scope_for(ctx.user, wanted)
    if scope is None:
        return await _refuse(ctx, router, EXPORT.action(wanted) if wanted else EXPORT.action())
    return _export_menu(ctx, scope)


async def _export_table(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    """Sends producers, products or listings of the area as CSV or XLSX."""
    kind, file_format, wanted = args
    scope = scope_for(ctx.user, wanted)
    if scope is None:
        return await _refuse(ctx, router, EXPORT_TABLE.action(*args))
    data = await export_data(ctx.session, scope.province_code)
    table = tables.table(kind, data, ctx.t, ctx.settings.marketplaces)
    encode = exports.to_csv if file_format == "csv" else _xlsx
    content = await asyncio.to_thread(encode, table)
    place = summary.place_name(ctx.t, scope.province_code)
    caption = ctx.t(
        "export.done", what=table.title, place=place, count=ctx.t.number(len(table.rows))
    )
    name = _file_name(ctx, place, kind, file_format)
    return [Reply(caption, document=content, document_name=name)] + _export_menu(
        ctx, scope, N_("export.more")
    )


async def _export_sheet(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    """Sends the bulk-upload sheet of one marketplace: the area's products not on it yet."""
    marketplace_id, wanted = args
    scope = scope_for(ctx.user, wanted)
    marketplace = ctx.settings.marketplace(marketplace_id)
    if scope is None or marketplace is None:
        return await _refuse(ctx, router, EXPORT_SHEET.action(*args))
    data = await export_data(ctx.session, scope.province_code)
    vi = ctx.app.catalogs.translator("vi")  # listings are read by Vietnamese buyers
    table = sheet(data, SheetContext(marketplace, ctx.settings.public_url, vi))
    content = await asyncio.to_thread(_xlsx, table)
    place = summary.place_name(ctx.t, scope.province_code)
    caption = ctx.t(
        "export.sheet_done",
        marketplace=marketplace.name,
        place=place,
        count=ctx.t.number(len(table.rows)),
    )
    name = _file_name(ctx, place, marketplace.id, "xlsx")
    return [Reply(caption, document=content, document_name=name)] + _export_menu(
        ctx, scope, N_("export.more")
    )


def _xlsx(table: exports.Table) -> bytes:
    return exports.to_xlsx([table])


def _file_name(ctx: Context, place: str, what: str, extension: str) -> str:
    """ASCII names ("ocop-thai-nguyen-products-2026-11-23.xlsx"): every system opens them."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(place)).strip("-")
    return f"ocop-{slug}-{what}-{ctx.today().isoformat()}.{extension}"


FEATURE = Feature(
    routes=(
        Route(STATS, _stats, commands=("stats",)),
        Route(EXPORT, _export, commands=("export",)),
        Route(EXPORT_TABLE, _export_table),
        Route(EXPORT_SHEET, _export_sheet),
    ),
)

"""KPIs in words and as a chart, in the reader's language.

The programme's targets are 100% of 3★+ products on e-commerce and 100% of
products with QR traceability, so both are shown as "done/total (share)"
with what is left to reach them.
"""

from __future__ import annotations

from bot.core import places
from bot.core.ocop import CERTIFIED_MIN_STARS, GROUPS
from bot.i18n import N_, Translator
from bot.reports.charts import Bar, Bars, Dashboard, Progress
from storage.kpis import EXPIRY_WINDOW_DAYS, AreaKpis, Kpis, share

STARS = (5, 4, 3, 2, 1, 0)  # 0: not rated yet
MAX_AREA_LINES = 30  # a province has about a hundred communes: the rest is in the export
CHART_AREAS = 5
_UNIT_PREFIXES = ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu ")
# Short group names: the catalog's full names (Decision 148/2023) are too long for a bar label.
GROUP_SHORT = {
    "food": N_("stats.group.food"),
    "beverages": N_("stats.group.beverages"),
    "herbal": N_("stats.group.herbal"),
    "handicrafts": N_("stats.group.handicrafts"),
    "ornamental": N_("stats.group.ornamental"),
    "tourism": N_("stats.group.tourism"),
}
assert set(GROUP_SHORT) == set(GROUPS)


def place_name(t: Translator, province_code: int | None) -> str:
    if province_code is None:
        return t("stats.country")
    found = places.province(province_code)
    return found.name if found else t("stats.unknown_area", code=province_code)


def area_name(t: Translator, kpis: Kpis, area: AreaKpis) -> str:
    found = places.province(area.code) if kpis.province_code is None else places.ward(area.code)
    return found.name if found else t("stats.unknown_area", code=area.code)


def short_name(name: str) -> str:
    """ "Tân Cương" for "Xã Tân Cương": the chart's section title already says what it is."""
    for prefix in _UNIT_PREFIXES:
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def percent(t: Translator, part: int, whole: int) -> str:
    """One decimal; never "100%" before the target is met, nor "0%" once work has begun."""
    ratio = share(part, whole)
    if ratio is None:
        return "—"
    value = round(100 * ratio, 1)
    if part < whole:
        value = min(value, 99.9)
    if part > 0:
        value = max(value, 0.1)
    return f"{t.number(value)}%"


def figure(t: Translator, part: int, whole: int) -> str:
    """ "10/16 (62,5%)": counts first, the share after (— when there is nothing to count)."""
    return t(
        "stats.figure", done=t.number(part), total=t.number(whole), percent=percent(t, part, whole)
    )


def stars_label(t: Translator, stars: int) -> str:
    return t("stats.stars", stars=stars) if stars else t("stats.unrated")


def text(t: Translator, kpis: Kpis) -> str:
    """The KPI message: totals, the two targets, photos, expiry, then area by area."""
    total, n = kpis.total, t.number
    lines = [
        t("stats.title", place=place_name(t, kpis.province_code)),
        t("stats.as_of", date=t.date(kpis.today)),
        "",
        t("stats.producers", count=n(total.producers)),
        t("stats.products", count=n(total.products)),
    ]
    if not total.products:
        return "\n".join([*lines, t("stats.no_products")])
    stars = [f"{stars_label(t, s)}: {n(kpis.by_stars[s])}" for s in STARS if kpis.by_stars.get(s)]
    groups = [f"{t(GROUP_SHORT[g])}: {n(c)}" for g, c in _groups(kpis) if c]
    lines += [
        t("stats.by_stars", items=" · ".join(stars)),
        t("stats.by_group", items=" · ".join(groups)),
        "",
        t("stats.targets"),
        t("stats.live", figure=figure(t, total.certified_live, total.certified))
        + _to_go(t, total.certified_live, total.certified),
        t("stats.qr", figure=figure(t, total.labelled, total.products))
        + _to_go(t, total.labelled, total.products),
        t("stats.photos", figure=figure(t, total.with_photos, total.products)),
        t("stats.expiring", days=EXPIRY_WINDOW_DAYS, count=n(total.expiring)),
    ]
    if total.expired:
        lines.append(t("stats.expired", count=n(total.expired)))
    # N_ on each key: babel reads `t(a if c else b)` as one key "ab".
    heading = N_("stats.by_province") if kpis.province_code is None else N_("stats.by_commune")
    lines += ["", t(heading)]
    for area in kpis.areas[:MAX_AREA_LINES]:
        lines.append(
            t(
                "stats.area_line",
                name=area_name(t, kpis, area),
                producers=n(area.producers),
                products=n(area.products),
                live=f"{n(area.certified_live)}/{n(area.certified)}",
                qr=f"{n(area.labelled)}/{n(area.products)}",
            )
        )
    if len(kpis.areas) > MAX_AREA_LINES:
        lines.append(t("stats.more_areas", count=n(len(kpis.areas) - MAX_AREA_LINES)))
    return "\n".join(lines)


def dashboard(t: Translator, kpis: Kpis) -> Dashboard:
    """The same figures, fewer words: what the chart shows."""
    total, n = kpis.total, t.number
    national = kpis.province_code is None
    areas_title = N_("stats.chart.provinces") if national else N_("stats.chart.communes")
    return Dashboard(
        title=t("stats.chart.title", place=place_name(t, kpis.province_code)),
        subtitle=t(
            "stats.chart.subtitle",
            date=t.date(kpis.today),
            producers=n(total.producers),
            products=n(total.products),
        ),
        progress_title=t("stats.chart.progress"),
        progress=[
            Progress(
                t("stats.chart.live"),
                total.certified_live,
                total.certified,
                figure(t, total.certified_live, total.certified),
            ),
            Progress(
                t("stats.chart.qr"),
                total.labelled,
                total.products,
                figure(t, total.labelled, total.products),
            ),
            Progress(
                t("stats.chart.photos"),
                total.with_photos,
                total.products,
                figure(t, total.with_photos, total.products),
                target=False,
            ),
        ],
        sections=[
            Bars(
                t("stats.chart.stars"),
                [
                    Bar(stars_label(t, s), kpis.by_stars.get(s, 0), n(kpis.by_stars.get(s, 0)))
                    for s in _chart_stars(kpis)
                ],
            ),
            Bars(
                t("stats.chart.groups"), [Bar(t(GROUP_SHORT[g]), c, n(c)) for g, c in _groups(kpis)]
            ),
            Bars(
                t(areas_title),
                [
                    Bar(short_name(area_name(t, kpis, a)), a.products, n(a.products))
                    for a in kpis.areas[:CHART_AREAS]
                    if a.products
                ],
            ),
        ],
        footer=t(
            "stats.chart.footer",
            days=EXPIRY_WINDOW_DAYS,
            expiring=n(total.expiring),
            expired=n(total.expired),
        ),
    )


def _chart_stars(kpis: Kpis) -> list[int]:
    """3★ to 5★ always (the certified ranks); 1–2★ and unrated only when there are some."""
    return [s for s in STARS if s >= CERTIFIED_MIN_STARS or kpis.by_stars.get(s)]


def _groups(kpis: Kpis) -> list[tuple[str, int]]:
    return [(group, kpis.by_group.get(group, 0)) for group in GROUPS]


def _to_go(t: Translator, done: int, total: int) -> str:
    return t("stats.to_go", count=t.number(total - done)) if total > done else ""

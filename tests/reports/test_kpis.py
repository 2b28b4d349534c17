"""KPI aggregates on a known dataset, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.runtime import Runtime
from storage.kpis import AreaKpis, export_data, kpis, share
from tests.reports import dataset
from tests.reports.dataset import PROVINCE_A, PROVINCE_B, TODAY, WARD_A1, WARD_A2, WARD_B


def counts(area: AreaKpis) -> dict[str, int]:
    return {name: getattr(area, name) for name in AreaKpis.__dataclass_fields__ if name != "code"}


async def test_province_figures(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        await dataset.build(session)
    async with runtime.db.transaction() as session:
        figures = await kpis(session, PROVINCE_A, TODAY)
    assert counts(figures.total) == {
        "producers": 3,
        "products": 5,
        "certified": 3,  # 4★ tea, 3★ wine, 5★ soap
        "certified_live": 2,  # tea (Shopee), soap (two marketplaces, counted once)
        "labelled": 3,
        "with_photos": 3,  # the wine has one photo only
        "expiring": 2,  # tea in 30 days, basket on day 90
        "expired": 1,  # soap, yesterday
    }
    assert figures.by_stars == {4: 1, 3: 1, 0: 1, 5: 1, 2: 1}
    assert figures.by_group == {"food": 2, "beverages": 1, "herbal": 1, "handicrafts": 1}
    assert [area.code for area in figures.areas] == [WARD_A1, WARD_A2]  # most products first
    a1, a2 = figures.areas
    assert counts(a1) == {
        "producers": 1,
        "products": 3,
        "certified": 2,
        "certified_live": 1,
        "labelled": 2,
        "with_photos": 2,
        "expiring": 1,
        "expired": 0,
    }
    assert counts(a2) == {
        "producers": 2,  # one of them has no products yet and still counts
        "products": 2,
        "certified": 1,
        "certified_live": 1,
        "labelled": 1,
        "with_photos": 1,
        "expiring": 1,
        "expired": 1,
    }


async def test_other_province_sees_only_its_own(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        await dataset.build(session)
        figures = await kpis(session, PROVINCE_B, TODAY)
    assert counts(figures.total)["products"] == 1
    assert counts(figures.total)["producers"] == 1
    assert [area.code for area in figures.areas] == [WARD_B]
    assert figures.by_group == {"food": 1}


async def test_country_figures_by_province(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        await dataset.build(session)
        figures = await kpis(session, None, TODAY)
    assert figures.total.producers == 4
    assert figures.total.products == 6
    assert figures.total.certified_live == 3
    assert [area.code for area in figures.areas] == [PROVINCE_A, PROVINCE_B]


async def test_no_products_divides_by_nothing(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        figures = await kpis(session, PROVINCE_A, TODAY)
    assert counts(figures.total) == dict.fromkeys(counts(figures.total), 0)
    assert figures.areas == [] and figures.by_stars == {} and figures.by_group == {}
    assert share(figures.total.certified_live, figures.total.certified) is None
    assert share(0, 0) is None
    assert share(1, 4) == 0.25


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """The queries run inside the block (SQLite's BEGIN IMMEDIATE left out)."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            seen.append(args[2])

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_query_count_does_not_grow_with_products(runtime: Runtime) -> None:
    """No query per product: the same few statements for one dataset or three."""
    runs: list[tuple[int, int]] = []
    for _ in range(2):
        async with runtime.db.transaction() as session:
            await dataset.build(session)
        async with runtime.db.transaction() as session:
            with statements(runtime) as kpi_sql:
                await kpis(session, PROVINCE_A, TODAY)
            with statements(runtime) as export_sql:
                data = await export_data(session, PROVINCE_A)
        runs.append((len(kpi_sql), len(export_sql)))
        assert len(data.products) == 5 * len(runs)
    assert runs[0] == runs[1] == (3, 4)


async def test_export_data_is_scoped(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        built = await dataset.build(session)
        data = await export_data(session, PROVINCE_A)
    assert {p.id for p in data.producers} == {built.producers[k] for k in ("a1", "a2", "a3")}
    codes = {record.product.code for record in data.products}
    assert built.products["hanoi_tea"] not in codes and len(codes) == 5
    assert data.product_counts == {built.producers["a1"]: 3, built.producers["a2"]: 2}
    soap = next(r for r in data.products if r.product.code == built.products["soap"])
    assert [p.mime for p in soap.photos] == ["image/jpeg", "image/png", "image/jpeg", "image/jpeg"]
    assert sorted(x.marketplace for x in soap.listings) == ["lazada", "postmart"]

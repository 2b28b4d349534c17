"""Each audience filter selects the right producers, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.runtime import Runtime
from storage.audience import Audience, count, recipients
from storage.models import User
from tests.outbox.conftest import LAM_DONG, TAN_CUONG, THAI_NGUYEN, add_officer, add_producer

OTHER_WARD = 5500  # another commune of Thái Nguyên
RATED = {"stars": 4, "cert_number": "1234/QĐ-UBND", "cert_date": dt.date(2024, 5, 20)}


@pytest.fixture
async def people(runtime: Runtime) -> dict[str, int]:
    """A small world: who each producer is says which filters should pick them."""
    return {
        "tea_4_star_live_shopee": await add_producer(
            runtime,
            "11",
            products=[{**RATED, "photos": 3, "live_on": ["shopee"], "certs": ["food_safety"]}],
        ),
        "tea_no_photos_household": await add_producer(
            runtime, "12", kind="household", products=[{"certs": ["food_safety"]}]
        ),
        "craft_other_ward": await add_producer(
            runtime,
            "13",
            ward=OTHER_WARD,
            products=[{"group": "handicrafts", "subgroup": "textiles", "photos": 5}],
        ),
        "rated_without_decision": await add_producer(
            runtime,
            "14",
            kind="enterprise",
            products=[{"stars": 3, "photos": 3, "certs": ["food_safety"]}],
        ),
        "lam_dong": await add_producer(runtime, "15", province=LAM_DONG, ward=24781, products=[{}]),
        "no_products": await add_producer(runtime, "16"),
    }


async def chosen(runtime: Runtime, people: dict[str, int], audience: Audience) -> set[str]:
    async with runtime.db.transaction() as session:
        ids = {row[0] for row in await session.execute(recipients(audience))}
        assert await count(session, audience) == len(ids)
    return {name for name, user_id in people.items() if user_id in ids}


ALL_THAI_NGUYEN = {
    "tea_4_star_live_shopee",
    "tea_no_photos_household",
    "craft_other_ward",
    "rated_without_decision",
    "no_products",
}


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        (Audience(), ALL_THAI_NGUYEN | {"lam_dong"}),
        (Audience(province=THAI_NGUYEN), ALL_THAI_NGUYEN),
        (Audience(province=LAM_DONG), {"lam_dong"}),
        (Audience(province=THAI_NGUYEN, ward=OTHER_WARD), {"craft_other_ward"}),
        (
            Audience(province=THAI_NGUYEN, ward=TAN_CUONG),
            ALL_THAI_NGUYEN - {"craft_other_ward"},
        ),
        (Audience(groups=("handicrafts",)), {"craft_other_ward"}),
        (
            Audience(province=THAI_NGUYEN, groups=("food",)),
            {"tea_4_star_live_shopee", "tea_no_photos_household", "rated_without_decision"},
        ),
        (Audience(stars=(4,)), {"tea_4_star_live_shopee"}),
        (Audience(stars=(3, 4)), {"tea_4_star_live_shopee", "rated_without_decision"}),
        (
            Audience(province=THAI_NGUYEN, stars=(0,)),
            {"tea_no_photos_household", "craft_other_ward"},
        ),
        (
            Audience(kinds=("household", "enterprise")),
            {"tea_no_photos_household", "rated_without_decision"},
        ),
        (
            Audience(province=THAI_NGUYEN, not_live_on="shopee"),
            {"tea_no_photos_household", "craft_other_ward", "rated_without_decision"},
        ),
        (
            Audience(province=THAI_NGUYEN, not_live_on="lazada"),
            ALL_THAI_NGUYEN - {"no_products"},
        ),
        (Audience(province=THAI_NGUYEN, missing="photos"), {"tea_no_photos_household"}),
        (Audience(province=THAI_NGUYEN, missing="certificate"), {"rated_without_decision"}),
        # Product filters hold for one and the same product.
        (Audience(groups=("handicrafts",), stars=(4,)), set()),
        (Audience(stars=(4,), not_live_on="shopee"), set()),
    ],
)
async def test_filters_select_the_right_producers(
    runtime: Runtime, people: dict[str, int], audience: Audience, expected: set[str]
) -> None:
    assert await chosen(runtime, people, audience) == expected


async def test_blocked_opted_out_officers_and_other_channels_are_left_out(
    runtime: Runtime, people: dict[str, int]
) -> None:
    console = await add_producer(runtime, "local", channel="console")
    await add_officer(runtime)
    async with runtime.db.transaction() as session:
        blocked = await session.get(User, people["lam_dong"])
        opted = await session.get(User, people["no_products"])
        assert blocked is not None and opted is not None
        blocked.blocked_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        opted.notices_opt_out = True
    everyone = await chosen(runtime, {**people, "console": console}, Audience())
    assert everyone == ALL_THAI_NGUYEN - {"no_products"}
    essential = await chosen(runtime, people, Audience(essential=True))
    assert essential == ALL_THAI_NGUYEN  # opted out still hears essential notices; blocked never


def test_audience_round_trips_through_json() -> None:
    audience = Audience(
        THAI_NGUYEN, TAN_CUONG, ("food",), (0, 4), ("household",), "voso", "photos", True
    )
    assert Audience.from_json(audience.to_json()) == audience

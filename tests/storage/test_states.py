"""Roles and statuses are StrEnums: the same strings in the database, typos refused by mypy."""

from __future__ import annotations

from pathlib import Path

from mypy import api
from sqlalchemy import text

from bot.core.ocop import ListingStatus, ReviewStatus
from bot.runtime import Runtime
from storage.models import Listing, Product
from storage.states.delivery import BroadcastStatus, OutboxStatus
from tests.helpers import Chat, make_product, make_user

ROOT = Path(__file__).resolve().parents[2]


async def test_enums_store_the_strings_rows_already_hold(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await make_user(runtime, chat)
    product_id = await make_product(runtime, chat)
    async with runtime.db.transaction() as session:
        session.add(Listing(product_id=product_id, marketplace="shopee", status=ListingStatus.LIVE))
    async with runtime.db.transaction() as session:
        stored = (await session.execute(text("SELECT status FROM listings"))).scalar_one()
        review = (await session.execute(text("SELECT review_status FROM products"))).scalar_one()
        # A row written before the enums (or by hand) reads and compares the same.
        await session.execute(text("UPDATE listings SET status = 'paused'"))
        listing = (await session.execute(text("SELECT * FROM listings"))).one()
        product = await session.get(Product, product_id)
    assert (stored, review) == ("live", "pending")
    assert listing.status == ListingStatus.PAUSED
    assert product is not None and product.review_status == ReviewStatus.PENDING
    assert f"listing.{ListingStatus.LIVE}" == "listing.live"  # message keys unchanged


def test_the_outbox_and_broadcasts_keep_distinct_sending_states() -> None:
    assert OutboxStatus.SENDING == BroadcastStatus.SENDING == "sending"  # the same stored text…
    assert type(OutboxStatus.SENDING) is not type(BroadcastStatus.SENDING)  # …two types


def test_mypy_refuses_a_misspelt_or_foreign_state(tmp_path: Path) -> None:
    snippet = tmp_path / "typos.py"
    snippet.write_text(
        "from storage.models import Broadcast, Listing, OutboxMessage, User\n"
        "from storage.states.delivery import BroadcastStatus, OutboxStatus\n"
        "def typos(listing: Listing, user: User, row: OutboxMessage, b: Broadcast) -> None:\n"
        "    listing.status = 'lve'\n"
        "    user.role = 'admn'\n"
        "    row.status = BroadcastStatus.SENDING\n"
        "    b.status = OutboxStatus.SENDING\n"
        "    listing.status = 'live'  # a plain string is refused too: use the member\n"
    )
    out, _err, status = api.run(
        ["--strict", "--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache"), str(snippet)]
    )
    assert status == 1
    lines = [line for line in out.splitlines() if "error:" in line]
    assert [line.split(":")[1] for line in lines] == ["4", "5", "6", "7", "8"], out

"""Linked accounts survive `copy-data` and restores: a link may point at a later row."""

from __future__ import annotations

from bot.runtime import Runtime
from storage import people
from storage.models import User
from storage.transfer import copy_database
from storage.users import get_or_create_user
from tests.conftest import Clock
from tests.ops.test_copy_data import other_url, sums

__all__ = ["other_url"]


async def test_a_link_to_a_newer_account_is_copied(
    runtime: Runtime, clock: Clock, other_url: str
) -> None:
    async with runtime.db.transaction() as session:
        first = await get_or_create_user(session, "console", "local", "Zalo first")
        later = await get_or_create_user(session, "telegram", "1001", "Registered later")
        later.role = "officer"
        await people.join(session, later, first, first, clock())
        assert first.id < later.id and first.person_id == later.id
    source, target = await copy_database(runtime.settings.database_url, other_url)
    assert source == target
    assert (await sums(other_url))["users"][0] == 2
    db_rows = await sums(runtime.settings.database_url)
    assert db_rows["users"] == (await sums(other_url))["users"]
    async with runtime.db.transaction() as session:
        again = await session.get(User, first.id)
        assert again is not None and again.person_id == later.id

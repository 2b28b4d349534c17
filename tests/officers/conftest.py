"""Officer fixtures: settings naming an admin, and people set up straight in the database.

`officer` and `other_officer` are officers of Thái Nguyên (19) and Lâm Đồng
(68); `hoa` is a producer in Thái Nguyên and `lan` one in Lâm Đồng, each
with one product waiting for review.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.runtime import Runtime
from tests.helpers import Chat
from tests.officers.people import ADMIN_ID, People, setup_people


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        environ={
            "OCOP_DATABASE_URL": database_url,
            "OCOP_MEDIA_DIR": str(tmp_path / "media"),
            "OCOP_ADMINS": ADMIN_ID,
        }
    )


@pytest.fixture
async def people(runtime: Runtime) -> People:
    return await setup_people(runtime)


@pytest.fixture
def admin(runtime: Runtime) -> Chat:
    return Chat(runtime, user_id=ADMIN_ID)


@pytest.fixture(autouse=True)
def _every_action_routed(every_action_routed: list[str]) -> None:
    """Each button a screen shows in these tests has a route (tests/actions.py)."""

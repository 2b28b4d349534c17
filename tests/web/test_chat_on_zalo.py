"""The origin page offers "Chat on Zalo" beside Telegram only when a Zalo chat link is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from tests.web.conftest import Site, seed

ZALO_OA = "https://zalo.me/2891234567890123456"


@pytest.fixture(params=["zalo", "telegram only"])
def settings(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Settings:
    environ = {"OCOP_DATABASE_URL": database_url, "OCOP_MEDIA_DIR": str(tmp_path / "media")}
    if request.param == "zalo":
        environ["OCOP_ZALO_OA_CHAT_URL"] = ZALO_OA
    return load_settings(environ=environ)


async def test_chat_on_zalo_only_when_configured(site: Site) -> None:
    await seed(site.runtime)
    configured = site.runtime.settings.zalo_chat_url() is not None
    _, vietnamese, _ = await site.get("/p/7K3M9P")
    _, english, _ = await site.get("/p/7K3M9P?lang=en")
    assert 'href="https://t.me/ocop_assistant_bot?start=p_7K3M9P"' in english  # always
    if configured:
        assert f'href="{ZALO_OA}"' in english
        assert "Ask the OCOP assistant on Zalo" in english
        assert "Hỏi trợ lý OCOP trên Zalo" in vietnamese
    else:
        assert "Zalo" not in english and "Zalo" not in vietnamese

"""`ocop-bot doctor`: one line per check, what to fix, exit code 1 when something must be.

The token check asks the loopback fake Bot API; the token never appears in
what the doctor prints.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot import doctor
from bot.runtime import Runtime
from bot.web import create_app
from testkit.fake_bot_api import FakeBotAPI
from testkit.webhook_processes import free_port
from tests.conftest import Clock

TOKEN = "123456:DoctorSecretToken"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(token=TOKEN, bot_username="ocop_test_bot") as fake:
        yield fake


@pytest.fixture
def env(database_url: str, tmp_path: Path, api: FakeBotAPI) -> dict[str, str]:
    return {
        "OCOP_DATABASE_URL": database_url,
        "OCOP_MEDIA_DIR": str(tmp_path / "media"),
        "OCOP_PUBLIC_URL": "https://ocop.example.vn",
        "OCOP_TELEGRAM_TOKEN": TOKEN,
        "OCOP_TELEGRAM_API_URL": api.base_url,
        "OCOP_BOT_USERNAME": "ocop_test_bot",
        "OCOP_WEB_PORT": str(free_port()),
    }


async def examine(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = doctor.report(await doctor.examine(env))
    out = capsys.readouterr().out
    assert TOKEN not in out and TOKEN.split(":")[1] not in out
    return code, out


def line(out: str, name: str) -> str:
    """The check's line: status (4 wide), two spaces, name (10 wide), two spaces, message."""
    rows = [row for row in out.splitlines() if row[6:16].rstrip() == name]
    assert len(rows) == 1, out
    return rows[0]


async def test_a_ready_installation(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await examine(env, capsys)
    assert code == 0, out
    assert out.splitlines()[-1] == "All set."
    for name in ("config", "database", "media", "public url", "telegram", "web", "backup"):
        assert line(out, name).startswith("ok  "), out
    assert "token accepted: @ocop_test_bot" in line(out, "telegram")
    assert "will be created" in line(out, "media")


async def test_a_wrong_token(
    env: dict[str, str], api: FakeBotAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    env["OCOP_TELEGRAM_TOKEN"] = "999:NotTheToken"
    code, out = await examine(env, capsys)
    assert code == 1
    assert line(out, "telegram").startswith("FIX")
    assert "refused OCOP_TELEGRAM_TOKEN" in out and "NotTheToken" not in out
    assert out.splitlines()[-1] == "1 to fix."


async def test_an_unreachable_bot_api_and_another_username(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    env["OCOP_BOT_USERNAME"] = "someone_else_bot"
    code, out = await examine(env, capsys)
    assert code == 0 and line(out, "telegram").startswith("warn")
    assert "set it to ocop_test_bot" in out
    env["OCOP_TELEGRAM_API_URL"] = f"http://127.0.0.1:{free_port()}/bot"
    code, out = await examine(env, capsys)
    assert code == 1 and "Bot API not reachable" in line(out, "telegram")


async def test_a_database_behind_the_code(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo" / "ocop.db"
    env["OCOP_DATABASE_URL"] = f"sqlite+aiosqlite:///{missing}"
    code, out = await examine(env, capsys)
    assert code == 1 and f"no database at {missing}: run ocop-bot migrate" in out
    assert not missing.parent.exists()  # the doctor looks, it does not create
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    env["OCOP_DATABASE_URL"] = f"sqlite+aiosqlite:///{empty}"
    code, out = await examine(env, capsys)
    assert code == 1 and "schema at none, code wants" in line(out, "database")
    env["OCOP_DATABASE_URL"] = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/ocop"
    code, out = await examine(env, capsys)
    assert code == 1 and "cannot connect" in line(out, "database")


async def test_public_urls(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    env["OCOP_PUBLIC_URL"] = "http://ocop.example.vn"
    code, out = await examine(env, capsys)
    assert code == 0 and line(out, "public url").startswith("warn")
    assert "plain http" in out
    env["OCOP_PUBLIC_URL"] = "http://127.0.0.1:8080"
    code, out = await examine(env, capsys)
    assert code == 0 and "works on this machine only" in line(out, "public url")
    env["OCOP_PUBLIC_URL"] = "ocop.example.vn"
    code, out = await examine(env, capsys)
    assert code == 1 and line(out, "public url").startswith("FIX")


async def test_a_media_folder_that_cannot_be(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env["OCOP_MEDIA_DIR"] = str(blocker / "media")
    code, out = await examine(env, capsys)
    assert code == 1 and "not writable" in line(out, "media")


async def test_the_web_port(
    env: dict[str, str], runtime: Runtime, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    port = int(env["OCOP_WEB_PORT"])
    app = create_app(runtime.settings, runtime.db, runtime.app.catalogs, runtime.app.media, clock)
    server: TestServer = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        code, out = await examine(env, capsys)
    finally:
        await server.close()
    assert code == 0 and "the web app answers" in line(out, "web")
    with socket.create_server(("127.0.0.1", port)) as squatter:
        squatter.settimeout(0.1)
        code, out = await examine(env, capsys)
    assert code == 1 and "taken by another program" in line(out, "web")


async def test_a_broken_config_file(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "config.toml"
    broken.write_text("[web\nport = 8080\n")
    env["OCOP_CONFIG"] = str(broken)
    code, out = await examine(env, capsys)
    assert code == 1
    assert out.splitlines()[0].startswith("FIX   config") and str(broken) in out
    assert len(out.splitlines()) == 2  # nothing else can be checked

"""deploy/: what can be checked on a machine without systemd running, Docker or a domain.

Always: every command the units, the Dockerfile and compose.yaml run is an
`ocop-bot` subcommand; every OCOP_ variable they name is read by
bot/config.py and listed in the README's configuration table; the compose
file parses and has its services. Where the tools are installed (they are
on the project's machines; the test says so when one is missing):
`systemd-analyze verify` passes on the units, and Caddy validates the
Caddyfile and, run for real, serves a photo straight from disk with
immutable caching, proxies an origin page and refuses /metrics.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot import cli
from bot.config import PROJECT_ROOT
from bot.runtime import Runtime
from bot.web import create_app
from storage.models import Photo
from testkit.webhook_processes import free_port
from tests.conftest import Clock
from tests.web.conftest import seed

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))
OCOP_BOT = "/opt/ocop/.venv/bin/ocop-bot"
VARIABLE = re.compile(r"\bOCOP_[A-Z_]+\b")


def unit_entries(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of every setting; systemd allows a key more than once."""
    entries, section = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def subcommand_exists(name: str) -> bool:
    try:
        cli.main([name, "--help"])
    except SystemExit as done:
        return done.code == 0
    return False


def ocop_commands() -> list[list[str]]:
    """Every `ocop-bot …` the deployment files run, as argument lists after `ocop-bot`."""
    commands = []
    for unit in UNITS:
        for _section, key, value in unit_entries(unit):
            if key.startswith("Exec") and OCOP_BOT in value:
                commands.append(shlex.split(value.split(OCOP_BOT, 1)[1]))
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for service in compose["services"].values():
        command = service.get("command")
        if command and command[0] == "ocop-bot":
            commands.append(command[1:])
        elif command:
            for part in " ".join(command).split("&&"):
                words = shlex.split(part.replace("exec ", ""))
                if words and words[0] in ("sh", "-c"):
                    continue
                if words and words[0] == "ocop-bot":
                    commands.append(words[1:])
    docker_cmd = re.search(
        r'^CMD \["ocop-bot", "(\w+)"\]', (DEPLOY / "Dockerfile").read_text(), re.M
    )
    assert docker_cmd is not None
    commands.append([docker_cmd[1]])
    return commands


def test_the_units_are_what_a_server_needs(capsys: pytest.CaptureFixture[str]) -> None:
    names = {unit.name for unit in UNITS}
    assert {"ocop-bot.service", "ocop-web.service", "ocop-backup.service"} <= names
    assert "ocop-backup.timer" in names
    bot = unit_entries(DEPLOY / "ocop-bot.service")
    settings = {key: value for _section, key, value in bot}
    assert settings["ExecStart"] == f"{OCOP_BOT} run"
    assert settings["User"] == "ocop" and settings["Restart"] == "on-failure"
    assert ("Service", "EnvironmentFile", "/etc/ocop/ocop.env") in bot
    web = {key: value for _section, key, value in unit_entries(DEPLOY / "ocop-web.service")}
    assert web["ExecStart"] == f"{OCOP_BOT} web"
    backup = {key: value for _s, key, value in unit_entries(DEPLOY / "ocop-backup.service")}
    assert backup["ExecStart"].startswith(f"{OCOP_BOT} backup ")


def test_every_command_is_an_ocop_bot_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    commands = ocop_commands()
    assert {command[0] for command in commands} >= {"run", "web", "migrate", "backup"}
    for command in commands:
        assert subcommand_exists(command[0]), command
    assert not subcommand_exists("no-such-command")  # the check can fail


def test_every_variable_is_read_and_documented() -> None:
    config = (PROJECT_ROOT / "bot" / "config.py").read_text()
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = "\n".join(line for line in readme.splitlines() if line.startswith("| `OCOP_"))
    named: set[str] = set()
    for path in [*UNITS, *(DEPLOY / name for name in ("Caddyfile", "Dockerfile", "compose.yaml"))]:
        named |= set(VARIABLE.findall(path.read_text()))
    named |= set(VARIABLE.findall((DEPLOY / "ocop.env.example").read_text()))
    assert {"OCOP_PUBLIC_URL", "OCOP_TELEGRAM_TOKEN", "OCOP_METRICS_TOKEN"} <= named
    for variable in sorted(named):
        assert f'"{variable}"' in config, f"{variable} is not read by bot/config.py"
        assert f"`{variable}`" in table, f"{variable} is not in the README's configuration table"


def test_the_compose_file() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "bot", "web", "caddy"}
    assert services["bot"]["build"]["dockerfile"] == "deploy/Dockerfile"
    database = services["bot"]["environment"]["OCOP_DATABASE_URL"]
    assert database.startswith("postgresql+asyncpg://") and "@postgres/" in database
    assert services["caddy"]["environment"]["CADDY_UPSTREAMS"] == "bot:8080 web:8080"
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]
    for name in ("bot", "web", "caddy"):
        assert any(volume.startswith("media:") for volume in services[name]["volumes"]), name


def test_the_dockerfile() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[1-9]-slim", text, re.M)
    for package in ("fonts-dejavu-core", "postgresql-client"):
        assert package in text
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1] not in ("root", "0")
    assert "OCOP_CONFIG=/app/config.toml" in text  # a wheel install has no config.toml beside it


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    ocop_bot = Path(sys.executable).parent / "ocop-bot"  # this virtual environment's
    assert ocop_bot.is_file()
    for unit in UNITS:
        text = unit.read_text().replace(OCOP_BOT, str(ocop_bot))
        (tmp_path / unit.name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / unit.name) for unit in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy missing (apt-get install caddy)")
def test_caddy_validates_the_caddyfile() -> None:
    done = subprocess.run(
        ["caddy", "validate", "--adapter", "caddyfile", "--config", str(DEPLOY / "Caddyfile")],
        env={**os.environ, "OCOP_PUBLIC_URL": "https://ocop.example.vn", "HOME": "/tmp"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "Valid configuration" in done.stdout + done.stderr


@pytest.fixture
async def caddy(runtime: Runtime, clock: Clock, tmp_path: Path) -> AsyncIterator[str]:
    """The Caddyfile run for real in front of the web app, over plain HTTP on loopback."""
    if shutil.which("caddy") is None:
        pytest.skip("caddy missing (apt-get install caddy)")
    app_port, caddy_port = free_port(), free_port()
    server = TestServer(
        create_app(runtime.settings, runtime.db, runtime.app.catalogs, runtime.app.media, clock),
        host="127.0.0.1",
        port=app_port,
    )
    await server.start_server()
    config = tmp_path / "Caddyfile"
    config.write_text("{\n\tadmin off\n\tauto_https off\n}\n" + (DEPLOY / "Caddyfile").read_text())
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "OCOP_PUBLIC_URL": f"http://127.0.0.1:{caddy_port}",
        "OCOP_MEDIA_DIR": str(runtime.settings.media.dir),
        "CADDY_UPSTREAMS": f"127.0.0.1:{app_port}",
    }
    process = await asyncio.create_subprocess_exec(
        *("caddy", "run", "--adapter", "caddyfile", "--config", str(config)),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(300):  # up to 15 s
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", caddy_port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            break
        else:
            raise AssertionError("caddy did not start")
        yield f"http://127.0.0.1:{caddy_port}"
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 15)
        await server.close()


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


async def test_caddy_serves_photos_from_disk_and_proxies_the_rest(
    runtime: Runtime, caddy: str
) -> None:
    seeded = await seed(runtime, photos=1)
    async with runtime.db.read() as session:
        sha256, mime = (await session.execute(select(Photo.sha256, Photo.mime))).one()
    stored = runtime.app.media.path(sha256, mime)
    status, headers, body = await asyncio.to_thread(fetch, f"{caddy}/media/{stored.name}")
    assert status == 200 and body == stored.read_bytes()
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Server" in headers and headers["Server"] == "Caddy"  # from disk, not the app
    status, headers, body = await asyncio.to_thread(fetch, f"{caddy}/media/thumbs/{sha256}.jpg")
    assert status == 200 and body == runtime.app.media.thumbnail_path(sha256).read_bytes()
    status, _headers, body = await asyncio.to_thread(fetch, f"{caddy}/p/{seeded.code}")
    assert status == 200 and seeded.code.encode() in body
    status, _headers, _body = await asyncio.to_thread(fetch, f"{caddy}/metrics")
    assert status == 404
    status, _headers, _body = await asyncio.to_thread(fetch, f"{caddy}/media/../config.toml")
    assert status == 404

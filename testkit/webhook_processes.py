"""The bot as real processes in webhook mode (`ocop-bot run --webhook [--workers N]`), for
the tests that kill workers and send SIGTERM, and for bench/webhook_bench.py."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.channels.telegram import SECRET_HEADER
from bot.config import PROJECT_ROOT
from testkit.fake_bot_api import FakeBotAPI

SECRET = "processes-test-secret"
PUBLIC_URL = "https://ocop.test"
STARTUP = 180.0  # seconds for the processes to start and connect, on a busy shared machine


# Ten updates of one chat: a second handling of any would change what follows.
SCRIPT = [
    "/start",
    "/register",
    "HTX Một",
    "không phải loại nào",
    "/cancel",
    "/register",
    "HTX Hai",
    "/back",
    "HTX Ba",
    "/cancel",
]


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def config_file(directory: Path, *, lease_seconds: float, concurrency: int) -> Path:
    """config.toml with the fake's pace (no flood limits) and a short lease."""
    text = (PROJECT_ROOT / "config.toml").read_text(encoding="utf-8")
    changes = {
        "[telegram.limits]": {"rate_per_second": 1e6, "per_chat_per_second": 1e6},
        "[inbox]": {"lease_seconds": lease_seconds, "concurrency": concurrency},
    }
    for section, values in changes.items():
        start = text.index(section + "\n")
        end = text.find("\n[", start + 1)
        body = text[start:end]
        for key, value in values.items():
            body, count = re.subn(rf"(?m)^{key} = [^#\n]*", f"{key} = {value} ", body)
            assert count == 1, (section, key)
        text = text[:start] + body + text[end:]
    path = directory / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class BotProcess:
    """`ocop-bot run --webhook --workers N` against the fake Bot API; POSTs updates to it."""

    api: FakeBotAPI
    database_url: str
    directory: Path
    workers: int
    lease_seconds: float = 10.0
    concurrency: int = 8
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        config = config_file(
            self.directory, lease_seconds=self.lease_seconds, concurrency=self.concurrency
        )
        env = {
            **os.environ,
            "OCOP_CONFIG": str(config),
            "OCOP_DATABASE_URL": self.database_url,
            "OCOP_MEDIA_DIR": str(self.directory / "media"),
            "OCOP_TELEGRAM_TOKEN": self.api.token,
            "OCOP_TELEGRAM_API_URL": self.api.base_url,
            "OCOP_TELEGRAM_FILE_URL": self.api.file_base_url,
            "OCOP_PUBLIC_URL": PUBLIC_URL,
            "OCOP_WEB_PORT": str(self.port),
            "OCOP_WEBHOOK_SECRET": SECRET,
            "OCOP_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "bot.cli", "run", "--webhook"]
        self.process = await asyncio.create_subprocess_exec(
            *command, "--workers", str(self.workers), env=env, cwd=PROJECT_ROOT
        )
        connector = aiohttp.TCPConnector(limit=20)
        self.session = aiohttp.ClientSession(connector=connector)
        async with asyncio.timeout(STARTUP):
            # Ready: the webhook registered, and each worker process asked getMe.
            while not self.api.webhook_url or self._get_me_calls() < 1 + self.workers:
                assert self.process.returncode is None, "the bot exited"
                await asyncio.sleep(0.1)

    def _get_me_calls(self) -> int:
        return sum(1 for method, _params in self.api.requests if method == "getMe")

    async def post(self, update: dict[str, Any]) -> int:
        assert self.session is not None
        url = f"http://127.0.0.1:{self.port}/webhook/telegram"
        async with self.session.post(url, json=update, headers={SECRET_HEADER: SECRET}) as answer:
            return answer.status

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    async def terminate(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """SIGTERM, then the exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(timeout):
                return await self.process.wait()
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        if self.process is not None and self.process.returncode is None:
            await self.terminate()

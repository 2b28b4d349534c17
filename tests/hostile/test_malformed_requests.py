"""Malformed HTTP requests: a 400, and one INFO line in the log without the client's IP.

Attack (or just the internet's noise): bad request lines, oversized
headers, TLS sent to the HTTP port, a header without a colon. aiohttp wrote
each as an ERROR with a traceback and the client's address, though the app
promises not to keep visitors' addresses. The web app runs here as in
production (`bot.web.serve`, a real socket) and gets the raw bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.runtime import Runtime
from bot.web import serve
from testkit.webhook_processes import free_port
from tests.web.conftest import seed

HELLO = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
TLS_HELLO = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40
MALFORMED = {
    "bad request line": b"GET /s/abc HTTP/1.1 extra words\r\n\r\n",
    "bad method": HELLO + b"G(E)T / HTTP/1.1\r\nHost: x\r\n\r\n",
    "TLS on a reused connection": HELLO + TLS_HELLO,
    "oversized header": b"GET /p/AB2CD3 HTTP/1.1\r\nHost: x\r\nX-Big: "
    + b"a" * 20_000
    + b"\r\n\r\n",
    "header without colon": b"GET / HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n",
    "bad version": b"GET / HTTP/7.5\r\nHost: x\r\n\r\n",
    "NUL in the target": b"GET /p/\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
}


@pytest.fixture
async def served(runtime: Runtime) -> AsyncIterator[Settings]:
    """The web app on a real socket, started by `serve` as `ocop-bot web` does."""
    port = free_port()
    settings = dataclasses.replace(
        runtime.settings, web_port=port, public_url=f"http://127.0.0.1:{port}"
    )
    stop = asyncio.Event()
    app = runtime.app
    task = asyncio.create_task(
        serve(settings, runtime.db, app.catalogs, app.media, app.clock, stop=stop)
    )
    async with asyncio.timeout(10):
        while True:
            with contextlib.suppress(OSError):
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            await asyncio.sleep(0.02)
    yield settings
    stop.set()
    await task


async def exchange(settings: Settings, data: bytes) -> bytes:
    """Sends raw bytes and reads until the server closes the connection.

    Bytes after a first well-formed request go once it is answered: a
    malformed second request on a kept-alive connection.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", settings.web_port)
    async with asyncio.timeout(10):
        if data.startswith(HELLO):
            writer.write(HELLO)
            await reader.readuntil(b"ok\n")
            data = data.removeprefix(HELLO)
        writer.write(data)
        await writer.drain()
        answer = await reader.read()
    writer.close()
    return answer


@pytest.mark.parametrize("name", MALFORMED)
async def test_malformed_request_is_one_info_line_without_the_ip(
    served: Settings, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = await exchange(served, MALFORMED[name])
    assert b" 400 Bad Request\r\n" in answer, answer[:300]
    records = [r for r in caplog.records if r.name.startswith("aiohttp")]
    refused = [r for r in records if "refused a malformed request" in r.getMessage()]
    assert len(refused) == 1, caplog.text
    assert refused[0].levelno == logging.INFO
    assert refused[0].getMessage().startswith("web: refused a malformed request (400 ")
    assert all(r.levelno < logging.WARNING for r in records), caplog.text
    assert "127.0.0.1" not in caplog.text
    assert "Traceback" not in caplog.text


async def test_non_http_first_bytes_stay_at_debug(
    served: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    answer = await exchange(served, TLS_HELLO)
    assert b"400" in answer
    # The internet's port scanners fill no log. (The server's own background work,
    # such as the search index's refresh, may log meanwhile: not about the request.)
    about_it = [r for r in caplog.records if not r.name.startswith("bot.web.index")]
    assert about_it == [], caplog.text


async def test_well_formed_requests_log_nothing_about_the_client(
    served: Settings, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    seeded = await seed(runtime, stamps=1)
    for path in (f"/p/{seeded.code}", f"/s/{seeded.serials[0]}", "/nothing", "/healthz"):
        request = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        answer = await exchange(served, request)
        assert answer.startswith(b"HTTP/1.1 "), answer[:100]
    assert "127.0.0.1" not in caplog.text  # no access log with addresses

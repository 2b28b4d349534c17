"""Operations fixtures: a second, empty database beside the test's, and a stream of writes.

`empty_url` is a database of the same engine as the test's `database_url`
that holds nothing: a SQLite path not yet created, or a PostgreSQL database
created for the test and dropped after it. `Writer` keeps adding users and
photos (files on disk, then their rows) until told to stop, as a busy bot
would while a backup runs.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
from PIL import Image
from sqlalchemy.engine import make_url

from bot.runtime import Runtime
from storage.models import Photo
from storage.users import get_or_create_user
from tests.conftest import POSTGRES_URL
from tests.helpers import Chat, make_product, make_user


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'ocop.db'}"
        return
    name = f"ocop_ops_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(_dsn(POSTGRES_URL), timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def jpeg(seed: int) -> bytes:
    """A distinct small photo for each seed (different bytes, different SHA-256)."""
    image = Image.new("RGB", (240, 240), (seed % 256, (seed * 7) % 256, (seed * 13) % 256))
    image.putpixel((seed % 240, (seed // 240) % 240), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


@dataclass
class Writer:
    """Adds a user per step and a photo every second step, each in its own transaction."""

    runtime: Runtime
    product_id: int = 0
    steps: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def prepare(self) -> None:
        chat = Chat(self.runtime, user_id="5000")
        await make_user(self.runtime, chat)
        self.product_id = await make_product(self.runtime, chat)
        for _ in range(6):
            await self.step()

    async def step(self) -> None:
        self.steps += 1
        if self.steps % 2 == 0:
            info = await self.runtime.app.media.store_async(jpeg(self.steps))
            async with self.runtime.db.transaction() as session:
                session.add(
                    Photo(
                        product_id=self.product_id,
                        sha256=info.sha256,
                        mime=info.mime,
                        width=info.width,
                        height=info.height,
                        size_bytes=info.size,
                        position=self.steps,
                    )
                )
        async with self.runtime.db.transaction() as session:
            await get_or_create_user(session, "telegram", f"9{self.steps:05d}", "Writer")

    async def run(self) -> None:
        while not self.stop.is_set():
            await self.step()
            await asyncio.sleep(0)


@pytest.fixture
async def writer(runtime: Runtime) -> AsyncIterator[Writer]:
    writes = Writer(runtime)
    await writes.prepare()
    yield writes
    writes.stop.set()

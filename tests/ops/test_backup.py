"""`ocop-bot backup` while writes go on, then `restore` into an empty database.

Every row of the snapshot and every photo it names come back, checked
against the manifest's counts and checksums (and SQLite's integrity check).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot import backups
from bot.config import MediaSettings, Settings
from bot.core.media import MediaStore
from bot.runtime import Runtime
from storage import backup
from storage.db import Database
from storage.models import Photo, User
from tests.ops.conftest import Writer


def elsewhere(settings: Settings, url: str, media: Path) -> Settings:
    """The same installation pointed at another database and media folder."""
    return dataclasses.replace(settings, database_url=url, media=MediaSettings(dir=media))


async def counts(url: str) -> tuple[int, int]:
    db = Database(url)
    try:
        async with db.read() as session:
            users = await session.scalar(select(func.count()).select_from(User))
            photos = await session.scalar(select(func.count()).select_from(Photo))
    finally:
        await db.dispose()
    return int(users or 0), int(photos or 0)


async def test_backup_during_writes_restores_every_row_and_photo(
    runtime: Runtime, settings: Settings, writer: Writer, empty_url: str, tmp_path: Path
) -> None:
    directory = tmp_path / "backup"
    task = asyncio.create_task(writer.run())
    before = writer.steps
    assert await backups.back_up(settings, directory) == 0
    during = writer.steps - before
    writer.stop.set()
    await task
    assert during > 0, "the writes were meant to go on during the backup"

    manifest = backup.Manifest.read(directory)
    saved_users = manifest.tables["users"].rows
    saved_photos = manifest.tables["photos"].rows
    # A snapshot from within the stream: more than before it began, less than at the end.
    users_now, photos_now = await counts(settings.database_url)
    assert 6 <= saved_users <= users_now and 3 <= saved_photos <= photos_now
    assert manifest.revision is not None and manifest.media_files >= 2 * saved_photos

    target = elsewhere(settings, empty_url, tmp_path / "restored-media")
    assert await backups.restore(target, directory) == 0
    assert await counts(empty_url) == (saved_users, saved_photos)
    assert await backup.verify(empty_url, manifest) == []
    store = MediaStore(target.media)
    db = Database(empty_url)
    try:
        async with db.read() as session:
            photos = (await session.execute(select(Photo.sha256, Photo.mime))).all()
    finally:
        await db.dispose()
    assert len(photos) == saved_photos
    for sha256, mime in photos:
        original = settings.media.dir / store.path(sha256, mime).relative_to(store.root)
        assert store.path(sha256, mime).read_bytes() == original.read_bytes()
        assert store.thumbnail_path(sha256).is_file()
        # Readable by a web server running as another user (Caddy serves them from disk).
        assert store.path(sha256, mime).stat().st_mode & 0o777 == 0o644
    if empty_url.startswith("sqlite"):
        path = backup.sqlite_path(empty_url)
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


async def test_a_second_backup_copies_only_new_photos(
    runtime: Runtime,
    settings: Settings,
    writer: Writer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    directory = tmp_path / "backup"
    assert await backups.back_up(settings, directory) == 0
    first = backup.Manifest.read(directory)
    capsys.readouterr()
    for _ in range(4):  # two more photos, each with its thumbnail
        await writer.step()
    assert await backups.back_up(settings, directory) == 0
    out = capsys.readouterr().out
    assert f"4 new files copied, {first.media_files} already in the backup" in out
    second = backup.Manifest.read(directory)
    assert second.tables["photos"].rows == first.tables["photos"].rows + 2
    assert second.media_files == first.media_files + 4


async def test_restore_refuses_a_database_that_holds_rows(
    runtime: Runtime,
    settings: Settings,
    writer: Writer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    directory = tmp_path / "backup"
    assert await backups.back_up(settings, directory) == 0
    users_before = await counts(settings.database_url)
    await writer.step()
    await writer.step()
    capsys.readouterr()
    assert await backups.restore(settings, directory) == 2
    out = capsys.readouterr().out
    assert "already holds" in out and "--force" in out
    assert await counts(settings.database_url) != users_before  # untouched
    await runtime.db.dispose()  # the bot is stopped for a forced restore
    assert await backups.restore(settings, directory, force=True) == 0
    assert await counts(settings.database_url) == users_before


async def test_restore_reports_a_tampered_backup(
    runtime: Runtime,
    settings: Settings,
    writer: Writer,
    empty_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    directory = tmp_path / "backup"
    assert await backups.back_up(settings, directory) == 0
    manifest_path = directory / backup.MANIFEST
    raw = json.loads(manifest_path.read_text())
    raw["tables"]["users"]["rows"] += 1
    manifest_path.write_text(json.dumps(raw))
    target = elsewhere(settings, empty_url, tmp_path / "restored-media")
    capsys.readouterr()
    assert await backups.restore(target, directory) == 1
    assert "MISMATCH table users" in capsys.readouterr().out


async def test_restore_names_photos_whose_file_is_missing(
    runtime: Runtime,
    settings: Settings,
    writer: Writer,
    empty_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    directory = tmp_path / "backup"
    assert await backups.back_up(settings, directory) == 0
    async with runtime.db.read() as session:
        sha256, mime = (await session.execute(select(Photo.sha256, Photo.mime).limit(1))).one()
    store = MediaStore(MediaSettings(dir=directory / backup.MEDIA))
    store.path(sha256, mime).unlink()
    target = elsewhere(settings, empty_url, tmp_path / "restored-media")
    capsys.readouterr()
    assert await backups.restore(target, directory) == 1
    assert f"1 photos have no file, e.g. {sha256}" in capsys.readouterr().out


async def test_checksums_see_a_changed_value(
    runtime: Runtime, settings: Settings, writer: Writer, tmp_path: Path
) -> None:
    directory = tmp_path / "backup"
    assert await backups.back_up(settings, directory) == 0
    manifest = backup.Manifest.read(directory)
    assert await backup.verify(settings.database_url, manifest) == []  # nothing written since
    async with runtime.db.transaction() as session:
        await session.execute(
            update(User).where(User.external_id == "5000").values(display_name="X")
        )
    problems = await backup.verify(settings.database_url, manifest)
    assert any(problem.startswith("table users:") for problem in problems)

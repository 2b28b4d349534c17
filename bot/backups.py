"""`ocop-bot backup DIR`, `restore DIR` and `copy-data --to URL`: what they do and say.

The storage side (snapshots, dumps, checksums) is in storage/backup.py and
storage/transfer.py; this module adds the media files, checks that every
photo a restored database names is on disk, and prints one line per fact.
Each returns the process's exit code: 0 when all is well.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.core.media import MediaStore
from storage import backup
from storage.backup import BackupError, Manifest
from storage.checksums import TableSum
from storage.transfer import TransferError, copy_database


async def back_up(settings: Settings, directory: Path) -> int:
    """A backup of the running installation into `directory` (earlier media kept)."""
    try:
        manifest = await backup.back_up_database(settings.database_url, directory)
    except (BackupError, SQLAlchemyError, OSError) as error:
        print(f"Backup failed: {_short(error)}")
        return 1
    media = await asyncio.to_thread(backup.copy_media, settings.media.dir, directory / backup.MEDIA)
    manifest.media_files, manifest.media_bytes = media.files, media.bytes
    await asyncio.to_thread(manifest.write, directory)
    rows = sum(table.rows for table in manifest.tables.values())
    print(f"Database ({manifest.engine}, schema {manifest.revision}): {rows} rows saved.")
    print(f"Media: {media.copied} new files copied, {media.kept} already in the backup.")
    print(f"Backup complete in {directory}")
    return 0


async def restore(settings: Settings, directory: Path, *, force: bool = False) -> int:
    """The backup in `directory` into the configured database, which must be empty unless
    `force`; then everything is checked against the manifest."""
    url = settings.database_url
    try:
        manifest = await asyncio.to_thread(Manifest.read, directory)
        rows = await backup.database_rows(url)
        if rows and not force:
            print(
                f"The database already holds {rows} rows: restore into an empty database, "
                "or add --force to replace everything in it."
            )
            return 2
        await backup.restore_database(directory, manifest, url)
    except (BackupError, SQLAlchemyError, OSError) as error:
        print(f"Restore failed: {_short(error)}")
        return 1
    media = await asyncio.to_thread(backup.copy_media, directory / backup.MEDIA, settings.media.dir)
    problems = await backup.verify(url, manifest)
    problems += await _missing_photos(settings)
    rows = sum(table.rows for table in manifest.tables.values())
    print(f"Database restored from {manifest.created_at}: {rows} rows.")
    print(f"Media: {media.copied} files copied, {media.kept} already there.")
    return _report(problems, "Every table matches the backup; every photo is on disk.")


async def copy_data(settings: Settings, target_url: str, *, force: bool = False) -> int:
    """Every row of the configured database into `target_url`, then both sides compared."""
    try:
        source, target = await copy_database(settings.database_url, target_url, force=force)
    except (TransferError, SQLAlchemyError, OSError) as error:
        print(f"Copy failed: {_short(error)}")
        return 2
    for name, table in source.items():
        print(f"{name}: {table.rows} rows")
    ok = "Every table's row count and checksum match. Point OCOP_DATABASE_URL at the target."
    return _report(_differences(source, target), ok)


async def _missing_photos(settings: Settings) -> list[str]:
    store = MediaStore(settings.media)
    files = await backup.photo_files(settings.database_url)

    def missing() -> list[str]:
        return [sha for sha, mime in files if not store.path(sha, mime).is_file()]

    absent = await asyncio.to_thread(missing)
    return [f"{len(absent)} photos have no file, e.g. {absent[0]}"] if absent else []


def _differences(source: dict[str, TableSum], target: dict[str, TableSum]) -> list[str]:
    return [
        f"table {name}: source {table}, target {target.get(name)}"
        for name, table in source.items()
        if target.get(name) != table
    ]


def _report(problems: list[str], ok: str) -> int:
    for problem in problems:
        print(f"MISMATCH {problem}")
    print(ok if not problems else f"{len(problems)} problems: see above.")
    return 1 if problems else 0


def _short(error: Exception) -> str:
    """The first line: SQLAlchemy appends the statement and a link."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

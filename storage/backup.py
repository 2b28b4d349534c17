"""Backups while the bot runs, and restores into an empty database.

A backup directory holds the database (SQLite: a copy made with SQLite's
online backup API; PostgreSQL: a `pg_dump` custom-format archive), the
media files (content-addressed, so a file already there is never copied
again) and `manifest.json`: engine, schema revision, time, and each
table's row count and checksum, computed on the very snapshot that was
saved. The manifest is written last; a directory without one holds no
finished backup.

The snapshot is consistent while writes go on: SQLite's backup API copies
one read transaction (WAL lets writers go on meanwhile), and `pg_dump`
runs on a snapshot exported from the transaction the checksums are read
in. Media files are copied after the database, and a photo's file is
written before its row commits, so every photo the saved rows name is in
the backup.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from storage.checksums import TableSum, row_count, schema_revision, table_sums
from storage.files import atomic_write
from storage.models import Photo

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.dump"
MEDIA = "media"
FORMAT = 1


class BackupError(Exception):
    """Something the operator must fix; the message says what."""


@dataclass
class Manifest:
    engine: str  # sqlite | postgresql
    revision: str | None
    created_at: str
    tables: dict[str, TableSum]
    media_files: int = 0
    media_bytes: int = 0

    @property
    def database_file(self) -> str:
        return SQLITE_FILE if self.engine == "sqlite" else POSTGRES_FILE

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "engine": self.engine,
            "schema_revision": self.revision,
            "created_at": self.created_at,
            "database_file": self.database_file,
            "tables": {name: table.as_json() for name, table in self.tables.items()},
            "media": {"files": self.media_files, "bytes": self.media_bytes},
        }

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        if not path.is_file():
            raise BackupError(f"{path} is missing: {directory} holds no finished backup")
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT:
            raise BackupError(f"{path}: unknown backup format {raw.get('format')!r}")
        return cls(
            engine=raw["engine"],
            revision=raw["schema_revision"],
            created_at=raw["created_at"],
            tables={
                name: TableSum(int(value["rows"]), str(value["checksum"]))
                for name, value in raw["tables"].items()
            },
            media_files=int(raw["media"]["files"]),
            media_bytes=int(raw["media"]["bytes"]),
        )

    def write(self, directory: Path) -> None:
        atomic_write(directory / MANIFEST, json.dumps(self.as_json(), indent=2).encode())


@dataclass(frozen=True)
class MediaCopy:
    copied: int
    kept: int  # already there: same name, same size
    files: int  # in the target afterwards
    bytes: int


def engine_of(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"unsupported database {backend!r}: SQLite or PostgreSQL only")
    return backend


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def libpq_dsn(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for pg_dump/pg_restore, the password in the environment (not in `ps`)."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --- backup ------------------------------------------------------------------


async def back_up_database(url: str, directory: Path) -> Manifest:
    """Saves a consistent snapshot of the database into `directory` and returns its manifest
    (not yet written: the media come first)."""
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    if engine_of(url) == "sqlite":
        return await _back_up_sqlite(url, directory)
    return await _back_up_postgres(url, directory)


async def _back_up_sqlite(url: str, directory: Path) -> Manifest:
    source = sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    target = directory / SQLITE_FILE
    partial = directory / f".{SQLITE_FILE}.partial"
    await asyncio.to_thread(_sqlite_copy, source, partial)
    tables, revision = await _read_sums(f"sqlite+aiosqlite:///{partial}")
    if revision is None:
        partial.unlink()
        raise BackupError("the database has no schema yet: nothing to back up")
    os.replace(partial, target)
    return Manifest("sqlite", revision, now_text(), tables)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API, in one step: one read transaction, so one snapshot,
    while writers go on in the WAL."""
    target.unlink(missing_ok=True)
    target.touch(mode=0o600)  # producers' personal data: the owner only
    with (
        closing(sqlite3.connect(source, timeout=30)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file


async def _read_sums(url: str) -> tuple[dict[str, TableSum], str | None]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            revision = await schema_revision(connection)
            return (await table_sums(connection) if revision else {}), revision
    finally:
        await engine.dispose()


async def _back_up_postgres(url: str, directory: Path) -> Manifest:
    target = directory / POSTGRES_FILE
    partial = directory / f".{POSTGRES_FILE}.partial"
    dsn, env = libpq_dsn(url)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as plain:
            connection = await plain.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with connection.begin():
                snapshot = str(await connection.scalar(text("SELECT pg_export_snapshot()")))
                dump = await asyncio.create_subprocess_exec(
                    "pg_dump",
                    "--format=custom",
                    "--compress=6",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={partial}",
                    dsn,
                    env=env,
                    stderr=asyncio.subprocess.PIPE,
                )
                try:  # read in the exported snapshot while pg_dump saves it
                    revision = await schema_revision(connection)
                    tables = await table_sums(connection) if revision else {}
                finally:
                    _, errors = await dump.communicate()
    finally:
        await engine.dispose()
    if dump.returncode != 0 or revision is None:
        partial.unlink(missing_ok=True)
        if revision is None:
            raise BackupError("the database has no schema yet: nothing to back up")
        raise BackupError(f"pg_dump failed: {errors.decode(errors='replace').strip()}")
    partial.chmod(0o600)  # producers' personal data: the owner only
    os.replace(partial, target)
    return Manifest("postgresql", revision, now_text(), tables)


def copy_media(source: Path, target: Path) -> MediaCopy:
    """Copies files not yet in `target` (names are content hashes: same name, same bytes).
    Half-written temporary files are left behind."""
    copied = kept = files = size = 0
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if not path.is_file() or path.name.startswith(".tmp-"):
                continue
            destination = target / path.relative_to(source)
            length = path.stat().st_size
            if destination.is_file() and destination.stat().st_size == length:
                kept += 1
            else:
                destination.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(destination, path.read_bytes())
                copied += 1
    for path in target.rglob("*") if target.is_dir() else ():
        if path.is_file() and not path.name.startswith(".tmp-"):
            files += 1
            size += path.stat().st_size
    return MediaCopy(copied, kept, files, size)


# --- restore -----------------------------------------------------------------


async def database_rows(url: str) -> int:
    """Rows the database already holds (0: new, or migrated and empty)."""
    if engine_of(url) == "sqlite" and not sqlite_path(url).is_file():
        return 0
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await row_count(connection)
    finally:
        await engine.dispose()


async def restore_database(directory: Path, manifest: Manifest, url: str) -> None:
    """Puts the saved database in place of the one at `url` (the caller checked it is empty
    or was told to overwrite it)."""
    source = directory / manifest.database_file
    if not source.is_file():
        raise BackupError(f"{source} is missing")
    if engine_of(url) != manifest.engine:
        raise BackupError(
            f"the backup is of {manifest.engine}, the target is {engine_of(url)}: restore it "
            "into the same engine, then move it with `ocop-bot copy-data --to URL`"
        )
    if manifest.engine == "sqlite":
        await asyncio.to_thread(_sqlite_restore, source, sqlite_path(url))
        return
    dsn, env = libpq_dsn(url)
    restore = await asyncio.create_subprocess_exec(
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--clean",
        "--if-exists",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={dsn}",
        str(source),
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await restore.communicate()
    if restore.returncode != 0:
        raise BackupError(f"pg_restore failed: {errors.decode(errors='replace').strip()}")


def _sqlite_restore(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(source)) as src,
        closing(sqlite3.connect(target, timeout=30)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")


async def verify(url: str, manifest: Manifest) -> list[str]:
    """What differs between the database at `url` and the manifest; empty when all match.
    On SQLite `PRAGMA integrity_check` and `foreign_key_check` must come back clean too."""
    problems: list[str] = []
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            sums = await table_sums(connection)
            revision = await schema_revision(connection)
            if manifest.engine == "sqlite" and engine_of(url) == "sqlite":
                problems += await _sqlite_integrity(connection)
    finally:
        await engine.dispose()
    if revision != manifest.revision:
        problems.append(f"schema revision {revision}, the backup has {manifest.revision}")
    for name, expected in manifest.tables.items():
        found = sums.get(name)
        if found != expected:
            problems.append(f"table {name}: {found} instead of {expected}")
    return problems


async def _sqlite_integrity(connection: AsyncConnection) -> list[str]:
    integrity = [row[0] for row in await connection.execute(text("PRAGMA integrity_check"))]
    problems = [] if integrity == ["ok"] else [f"integrity_check: {'; '.join(integrity)}"]
    orphans = list(await connection.execute(text("PRAGMA foreign_key_check")))
    if orphans:
        problems.append(f"foreign_key_check: {len(orphans)} rows point at missing rows")
    return problems


# --- files -------------------------------------------------------------------


async def photo_files(url: str) -> list[tuple[str, str]]:
    """(sha256, mime) of every photo row: the files a restored database expects."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(select(Photo.sha256, Photo.mime).distinct())
            return [(str(sha256), str(mime)) for sha256, mime in result]
    finally:
        await engine.dispose()

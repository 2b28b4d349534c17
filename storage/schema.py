"""Is the database at the newest schema? (/readyz asks; `migrate` makes it so.)"""

from __future__ import annotations

import functools

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import alembic_config


@functools.cache
def head_revision() -> str | None:
    """The newest migration in storage/migrations (read from the files once)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def current_revision(session: AsyncSession) -> str | None:
    """The revision the database says it is at; None before the first migration."""
    try:
        revision = await session.scalar(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:  # no alembic_version table: never migrated
        return None
    return str(revision) if revision is not None else None

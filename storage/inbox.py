"""The inbox: updates pushed by webhook, stored at once, handled by leasing workers.

Each row goes
    pending → leased → handled → sending → sent
                             ↘ (worker died mid-send) unknown
    (leased by MAX_LEASES workers in turn, none of which finished) → failed
`handled` is written in the same transaction that handles the update and saves
the conversation, together with the replies it queues (`replies`), so an update
is handled exactly once. Replies are sent after that commit, at most once: the
row is committed `sending` before the first API call (as the outbox does,
docs/outbox.md), and a row left `sending` by a dead worker becomes `unknown`.

A chat's rows are taken strictly in arrival order: a row is leasable only when
no earlier row of its chat is still open (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Table,
    Update,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Executes, attribute_keys, detached
from storage.models import InboxUpdate, utcnow

PENDING = "pending"
LEASED = "leased"  # taken by a worker, not handled yet: safe to take again once expired
HANDLED = "handled"  # handled and its replies queued (one transaction); nothing sent yet
SENDING = "sending"  # committed just before the first API call: never sent again
SENT = "sent"
UNKNOWN = "unknown"  # its worker died mid-send: the replies may or may not have arrived
FAILED = "failed"  # MAX_LEASES workers took it and none finished: given up, the chat goes on
MAX_LEASES = 5
OPEN = (PENDING, LEASED, HANDLED, SENDING)

_QUIET = {"synchronize_session": False}


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


async def store(
    session: AsyncSession, channel: str, update_key: str, chat_key: str, payload: dict[str, Any]
) -> bool:
    """Stores an update; False if it was stored before (a redelivery), which changes nothing."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(InboxUpdate)
        .values(
            channel=channel,
            update_key=update_key,
            chat_key=chat_key,
            payload=payload,
            status=PENDING,
            attempts=0,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["channel", "update_key"])
    )
    return _rowcount(await session.execute(statement)) == 1


async def lease(
    session: AsyncSession, *, worker: str, now: dt.datetime, until: dt.datetime, limit: int
) -> list[InboxUpdate]:
    """Takes up to `limit` rows for `worker`, oldest first, at most one per chat.

    A row is due when it is pending, or leased or handled by a worker whose lease
    ran out (nothing was sent for it yet), and no earlier row of its chat is
    open: so a chat's updates are handled and answered strictly in order, and
    different chats side by side. PostgreSQL: SKIP LOCKED lets several workers
    lease at once without waiting; SQLite: FOR UPDATE takes the single writer.
    """
    due = or_(
        InboxUpdate.status == PENDING,
        and_(InboxUpdate.status.in_((LEASED, HANDLED)), InboxUpdate.lease_until < now),
    )
    query = (
        select(InboxUpdate)
        .where(InboxUpdate.status.in_((PENDING, LEASED, HANDLED)), due, _first_open_of_its_chat())
        .order_by(InboxUpdate.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(await session.scalars(query))
    taken: list[InboxUpdate] = []
    for row in rows:
        if row.status == LEASED and row.attempts >= MAX_LEASES:
            # Every worker that took it died or hung: an update that kills workers must
            # not hold its chat up for ever.
            row.status, row.lease_owner, row.lease_until = FAILED, None, None
            continue
        taken.append(row)
        # A handled row keeps its status: its replies are queued, only the sending is left.
        if row.status != HANDLED:
            row.status = LEASED
            row.attempts += 1
        row.lease_owner, row.lease_until = worker, until
    await session.flush()
    if len(taken) < len(rows):  # gave some up: their chats' next updates are due now
        more = await lease(session, worker=worker, now=now, until=until, limit=limit - len(taken))
        taken.extend(more)
    return taken


_INBOX = cast(Table, InboxUpdate.__table__)
_INBOX_KEYS = attribute_keys(InboxUpdate, _INBOX)


def _first_open_of_its_chat(row: Any = _INBOX.c, besides: Any = None) -> ColumnElement[bool]:
    """No earlier row of `row`'s chat is still open (`row`: the columns of the table or
    of an alias of it), but `besides` (a row id) if given."""
    earlier = _INBOX.alias()
    conditions = [
        earlier.c.channel == row.channel,
        earlier.c.chat_key == row.chat_key,
        earlier.c.id < row.id,
        earlier.c.status.in_(OPEN),
    ]
    if besides is not None:
        conditions.append(earlier.c.id != besides)
    return ~select(earlier.c.id).where(*conditions).exists()


# The statements every update runs, built once and in Core: building them (the
# correlated subquery above especially) and the ORM's planning of each cost the
# worker more CPU than running them (BENCHMARKS.md, "Webhook mode"). SQLAlchemy
# caches their compiled form by a key it memoizes on the statement object.
_NEXT = _INBOX.alias("following")
_LEASE_NEXT = (
    update(_INBOX)
    .where(
        _INBOX.c.id
        == select(_NEXT.c.id)
        .where(
            _NEXT.c.channel == bindparam("of_channel"),
            _NEXT.c.chat_key == bindparam("of_chat"),
            _NEXT.c.id > bindparam("after"),
            _NEXT.c.status == PENDING,
            _first_open_of_its_chat(_NEXT.c, besides=bindparam("after")),
        )
        .order_by(_NEXT.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    .values(
        status=LEASED,
        attempts=_INBOX.c.attempts + 1,
        lease_owner=bindparam("worker"),
        lease_until=bindparam("until"),
    )
    .returning(*_INBOX.columns)
)


def _own_row(status: str) -> Update:
    """An UPDATE of row `row_id`, only while it is in `status` and leased to `worker`."""
    return update(_INBOX).where(
        _INBOX.c.id == bindparam("row_id"),
        _INBOX.c.status == status,
        _INBOX.c.lease_owner == bindparam("worker"),
    )


_MARK_HANDLED = _own_row(LEASED).values(
    status=HANDLED, replies=bindparam("queued"), handled_at=bindparam("now")
)
_BEGIN_SEND = (
    _own_row(HANDLED)
    .values(status=SENDING, lease_until=bindparam("until"))
    .returning(_INBOX.c.replies)
)
_MARK_SENT = _own_row(SENDING).values(
    status=SENT, sent_at=bindparam("now"), lease_owner=None, lease_until=None
)


async def lease_next(
    session: Executes, row: InboxUpdate, worker: str, until: dt.datetime
) -> InboxUpdate | None:
    """The chat's next update, leased to `worker`, which is finishing `row` (its replies
    sent, the row not yet marked so): a worker that has just answered a chat goes on
    with it without a round through `lease`. Asked before `row` is marked sent, so
    no other worker can lease the chat in between (each is a statement of its own,
    `Database.statements()`). One statement: the row is found, locked and leased;
    it comes back detached (nothing the caller changes on it is written)."""
    params = {
        "of_channel": row.channel,
        "of_chat": row.chat_key,
        "after": row.id,
        "worker": worker,
        "until": until,
    }
    found = (await session.execute(_LEASE_NEXT, params)).first()
    return None if found is None else detached(InboxUpdate, _INBOX_KEYS, found)


async def mark_handled(
    session: Executes, row_id: int, worker: str, replies: dict[str, Any], now: dt.datetime
) -> bool:
    """Records the update as handled with the replies it queued; False if the row is no
    longer this worker's (its lease ran out and another took it, or it was handled)."""
    result = await session.execute(
        _MARK_HANDLED, {"row_id": row_id, "worker": worker, "queued": replies, "now": now}
    )
    return _rowcount(result) == 1


async def begin_send(
    session: Executes, row_id: int, worker: str, until: dt.datetime
) -> dict[str, Any] | None:
    """Marks a handled row "sending" and returns its queued replies; None if it is not this
    worker's to send. Committed before the first API call: never sent twice."""
    result = await session.execute(
        _BEGIN_SEND, {"row_id": row_id, "worker": worker, "until": until}
    )
    stored = result.first()
    if stored is None:
        return None
    return cast(dict[str, Any], stored[0] or {})


async def mark_sent(session: Executes, row_id: int, worker: str, now: dt.datetime) -> bool:
    result = await session.execute(_MARK_SENT, {"row_id": row_id, "worker": worker, "now": now})
    return _rowcount(result) == 1


async def release(session: AsyncSession, row_ids: list[int], worker: str) -> None:
    """Gives leased rows back unhandled (the worker is stopping)."""
    if not row_ids:
        return
    # A leased row given back is pending again; a handled one stays handled (due at once).
    await session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.id.in_(row_ids),
            InboxUpdate.status.in_((LEASED, HANDLED)),
            InboxUpdate.lease_owner == worker,
        )
        .values(
            status=case((InboxUpdate.status == LEASED, PENDING), else_=InboxUpdate.status),
            lease_owner=None,
            lease_until=None,
        )
        .execution_options(**_QUIET)
    )


async def expire_sending(session: AsyncSession, now: dt.datetime) -> int:
    """Rows left "sending" by a worker that died: "unknown", never sent again."""
    result = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.status == SENDING, InboxUpdate.lease_until < now)
        .values(status=UNKNOWN, lease_owner=None)
        .execution_options(**_QUIET)
    )
    return _rowcount(result)


async def prune(session: AsyncSession, before: dt.datetime) -> int:
    """Forgets finished rows older than `before` (platforms redeliver within hours)."""
    result = await session.execute(
        delete(InboxUpdate)
        .where(InboxUpdate.status.in_((SENT, UNKNOWN, FAILED)), InboxUpdate.created_at < before)
        .execution_options(**_QUIET)
    )
    return _rowcount(result)


async def depth(session: AsyncSession) -> dict[str, int]:
    """Open rows by status (the metrics page)."""
    rows = await session.execute(
        select(InboxUpdate.status, func.count())
        .where(InboxUpdate.status.in_(OPEN))
        .group_by(InboxUpdate.status)
    )
    counts = {status: 0 for status in OPEN}
    counts.update({status: int(count) for status, count in rows})
    return counts

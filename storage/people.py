"""One person, several channels: linked accounts and where their notices go.

Each channel has its own `users` row (channel, external_id). Linking (/link,
bot/handlers/linking.py) points the second account's `person_id` at the
person's primary account, which keeps everything that belongs to the person:
the producer profile and its products, the role and province, the language
and the notice and reminder preferences. The dispatcher hands handlers the
primary account (`arrived`), so every lookup of "the user's products, role,
preferences" goes through the person without each query knowing about it.

Notices and reminders go to one account only: the primary's `deliver_to_id`
(None: the primary itself), kept up to date as the person writes from one
channel or another, or fixed to a channel they chose in /notices.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Unit
from storage.models import LinkAttempt, LinkCode, Producer, User

SEEN_EVERY = dt.timedelta(minutes=1)  # last_seen_at is written at most this often
_QUIET = {"synchronize_session": False}


def is_linked(user: User) -> bool:
    """A linked account, or the primary of linked ones (which always has a deliver_to_id)."""
    return user.person_id is not None or user.deliver_to_id is not None


async def arrived(unit: Unit, account: User, now: dt.datetime) -> User:
    """Records that `account` wrote now; returns the person's primary account.

    An unlinked account is its own person and costs at most one small
    UPDATE a minute (last_seen_at). A linked one also moves the person's
    notices to this channel, unless they chose a channel in /notices.
    """
    if account.last_seen_at is None or now - _aware(account.last_seen_at) >= SEEN_EVERY:
        account.last_seen_at = now
    if not is_linked(account):
        return account
    primary = account
    if account.person_id is not None:
        found = await unit.session.get(User, account.person_id)
        if found is None:  # the primary was deleted: this account stands alone again
            account.person_id = None
            return account
        primary = found
    if primary.notices_channel is None and primary.deliver_to_id != account.id:
        primary.deliver_to_id = account.id
    return primary


async def accounts(session: AsyncSession, primary: User) -> list[User]:
    """The person's accounts, the primary first."""
    linked = await session.scalars(
        select(User).where(User.person_id == primary.id).order_by(User.id)
    )
    return [primary, *linked]


async def choose_delivery(
    session: AsyncSession, primary: User, channel: str | None, used_now: User | None = None
) -> User:
    """Sets where notices go: `channel`'s account, or (None) the one used last — `used_now`,
    the account writing at this moment, if given; returns it."""
    mine = await accounts(session, primary)
    primary.notices_channel = channel
    target = next((a for a in mine if a.channel == channel), None) if channel else None
    if target is None:
        primary.notices_channel = None
        oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
        target = used_now or max(
            mine, key=lambda a: _aware(a.last_seen_at) if a.last_seen_at else oldest
        )
    primary.deliver_to_id = target.id
    return target


async def delivery_account(session: AsyncSession, user: User) -> User:
    """The account a message to `user`'s person goes to."""
    if not is_linked(user):
        return user
    primary = user
    if user.person_id is not None:
        primary = await session.get(User, user.person_id) or user
    if primary.deliver_to_id is None or primary.deliver_to_id == primary.id:
        return primary
    return await session.get(User, primary.deliver_to_id) or primary


async def same_person(session: AsyncSession, account_id: int, primary_id: int) -> bool:
    """Whether account `account_id` belongs to the person whose primary is `primary_id`."""
    if account_id == primary_id:
        return True
    person = await session.scalar(select(User.person_id).where(User.id == account_id))
    return person == primary_id


async def has_own_data(session: AsyncSession, user: User) -> bool:
    """A producer profile, a role or a province: what linking must never mix or lose."""
    if user.role != "user" or user.province_code is not None:
        return True
    producer = await session.scalar(select(Producer.id).where(Producer.user_id == user.id))
    return producer is not None


async def join(
    session: AsyncSession, primary: User, other: User, typed_on: User, now: dt.datetime
) -> None:
    """Makes `other` (and any accounts linked to it) accounts of `primary`'s person.

    Notices then go to the channel used last, the one the code was just
    typed on (`typed_on`), unless the person had chosen a channel.
    """
    await session.execute(
        update(User)
        .where(User.person_id == other.id)
        .values(person_id=primary.id)
        .execution_options(**_QUIET)
    )
    other.person_id, other.deliver_to_id, other.notices_channel = primary.id, None, None
    primary.person_id = None
    typed_on.last_seen_at = now
    await session.flush()
    await choose_delivery(session, primary, primary.notices_channel, typed_on)
    await session.flush()


# --- link codes ------------------------------------------------------------------


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


async def issue_code(
    session: AsyncSession, user: User, code: str, now: dt.datetime, valid: dt.timedelta
) -> LinkCode:
    """Stores a new code's hash; the account's earlier unused codes stop working."""
    await session.execute(
        delete(LinkCode)
        .where(LinkCode.user_id == user.id, LinkCode.used_at.is_(None))
        .execution_options(**_QUIET)
    )
    row = LinkCode(
        code_hash=code_hash(code), user_id=user.id, created_at=now, expires_at=now + valid
    )
    session.add(row)
    await session.flush()
    return row


async def take_code(session: AsyncSession, code: str, now: dt.datetime) -> LinkCode | None:
    """The valid, unused code and marks it used (under a row lock); None otherwise."""
    row = await session.scalar(
        select(LinkCode).where(LinkCode.code_hash == code_hash(code)).with_for_update()
    )
    if row is None or row.used_at is not None or _aware(row.expires_at) <= now:
        return None
    row.used_at = now
    await session.flush()
    return row


async def failed_tries(session: AsyncSession, user: User, since: dt.datetime) -> int:
    """Wrong codes this account typed since `since` (older ones are forgotten here)."""
    await session.execute(
        delete(LinkAttempt)
        .where(LinkAttempt.user_id == user.id, LinkAttempt.at <= since)
        .execution_options(**_QUIET)
    )
    count = await session.scalar(
        select(func.count()).select_from(LinkAttempt).where(LinkAttempt.user_id == user.id)
    )
    return int(count or 0)


async def oldest_try(session: AsyncSession, user: User) -> dt.datetime | None:
    at = await session.scalar(
        select(func.min(LinkAttempt.at)).where(LinkAttempt.user_id == user.id)
    )
    return _aware(at) if at is not None else None


async def record_failure(session: AsyncSession, user: User, now: dt.datetime) -> None:
    session.add(LinkAttempt(user_id=user.id, at=now))
    await session.flush()


async def clear_failures(session: AsyncSession, user: User) -> None:
    await session.execute(
        delete(LinkAttempt).where(LinkAttempt.user_id == user.id).execution_options(**_QUIET)
    )


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back: they were stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)

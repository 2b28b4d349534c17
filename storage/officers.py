"""Officers: invite codes, and the province an officer may act in.

An officer acts within one province (users.province_code); an admin
everywhere. Every query that reaches products for an officer takes a
`Scope`, so the province check lives here and not in each caller's memory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.codes import looks_like_code, normalize_code
from bot.core.invite_codes import invite_hash, new_invite_code
from bot.core.text import fold
from storage.audit import record
from storage.models import AuditEntry, OfficerInvite, Producer, Product, User
from storage.states.roles import Role

OFFICER = Role.OFFICER
ADMIN = Role.ADMIN
REFUSED = "invite.refused"  # audit action of a failed redemption
MAX_REFUSALS_PER_HOUR = 5


@dataclass(frozen=True)
class Scope:
    """Where an officer may act: one province, or every province (an admin)."""

    province_code: int | None  # None: every province

    def allows(self, province_code: int) -> bool:
        return self.province_code is None or self.province_code == province_code


def scope_of(user: User) -> Scope | None:
    """The user's scope; None for anyone who is not an officer with a province, or an admin."""
    if user.role == ADMIN:
        return Scope(None)
    if user.role == OFFICER and user.province_code is not None:
        return Scope(user.province_code)
    return None


_FULL = (  # everything a product card and its readiness show, and the province
    selectinload(Product.photos),
    selectinload(Product.certifications),
    selectinload(Product.listings),
    selectinload(Product.producer),
)


async def product_in_scope(session: AsyncSession, product_id: int, scope: Scope) -> Product | None:
    """The product, with everything a card shows, only if its producer is within `scope`."""
    query = (
        select(Product)
        .join(Producer, Product.producer_id == Producer.id)
        .where(Product.id == product_id)
        .options(*_FULL)
        .execution_options(populate_existing=True)
    )
    if scope.province_code is not None:
        query = query.where(Producer.province_code == scope.province_code)
    return await session.scalar(query)


async def products_by_codes(session: AsyncSession, codes: set[str]) -> dict[str, Product]:
    """Products by code, whatever their province (callers compare it to their scope)."""
    found: dict[str, Product] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), 500):  # well under every driver's parameter limit
        chunk = ordered[start : start + 500]
        result = await session.scalars(
            select(Product)
            .where(Product.code.in_(chunk))
            .options(selectinload(Product.listings), selectinload(Product.producer))
        )
        found.update((product.code, product) for product in result)
    return found


async def find_products(
    session: AsyncSession, scope: Scope, query: str, limit: int = 8
) -> list[Product]:
    """Products in scope whose code is `query`, or whose name contains it (accents optional)."""
    statement = (
        select(Product)
        .join(Producer, Product.producer_id == Producer.id)
        .options(selectinload(Product.producer), selectinload(Product.listings))
        .order_by(Product.name_folded, Product.id)
        .limit(limit)
    )
    if scope.province_code is not None:
        statement = statement.where(Producer.province_code == scope.province_code)
    if looks_like_code(query):
        by_code = list(
            await session.scalars(statement.where(Product.code == normalize_code(query)))
        )
        if by_code:
            return by_code
    words = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if not words:
        return []
    return list(
        await session.scalars(statement.where(Product.name_folded.like(f"%{words}%", escape="\\")))
    )


# --- invite codes -----------------------------------------------------------


class Redeemed(Enum):
    """What became of a code someone typed."""

    OK = "ok"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    OTHER_PROVINCE = "other_province"  # the user is an officer of another province
    ALREADY = "already"  # the user is already an officer of that province
    ADMIN = "admin"  # admins act everywhere already
    TOO_MANY = "too_many"  # too many wrong codes lately


@dataclass(frozen=True)
class Redemption:
    outcome: Redeemed
    province_code: int | None = None


async def create_invite(
    session: AsyncSession,
    admin: User,
    province_code: int,
    *,
    now: dt.datetime,
    hours: int,
) -> tuple[str, OfficerInvite]:
    """A new code for `province_code`; the code itself is returned once and never stored."""
    code = new_invite_code()
    invite = OfficerInvite(
        code_hash=invite_hash(code),
        province_code=province_code,
        created_by=admin.id,
        created_at=now,
        expires_at=now + dt.timedelta(hours=hours),
    )
    session.add(invite)
    await session.flush()
    await record(
        session,
        admin.id,
        "invite.create",
        "officer_invite",
        invite.id,
        after={"province_code": province_code, "expires_at": invite.expires_at.isoformat()},
        at=now,
    )
    return code, invite


async def redeem_invite(
    session: AsyncSession, user: User, code: str, *, now: dt.datetime
) -> Redemption:
    """Makes `user` an officer of the code's province if the code is valid, unused and unexpired.

    The code is marked used by a conditional UPDATE, so two people typing it
    at the same moment cannot both succeed. Every outcome is audited.
    """
    if await _recent_refusals(session, user, now) >= MAX_REFUSALS_PER_HOUR:
        return await _refuse(session, user, Redeemed.TOO_MANY, None, now)
    invite = await session.scalar(
        select(OfficerInvite).where(OfficerInvite.code_hash == invite_hash(code))
    )
    if invite is None:
        return await _refuse(session, user, Redeemed.UNKNOWN, None, now)
    province = invite.province_code
    if user.role == OFFICER and user.province_code == province:  # e.g. the link opened again
        return await _refuse(session, user, Redeemed.ALREADY, invite, now)
    if invite.used_at is not None:
        return await _refuse(session, user, Redeemed.USED, invite, now)
    if as_utc(invite.expires_at) <= now:
        return await _refuse(session, user, Redeemed.EXPIRED, invite, now)
    if user.role == ADMIN:
        return await _refuse(session, user, Redeemed.ADMIN, invite, now)
    if user.role == OFFICER and user.province_code not in (None, province):
        return await _refuse(session, user, Redeemed.OTHER_PROVINCE, invite, now)
    taken = cast(
        CursorResult[Any],
        await session.execute(
            update(OfficerInvite)
            .where(OfficerInvite.id == invite.id, OfficerInvite.used_at.is_(None))
            .values(used_by=user.id, used_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if taken.rowcount != 1:
        return await _refuse(session, user, Redeemed.USED, invite, now)
    before = {"role": user.role, "province_code": user.province_code}
    user.role = OFFICER
    user.province_code = province
    await record(
        session,
        user.id,
        "invite.redeem",
        "user",
        user.id,
        before=before,
        after={"role": OFFICER, "province_code": province, "invite_id": invite.id},
        at=now,
    )
    return Redemption(Redeemed.OK, province)


async def _refuse(
    session: AsyncSession,
    user: User,
    outcome: Redeemed,
    invite: OfficerInvite | None,
    now: dt.datetime,
) -> Redemption:
    after: dict[str, object] = {"outcome": outcome.value}
    if invite is not None:
        after |= {"invite_id": invite.id, "province_code": invite.province_code}
    await record(
        session,
        user.id,
        REFUSED,
        "officer_invite",
        invite.id if invite is not None else None,
        after=after,
        at=now,
    )
    return Redemption(outcome, invite.province_code if invite is not None else None)


async def _recent_refusals(session: AsyncSession, user: User, now: dt.datetime) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.actor_id == user.id,
            AuditEntry.action == REFUSED,
            AuditEntry.at > now - dt.timedelta(hours=1),
        )
    )
    return int(count or 0)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored time, timezone-aware: SQLite hands back naive datetimes, all of them UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)

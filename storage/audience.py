"""Who a broadcast reaches: the officer's filters turned into one users query.

The audience is producers' accounts (a user with a producer profile) on a
channel the outbox delivers to, never users who blocked the bot, and, for
non-essential notices, never those who opted out. Filters on products
(group, stars, marketplace, what is missing) must hold for one and the
same product of the producer: "4-star food not yet live on Shopee" means a
product that is all three.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.core.ocop import CONSUMABLE_GROUPS, ListingStatus
from bot.core.readiness import MIN_PHOTOS_COMPLETE
from storage.models import Certification, Listing, Photo, Producer, Product, User

# Channels the outbox has a sender for; users elsewhere (the console) cannot be reached.
DELIVERABLE_CHANNELS = ("telegram", "zalo_bot", "zalo_oa")
MISSING = ("photos", "certificate")


@dataclass(frozen=True)
class Audience:
    """The filters an officer chose; empty ones select everybody."""

    province: int | None = None  # None: every province (admins only)
    ward: int | None = None
    groups: tuple[str, ...] = ()
    stars: tuple[int, ...] = ()  # 0 stands for "not rated yet"
    kinds: tuple[str, ...] = ()
    not_live_on: str | None = None  # a marketplace id
    missing: str | None = None  # "photos" | "certificate"
    essential: bool = False  # sent to those who opted out of notices too

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            province=data.get("province"),
            ward=data.get("ward"),
            groups=tuple(data.get("groups") or ()),
            stars=tuple(data.get("stars") or ()),
            kinds=tuple(data.get("kinds") or ()),
            not_live_on=data.get("not_live_on"),
            missing=data.get("missing"),
            essential=bool(data.get("essential")),
        )


def recipients(audience: Audience) -> Select[int, str, str, str | None, int]:
    """(user id, channel, external id, language, account id) of everyone the audience selects.

    One row per person: the user id is the producer's (primary) account, which holds
    the choices; channel, external id and account id are those of the account the
    person's notices go to (storage/people.py), the same account for an unlinked user.
    """
    account = aliased(User)
    query = (
        select(
            User.id,
            account.channel,
            account.external_id,
            User.language,
            account.id.label("account_id"),
        )
        .join(Producer, Producer.user_id == User.id)
        .join(account, account.id == func.coalesce(User.deliver_to_id, User.id))
        .where(account.blocked_at.is_(None), account.channel.in_(DELIVERABLE_CHANNELS))
    )
    if not audience.essential:
        query = query.where(User.notices_opt_out.is_(False))
    if audience.province is not None:
        query = query.where(Producer.province_code == audience.province)
    if audience.ward is not None:
        query = query.where(Producer.ward_code == audience.ward)
    if audience.kinds:
        query = query.where(Producer.kind.in_(audience.kinds))
    conditions = _product_conditions(audience)
    if conditions:
        query = query.where(exists().where(Product.producer_id == Producer.id, *conditions))
    return query


def _product_conditions(audience: Audience) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if audience.groups:
        conditions.append(Product.group.in_(audience.groups))
    if audience.stars:
        rated = [stars for stars in audience.stars if stars]
        either = [Product.stars.in_(rated)] if rated else []
        if 0 in audience.stars:
            either.append(Product.stars.is_(None))
        conditions.append(or_(*either))
    if audience.not_live_on is not None:
        live = exists().where(
            Listing.product_id == Product.id,
            Listing.marketplace == audience.not_live_on,
            Listing.status == ListingStatus.LIVE,
        )
        conditions.append(~live)
    if audience.missing == "photos":
        photos = select(func.count(Photo.id)).where(Photo.product_id == Product.id)
        conditions.append(photos.scalar_subquery() < MIN_PHOTOS_COMPLETE)
    elif audience.missing == "certificate":
        conditions.append(_missing_certificate())
    return conditions


def _missing_certificate() -> ColumnElement[bool]:
    """A rated product without its OCOP decision number, or a food, drink or herbal
    product without the food-safety facility certificate marketplaces ask for."""
    food_safety = exists().where(
        Certification.product_id == Product.id, Certification.kind == "food_safety"
    )
    return or_(
        and_(Product.stars.is_not(None), Product.cert_number.is_(None)),
        and_(Product.group.in_(CONSUMABLE_GROUPS), ~food_safety),
    )


async def count(session: AsyncSession, audience: Audience) -> int:
    chosen = recipients(audience).subquery()
    return int(await session.scalar(select(func.count()).select_from(chosen)) or 0)

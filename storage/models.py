"""SQLAlchemy 2 typed models: the whole schema in one place.

Times are stored in UTC (timezone-aware). Money is an integer number of VND.
Weights are integer grams, volumes integer millilitres, sizes integer
millimetres, so nothing depends on floating point.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.core.ocop import ListingStatus, ReviewStatus
from storage.states.delivery import BroadcastStatus, OutboxKind, OutboxStatus
from storage.states.jobs import JobKind, JobStatus
from storage.states.roles import Role
from storage.states.trainings import InviteStatus, TrainingStatus


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, dt.datetime: DateTime(timezone=True)}


class User(Base):
    """Anyone who has talked to the bot on some channel."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str | None] = mapped_column(String(8))
    role: Mapped[Role] = mapped_column(String(16), default=Role.USER)
    # An officer acts within one province only; admins everywhere.
    province_code: Mapped[int | None] = mapped_column(Integer)
    blocked_at: Mapped[dt.datetime | None] = mapped_column()  # the user blocked the bot
    notices_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)  # non-essential notices
    # Reminder kinds the user turned off, e.g. ["training", "incomplete", "expiry"].
    reminders_off: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    # One person, several channels (storage/people.py): a linked account points at the
    # person's primary account, which holds the producer, the role and the preferences.
    # Both links may point at a newer row: checked at COMMIT, so copies and restores that
    # insert users in id order keep them.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", deferrable=True, initially="DEFERRED"),
        index=True,
    )
    # On a primary account that has linked ones: the account notices go to (the last
    # used, or the channel chosen in /notices); None: the account itself.
    deliver_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", deferrable=True, initially="DEFERRED")
    )
    notices_channel: Mapped[str | None] = mapped_column(String(16))  # None: the last used
    last_seen_at: Mapped[dt.datetime | None] = mapped_column()  # last message, to the minute

    producer: Mapped[Producer | None] = relationship(back_populates="user", uselist=False)


# The live screen's buttons, stored with the conversation (bot/core/dispatcher.py
# `_bind_buttons` writes it, `_resolve_action` reads it). A TypedDict, so the
# stored JSON is unchanged: {"list": [...], "numbers": {...}, "keys": {...}}.
class ScreenActions(TypedDict, total=False):  # rows saved before "keys" existed lack it
    list: list[str]  # each button's action, by index ("<token>:<index>" presses)
    numbers: dict[str, int]  # typed menu number → index, where buttons can't show
    keys: dict[str, int]  # label of a key beside a share key → index
    free_text: bool  # written by early versions, read by nothing


class Conversation(Base):
    """Where one chat stands: the running flow, its data, the live buttons.

    `version` is bumped on every save; a save that finds another version
    lost a race with a second worker and the update is handled again, so two
    processes never both advance one conversation.
    """

    __tablename__ = "conversations"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(48))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    drafts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    token: Mapped[str] = mapped_column(String(8), default="")
    actions: Mapped[ScreenActions] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # The ORM adds "WHERE version = <loaded>" to every UPDATE and raises
    # StaleDataError when another process got there first.
    __mapper_args__ = {"version_id_col": version}


class Producer(Base):
    """An OCOP entity (chủ thể OCOP) and its representative."""

    __tablename__ = "producers"
    # "Near me" looks in a box of latitude first (bot/handlers/nearby.py).
    __table_args__ = (Index("ix_producers_location", "latitude", "longitude"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    representative: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[int] = mapped_column(Integer, index=True)
    ward_code: Mapped[int] = mapped_column(Integer, index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    tax_code: Mapped[str | None] = mapped_column(String(20))
    show_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    story: Mapped[str | None] = mapped_column(Text)  # its own câu chuyện, in its words
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship(back_populates="producer")
    products: Mapped[list[Product]] = relationship(back_populates="producer", order_by="Product.id")


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    producer_id: Mapped[int] = mapped_column(
        ForeignKey("producers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), index=True)
    group: Mapped[str] = mapped_column(String(24), index=True)
    subgroup: Mapped[str] = mapped_column(String(32))
    stars: Mapped[int | None] = mapped_column(Integer, index=True)
    cert_number: Mapped[str | None] = mapped_column(String(64))
    cert_date: Mapped[dt.date | None] = mapped_column(Date)
    cert_expiry: Mapped[dt.date | None] = mapped_column(Date, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    story: Mapped[str | None] = mapped_column(Text)
    price_vnd: Mapped[int | None] = mapped_column(BigInteger)
    unit: Mapped[str | None] = mapped_column(String(32))
    net_amount: Mapped[int | None] = mapped_column(Integer)  # grams or millilitres
    net_unit: Mapped[str | None] = mapped_column(String(4))  # g | ml
    package_weight_g: Mapped[int | None] = mapped_column(Integer)
    length_mm: Mapped[int | None] = mapped_column(Integer)
    width_mm: Mapped[int | None] = mapped_column(Integer)
    height_mm: Mapped[int | None] = mapped_column(Integer)
    shelf_life: Mapped[str | None] = mapped_column(String(8))  # ISO 8601 period: P12M, P30D
    ingredients: Mapped[str | None] = mapped_column(Text)
    growing_area_code: Mapped[str | None] = mapped_column(String(64))
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    labelled_at: Mapped[dt.datetime | None] = mapped_column()  # first QR label made
    # Officer review: draft → pending → approved | changes_requested (→ pending …)
    review_status: Mapped[ReviewStatus] = mapped_column(
        String(20), default=ReviewStatus.PENDING, index=True
    )
    review_reason: Mapped[str | None] = mapped_column(String(500))
    review_field: Mapped[str | None] = mapped_column(String(32))  # the step to fix
    submitted_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column()
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    producer: Mapped[Producer] = relationship(back_populates="products")
    # Collections are loaded explicitly (selectinload); touching an unloaded
    # one raises instead of attempting I/O the async session cannot do.
    certifications: Mapped[list[Certification]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="Certification.id",
        lazy="raise_on_sql",
    )
    photos: Mapped[list[Photo]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="Photo.position",
        lazy="raise_on_sql",
    )
    listings: Mapped[list[Listing]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="Listing.id",
        lazy="raise_on_sql",
    )


class Certification(Base):
    """A certification other than OCOP: VietGAP, HACCP, organic, food safety…"""

    __tablename__ = "certifications"
    __table_args__ = (UniqueConstraint("product_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    number: Mapped[str] = mapped_column(String(64))
    expiry: Mapped[dt.date | None] = mapped_column(Date)

    product: Mapped[Product] = relationship(back_populates="certifications")


class Photo(Base):
    """A product photo; the bytes live content-addressed under the media folder."""

    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("product_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)  # 0 is the cover
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(back_populates="photos")


class Listing(Base):
    """Where a product stands on one marketplace."""

    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("product_id", "marketplace"),
        Index("ix_listings_marketplace_status", "marketplace", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    marketplace: Mapped[str] = mapped_column(String(32))
    status: Mapped[ListingStatus] = mapped_column(String(16), default=ListingStatus.NOT_STARTED)
    url: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship(back_populates="listings")


class StampBatch(Base):
    """A run of serialized anti-counterfeit stamps for one lot of a product."""

    __tablename__ = "stamp_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    lot: Mapped[str] = mapped_column(String(64))
    production_date: Mapped[dt.date] = mapped_column(Date)
    expiry_date: Mapped[dt.date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Stamp(Base):
    """One serial: unguessable, printed as a QR to /s/{serial}."""

    __tablename__ = "stamps"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("stamp_batches.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    scan_count: Mapped[int] = mapped_column(Integer, default=0)
    first_scanned_at: Mapped[dt.datetime | None] = mapped_column()


class Scan(Base):
    """A check of a stamp: when and through what, never who (no personal data)."""

    __tablename__ = "scans"
    # Only the last minutes' scans carry a visitor key: a small index that
    # finds a re-check, and the keys to erase, without reading every scan of
    # a stamp that has been checked thousands of times.
    __table_args__ = (
        Index(
            "ix_scans_visitor_live",
            "stamp_id",
            "scanned_at",
            sqlite_where=text("visitor IS NOT NULL"),
            postgresql_where=text("visitor IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stamp_id: Mapped[int] = mapped_column(ForeignKey("stamps.id", ondelete="CASCADE"), index=True)
    scanned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    channel: Mapped[str] = mapped_column(String(16))  # web | telegram | console
    client: Mapped[str] = mapped_column(String(32), default="")  # "mobile", "desktop", "bot"
    # A keyed hash that recognises the same person checking again within
    # minutes (bot/core/visitors.py); erased once those minutes are over.
    visitor: Mapped[str | None] = mapped_column(String(32))


class LinkCode(Base):
    """A one-time code that joins a second channel's account to a person (/link)."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256: codes are secrets
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()


class LinkAttempt(Base):
    """A wrong /link code typed by an account: a few in a row and it must wait."""

    __tablename__ = "link_attempts"
    __table_args__ = (Index("ix_link_attempts_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OfficerInvite(Base):
    """A one-time, expiring code an admin gives to make someone an officer of a province."""

    __tablename__ = "officer_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256: codes are secrets
    province_code: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[dt.datetime | None] = mapped_column()


class AuditEntry(Base):
    """Every officer action: who, what, when, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class Broadcast(Base):
    """A notice from an officer to a filtered audience, delivered through the outbox."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    province_code: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    attachment_kind: Mapped[str | None] = mapped_column(String(16))  # photo | document
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the filters chosen
    essential: Mapped[bool] = mapped_column(Boolean, default=False)  # ignores opt-outs
    status: Mapped[BroadcastStatus] = mapped_column(
        String(16), default=BroadcastStatus.DRAFT, index=True
    )
    scheduled_at: Mapped[dt.datetime | None] = mapped_column()
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    progress_chat: Mapped[str | None] = mapped_column(String(64))  # the officer's chat …
    progress_message: Mapped[str | None] = mapped_column(String(64))  # … and message edited
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()


class OutboxMessage(Base):
    """One message waiting to leave: broadcasts, reminders and notifications alike.

    Workers lease due rows (FOR UPDATE SKIP LOCKED on PostgreSQL), send, and
    mark them; `dedupe_key` is unique so the same reminder is never queued twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(String(16))
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # text, buttons, attachment
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(String(12), default=OutboxStatus.PENDING)
    not_before: Mapped[dt.datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    leased_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InboxUpdate(Base):
    """One update a platform pushed by webhook, kept until a worker has handled it and sent
    its replies (storage/inbox.py, docs/operations.md "Webhooks and workers").

    (channel, update_key) is unique, so a redelivery is not stored twice. `replies`
    is written in the same transaction that handles the update (the replies it
    queues); `status` then goes handled → sending → sent, or unknown when a worker
    died mid-send (never sent again).
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_key"),
        Index("ix_inbox_chat", "channel", "chat_key", "id"),
        Index("ix_inbox_open", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_key: Mapped[str] = mapped_column(String(64))
    chat_key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()
    # pending | leased | handled | sending | sent | unknown
    status: Mapped[str] = mapped_column(String(12), default="pending")
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[dt.datetime | None] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column()


# --- trainings and reminders (docs/reminders.md) ------------------------------


class Training(Base):
    """A training course (lớp tập huấn) an officer runs for an audience of producers."""

    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    province_code: Mapped[int | None] = mapped_column(Integer, index=True)  # None: nationwide
    topic: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    place: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(500))  # an online session's link
    capacity: Mapped[int] = mapped_column(Integer)
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)  # broadcast filters
    status: Mapped[TrainingStatus] = mapped_column(String(12), default=TrainingStatus.OPEN)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TrainingInvite(Base):
    """One producer's invitation to a training and their answer.

    invited → going | not_going | waiting (the course is full; `position`
    orders the waiting list) → attended | absent once the officer marks it.
    """

    __tablename__ = "training_invites"
    __table_args__ = (
        UniqueConstraint("training_id", "user_id", name="uq_training_invites_training_user"),
        Index("ix_training_invites_training_status", "training_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[InviteStatus] = mapped_column(String(12), default=InviteStatus.INVITED)
    position: Mapped[int | None] = mapped_column(Integer)  # place in the waiting list
    responded_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ScheduledJob(Base):
    """One reminder due at a time: leased by a scheduler pass, then done or dropped.

    `dedupe_key` is unique, so a planner that runs twice (or on two
    instances) never schedules the same reminder twice. A series (kind,
    subject, series, user) is one schedule, e.g. the 0/1/3/7/14-day nudges
    about one product; ids grow along a series.
    """

    __tablename__ = "scheduled_jobs"
    __table_args__ = (
        Index("ix_scheduled_jobs_due", "status", "due_at"),
        Index("ix_scheduled_jobs_subject", "kind", "subject_id"),
        Index("ix_scheduled_jobs_user_done", "user_id", "done_at"),
        UniqueConstraint("dedupe_key", name="uq_scheduled_jobs_dedupe_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[JobKind] = mapped_column(String(24))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(Integer)  # a training, producer or product
    series: Mapped[str] = mapped_column(String(16), default="")  # e.g. the certificate's expiry
    step: Mapped[str] = mapped_column(String(8))  # "d3", "90d", "1h", …
    due_at: Mapped[dt.datetime] = mapped_column()
    status: Mapped[JobStatus] = mapped_column(String(10), default=JobStatus.PENDING)
    outcome: Mapped[str | None] = mapped_column(String(16))  # why dropped, or "queued"
    dedupe_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column()


class ChannelCredential(Base):
    """A channel's rotating OAuth tokens (Zalo Official Account): one row per channel.

    The refresh token works once; the row is read FOR UPDATE while it is
    spent, so two workers never spend the same one (docs/zalo.md).
    """

    __tablename__ = "channel_credentials"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[dt.datetime | None] = mapped_column()
    refresh_token: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the refresh token the environment gave: a different one there
    # (the operator made a new one) replaces the stored chain.
    bootstrap_sha256: Mapped[str] = mapped_column(String(64), default="")
    revoked_at: Mapped[dt.datetime | None] = mapped_column()  # the refresh token was refused
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReplyWindow(Base):
    """When a user last wrote on a channel with a reply window (Zalo OA), and how many
    messages went to them since: what the window still allows."""

    __tablename__ = "reply_windows"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    inbound_at: Mapped[dt.datetime] = mapped_column()
    replies: Mapped[int] = mapped_column(Integer, default=0)

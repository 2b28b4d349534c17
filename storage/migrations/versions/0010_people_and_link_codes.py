"""one person, several channels: linked accounts, link codes, where notices go

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The two links between accounts are DEFERRABLE INITIALLY DEFERRED: an older account may
# point at a newer one, and copy-data inserts users in id order within one transaction.


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("deliver_to_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("notices_channel", sa.String(16), nullable=True))
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            "fk_users_person_id_users",
            "users",
            ["person_id"],
            ["id"],
            ondelete="SET NULL",
            deferrable=True,
            initially="DEFERRED",
        )
        batch.create_foreign_key(
            "fk_users_deliver_to_id_users",
            "users",
            ["deliver_to_id"],
            ["id"],
            ondelete="SET NULL",
            deferrable=True,
            initially="DEFERRED",
        )
        batch.create_index("ix_users_person_id", ["person_id"])
    op.create_table(
        "link_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_link_codes_user_id", "link_codes", ["user_id"])
    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_link_attempts_user_at", "link_attempts", ["user_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_link_attempts_user_at", table_name="link_attempts")
    op.drop_table("link_attempts")
    op.drop_index("ix_link_codes_user_id", table_name="link_codes")
    op.drop_table("link_codes")
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_person_id")
        batch.drop_constraint("fk_users_deliver_to_id_users", type_="foreignkey")
        batch.drop_constraint("fk_users_person_id_users", type_="foreignkey")
        batch.drop_column("last_seen_at")
        batch.drop_column("notices_channel")
        batch.drop_column("deliver_to_id")
        batch.drop_column("person_id")

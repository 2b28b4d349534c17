"""scans.visitor: a short-lived keyed hash that recognises a repeated stamp check

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visitor", sa.String(length=32), nullable=True))
        batch_op.create_index(
            "ix_scans_visitor_live",
            ["stamp_id", "scanned_at"],
            unique=False,
            sqlite_where=sa.text("visitor IS NOT NULL"),
            postgresql_where=sa.text("visitor IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index("ix_scans_visitor_live")
        batch_op.drop_column("visitor")

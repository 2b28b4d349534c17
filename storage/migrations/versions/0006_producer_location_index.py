"""an index on producers' location, for "OCOP producers near me"

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_producers_location", "producers", ["latitude", "longitude"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_producers_location", table_name="producers")

"""a producer's own story (câu chuyện), shown on its public page

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("producers", sa.Column("story", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("producers") as batch:
        batch.drop_column("story")

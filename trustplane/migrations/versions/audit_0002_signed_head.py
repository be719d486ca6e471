"""audit: the signed tree head every group commit writes (ADR 0107).

Revision ID: audit_0002_signed_head
Revises: audit_0001_log
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "audit_0002_signed_head"
down_revision: str | None = "audit_0001_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("signed_head", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("signed_head")

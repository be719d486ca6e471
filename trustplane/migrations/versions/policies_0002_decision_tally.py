"""policies: decision counts per day, tallied from the audit log's decision events (ADR 0840).

Revision ID: policies_0002
Revises: policies_0001
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "policies_0002"
down_revision: str | None = "policies_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_decision_tally",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "policy_decision_tally_mark",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("upto", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("policy_decision_tally_mark")
    op.drop_table("policy_decision_tally")

"""policies: an index on when a reported decision id was claimed, for pruning old claims.

Revision ID: policies_0004
Revises: policies_0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "policies_0004"
down_revision: str | None = "policies_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_policy_reported_decisions_reported_at",
        "policy_reported_decisions",
        ["reported_at"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_policy_reported_decisions_reported_at", table_name="policy_reported_decisions"
    )

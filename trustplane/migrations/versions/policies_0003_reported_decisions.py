"""policies: decision ids reported by OPA agents, claimed once across workers and replicas.

Revision ID: policies_0003
Revises: policies_0002
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "policies_0003"
down_revision: str | None = "policies_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_reported_decisions",
        sa.Column("decision_id", sa.String(128), primary_key=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("policy_reported_decisions")

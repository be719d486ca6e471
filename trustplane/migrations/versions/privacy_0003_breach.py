"""privacy: the breach register and its timeline.

Revision ID: privacy_0003
Revises: privacy_0002
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "privacy_0003"
down_revision: str | None = "privacy_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "privacy_breach",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("severity", sa.String(2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        _utc("detected_at"),
        _utc("aware_at"),
        sa.Column("affected_count", sa.Integer(), nullable=False),
        sa.Column("affected_ids_json", sa.Text(), nullable=False),
        sa.Column("categories_json", sa.Text(), nullable=False),
        sa.Column("systems_json", sa.Text(), nullable=False),
        sa.Column("regimes_json", sa.Text(), nullable=False),
        _utc("updated_at"),
    )
    op.create_table(
        "privacy_breach_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "breach_id",
            sa.String(36),
            sa.ForeignKey("privacy_breach.id"),
            nullable=False,
            index=True,
        ),
        _utc("at"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.String(4000), nullable=False),
        sa.Column("duty_id", sa.String(64), nullable=True),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("privacy_breach_event")
    op.drop_table("privacy_breach")

"""privacy: grievances (DPDP s.13, rule 14 clock) and nominations (DPDP s.14).

Revision ID: privacy_0004
Revises: privacy_0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "privacy_0004"
down_revision: str | None = "privacy_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "privacy_grievance",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("principal_id", sa.String(128), nullable=False, index=True),
        sa.Column("filed_by", sa.String(128), nullable=False),
        sa.Column("summary", sa.String(2000), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("state", sa.String(24), nullable=False, index=True),
        _utc("received_at"),
        _utc("due_at"),
        _utc("closed_at", nullable=True),
        sa.Column("resolution", sa.String(2000), nullable=False),
        _utc("updated_at"),
    )
    op.create_table(
        "privacy_nomination",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("principal_id", sa.String(128), nullable=False, index=True),
        sa.Column("nominee_id", sa.String(128), nullable=False),
        sa.Column("relationship", sa.String(64), nullable=False),
        _utc("created_at"),
        _utc("revoked_at", nullable=True),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("privacy_nomination")
    op.drop_table("privacy_grievance")

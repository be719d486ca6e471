"""privacy: the consent ledger (append-only grants and withdrawals).

Revision ID: privacy_0002
Revises: privacy_0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "privacy_0002"
down_revision: str | None = "privacy_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_consent_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("principal_id", sa.String(128), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("notice_id", sa.String(64), nullable=False),
        sa.Column("notice_version", sa.Integer(), nullable=False),
        sa.Column("consent_manager_id", sa.String(200), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
    )
    op.create_index("ix_privacy_consent_principal", "privacy_consent_event", ["principal_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_privacy_consent_principal", table_name="privacy_consent_event")
    op.drop_table("privacy_consent_event")

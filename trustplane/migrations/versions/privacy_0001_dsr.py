"""privacy: data map versions, data subject requests, their steps, events and codes.

Revision ID: privacy_0001
Revises: 0001_base
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "privacy_0001"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("privacy",)
depends_on: str | Sequence[str] | None = None


def _utc(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "privacy_datamap",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("loaded_by", sa.String(200), nullable=False),
        _utc("loaded_at"),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
    )
    op.create_table(
        "privacy_dsr",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("regime", sa.String(8), nullable=False),
        sa.Column("identifier_kind", sa.String(40), nullable=False),
        sa.Column("identifier_sealed", sa.Text(), nullable=False),
        sa.Column("identifier_hash", sa.String(64), nullable=False),
        _utc("received_at"),
        _utc("due_at"),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("verified_method", sa.String(32), nullable=True),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("correction_json", sa.Text(), nullable=False),
        sa.Column("subject_ids_json", sa.Text(), nullable=False),
        _utc("closed_at", nullable=True),
        sa.Column("package_sha256", sa.String(64), nullable=True),
        _utc("updated_at"),
    )
    op.create_index("ix_privacy_dsr_state", "privacy_dsr", ["state"])
    op.create_index("ix_privacy_dsr_received_at", "privacy_dsr", ["received_at"])
    op.create_index("ix_privacy_dsr_due_at", "privacy_dsr", ["due_at"])
    op.create_index("ix_privacy_dsr_principal", "privacy_dsr", ["identifier_hash", "type", "state"])
    op.create_table(
        "privacy_dsr_step",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("dsr_id", sa.String(36), sa.ForeignKey("privacy_dsr.id"), nullable=False),
        sa.Column("system", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.Column("error", sa.String(1000), nullable=True),
        sa.Column("audit_seq", sa.Integer(), nullable=True),
        _utc("updated_at"),
    )
    op.create_index("ix_privacy_dsr_step_dsr_id", "privacy_dsr_step", ["dsr_id"])
    op.create_table(
        "privacy_dsr_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dsr_id", sa.String(36), sa.ForeignKey("privacy_dsr.id"), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        _utc("at"),
    )
    op.create_index("ix_privacy_dsr_event_dsr_id", "privacy_dsr_event", ["dsr_id"])
    op.create_table(
        "privacy_verification",
        sa.Column("dsr_id", sa.String(36), sa.ForeignKey("privacy_dsr.id"), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        _utc("expires_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("privacy_verification")
    op.drop_table("privacy_dsr_event")
    op.drop_index("ix_privacy_dsr_step_dsr_id", table_name="privacy_dsr_step")
    op.drop_table("privacy_dsr_step")
    for name in ("principal", "due_at", "received_at", "state"):
        op.drop_index(f"ix_privacy_dsr_{name}", table_name="privacy_dsr")
    op.drop_table("privacy_dsr")
    op.drop_table("privacy_datamap")

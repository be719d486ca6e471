"""reports: report and bundle jobs, auditor engagement scopes.

Revision ID: reports_0001
Revises: 0001_base
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reports_0001"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("reports",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reports_job",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("framework", sa.String(32), nullable=True),
        sa.Column("window_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("artifact", sa.String(200), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("posture_percent", sa.Float(), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
    )
    op.create_index(
        "ix_reports_job_kind_framework_created",
        "reports_job",
        ["kind", "framework", "created_at"],
    )
    op.create_index("ix_reports_job_state", "reports_job", ["state"])
    op.create_table(
        "reports_scope",
        sa.Column("account_id", sa.String(200), primary_key=True),
        sa.Column("frameworks", sa.String(200), nullable=False),
        sa.Column("window_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reports_scope")
    op.drop_index("ix_reports_job_state", "reports_job")
    op.drop_index("ix_reports_job_kind_framework_created", "reports_job")
    op.drop_table("reports_job")

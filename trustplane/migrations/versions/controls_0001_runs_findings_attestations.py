"""controls: runs, collections, findings, attestations, posture history.

Revision ID: controls_0001
Revises: 0001_base
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "controls_0001"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("controls",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "controls_run",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_controls_run_started_at", "controls_run", ["started_at"])
    op.create_table(
        "controls_collection",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("run_id", sa.String(26), sa.ForeignKey("controls_run.id"), nullable=False),
        sa.Column("collector", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(1024), nullable=False),
        sa.Column("evidence_sha256", sa.String(64), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_controls_collection_run_id", "controls_collection", ["run_id"])
    op.create_index(
        "ix_controls_collection_collector_finished",
        "controls_collection",
        ["collector", "finished_at"],
    )
    op.create_table(
        "controls_finding",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "collection_id",
            sa.String(26),
            sa.ForeignKey("controls_collection.id"),
            nullable=False,
        ),
        sa.Column("check_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resource", sa.String(1024), nullable=False),
        sa.Column("reason", sa.String(1024), nullable=False),
    )
    op.create_index("ix_controls_finding_check_id", "controls_finding", ["check_id"])
    op.create_index("ix_controls_finding_collection_id", "controls_finding", ["collection_id"])
    op.create_table(
        "controls_attestation",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("attested_by", sa.String(200), nullable=False),
        sa.Column("evidence_sha256", sa.String(64), nullable=True),
        sa.Column("attested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_controls_attestation_kind", "controls_attestation", ["kind"])
    op.create_table(
        "controls_posture",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(26), sa.ForeignKey("controls_run.id"), nullable=False),
        sa.Column("framework_id", sa.String(32), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("assessed", sa.Integer(), nullable=False),
        sa.Column("failing", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_controls_posture_run_id", "controls_posture", ["run_id"])
    op.create_index("ix_controls_posture_framework_id", "controls_posture", ["framework_id"])


def downgrade() -> None:
    for table in (
        "controls_posture",
        "controls_attestation",
        "controls_finding",
        "controls_collection",
        "controls_run",
    ):
        op.drop_table(table)

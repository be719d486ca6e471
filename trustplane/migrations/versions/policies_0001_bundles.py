"""policies: bundle revisions, active pointer, activation history, agent status.

Revision ID: policies_0001
Revises: 0001_base
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "policies_0001"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("policies",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_revisions",
        sa.Column("revision", sa.String(64), primary_key=True),
        sa.Column("bundle", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.Column("tests_passed", sa.Integer(), nullable=False),
        sa.Column("coverage_permille", sa.Integer(), nullable=False),
    )
    op.create_table(
        "policy_active",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column(
            "revision",
            sa.String(64),
            sa.ForeignKey("policy_revisions.revision"),
            nullable=False,
        ),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_by", sa.String(256), nullable=False),
    )
    op.create_table(
        "policy_activations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "revision",
            sa.String(64),
            sa.ForeignKey("policy_revisions.revision"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_by", sa.String(256), nullable=False),
    )
    op.create_table(
        "policy_agents",
        sa.Column("agent_id", sa.String(256), primary_key=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active_revision", sa.String(128), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("policy_agents")
    op.drop_table("policy_activations")
    op.drop_table("policy_active")
    op.drop_table("policy_revisions")

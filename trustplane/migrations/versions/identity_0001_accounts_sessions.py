"""identity: users, service accounts, sessions.

Revision ID: identity_0001
Revises: 0001_base
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "identity_0001"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("identity",)
depends_on: str | Sequence[str] | None = None


def _utc(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "identity_users",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("roles", sa.String(1000), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("totp_secret_sealed", sa.String(255), nullable=False),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        _utc("locked_until", nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        _utc("created_at", nullable=False),
    )
    op.create_table(
        "identity_service_accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("roles", sa.String(1000), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("previous_secret_hash", sa.String(255), nullable=True),
        _utc("previous_secret_expires_at", nullable=True),
        _utc("secret_rotated_at", nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        _utc("created_at", nullable=False),
    )
    op.create_table(
        "identity_sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id",
            sa.String(36),
            sa.ForeignKey("identity_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _utc("created_at", nullable=False),
        _utc("last_seen_at", nullable=False),
        _utc("absolute_expires_at", nullable=False),
        _utc("revoked_at", nullable=True),
    )
    op.create_index("ix_identity_sessions_user_id", "identity_sessions", ["user_id"])
    op.create_index(
        "ix_identity_sessions_absolute_expires_at", "identity_sessions", ["absolute_expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_identity_sessions_absolute_expires_at", table_name="identity_sessions")
    op.drop_index("ix_identity_sessions_user_id", table_name="identity_sessions")
    op.drop_table("identity_sessions")
    op.drop_table("identity_service_accounts")
    op.drop_table("identity_users")

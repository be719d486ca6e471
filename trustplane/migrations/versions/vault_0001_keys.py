"""vault: wrapped data keys and crypto-shredding tombstones.

Revision ID: vault_0001_keys
Revises: 0001_base
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "vault_0001_keys"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("vault",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vault_data_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant", sa.String(length=128), nullable=False),
        sa.Column("key_name", sa.String(length=64), nullable=False),
        sa.Column("kek_version", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("subject_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rewrapped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_vault_data_keys_rewrap", "vault_data_keys", ["key_name", "kek_version"])
    op.create_index("ix_vault_data_keys_subject", "vault_data_keys", ["tenant", "subject_id"])
    op.create_table(
        "vault_subject_tombstones",
        sa.Column("tenant", sa.String(length=128), nullable=False),
        sa.Column("subject_id", sa.String(length=255), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("keys_destroyed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "subject_id"),
    )


def downgrade() -> None:
    op.drop_table("vault_subject_tombstones")
    op.drop_index("ix_vault_data_keys_subject", table_name="vault_data_keys")
    op.drop_index("ix_vault_data_keys_rewrap", table_name="vault_data_keys")
    op.drop_table("vault_data_keys")

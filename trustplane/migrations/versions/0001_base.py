"""Base revision every room's branch starts from.

Revision ID: 0001_base
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

revision: str = "0001_base"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing: rooms create their tables on their own branches."""


def downgrade() -> None:
    """Nothing to undo."""

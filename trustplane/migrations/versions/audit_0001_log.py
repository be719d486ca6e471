"""audit: append-only event log, Merkle tree nodes, checkpoints, head, archived segments.

Revision ID: audit_0001_log
Revises: 0001_base
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "audit_0001_log"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("audit",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_event' THEN
    IF OLD.seq < (SELECT archived_upto FROM audit_head WHERE id = 1) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit log is append-only: % on % rejected', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

PROTECTED = ("audit_event", "audit_tree", "audit_checkpoint")


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("time", TS, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(255), nullable=False),
        sa.Column("target_type", sa.String(128), nullable=False),
        sa.Column("target_id", sa.String(255), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("canonical", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_audit_event_type_seq", "audit_event", ["type", "seq"])
    op.create_index("ix_audit_event_actor_seq", "audit_event", ["actor_id", "seq"])
    op.create_index("ix_audit_event_target_seq", "audit_event", ["target_type", "target_id", "seq"])
    op.create_index("ix_audit_event_time", "audit_event", ["time"])
    op.create_table(
        "audit_tree",
        sa.Column("leaf_index", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("tree_size", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_at", TS, nullable=True),
        sa.Column("archived_upto", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "audit_segment",
        sa.Column("start", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("last_event_at", TS, nullable=False),
        sa.Column("archived_at", TS, nullable=False),
        sa.Column("purged_at", TS, nullable=True),
        sa.Column("expired_at", TS, nullable=True),
    )
    op.bulk_insert(
        head,
        [
            {
                "id": 1,
                "tree_size": 0,
                "frontier": b"",
                "checkpoint_size": 0,
                "checkpoint_at": None,
                "archived_upto": 0,
            }
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _postgres_triggers() -> None:
    op.execute(PG_FUNCTION)
    for table in PROTECTED:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )


def _sqlite_triggers() -> None:
    for table in PROTECTED:
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
        )
    for table in ("audit_tree", "audit_checkpoint"):
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
        )
    op.execute(
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "WHEN OLD.seq >= (SELECT archived_upto FROM audit_head WHERE id = 1) "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in PROTECTED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    for table in ("audit_segment", "audit_head", "audit_checkpoint", "audit_tree"):
        op.drop_table(table)
    for index in (
        "ix_audit_event_time",
        "ix_audit_event_target_seq",
        "ix_audit_event_actor_seq",
        "ix_audit_event_type_seq",
    ):
        op.drop_index(index, table_name="audit_event")
    op.drop_table("audit_event")

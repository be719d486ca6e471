"""Storage of the audit log (SQLModel tables; migration audit_0001_log creates them).

* ``audit_event``: one row per event, the RFC 8785 bytes plus columns to filter on.
* ``audit_tree``: one row per leaf: the hashes of every perfect subtree ending at that
  leaf (``leaf || level1 || level2 ...``), so any proof needs O(log n) rows.
* ``audit_checkpoint``: every signed checkpoint ever issued.
* ``audit_head``: the single row writers lock to append: size and right-edge hashes.
* ``audit_segment``: archived segments (retention).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, LargeBinary, String, Text
from sqlmodel import Field, SQLModel


class AuditEventRow(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_type_seq", "type", "seq"),
        Index("ix_audit_event_actor_seq", "actor_id", "seq"),
        Index("ix_audit_event_target_seq", "target_type", "target_id", "seq"),
        Index("ix_audit_event_time", "time"),
    )

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    event_id: str = Field(sa_column=Column(String(36), nullable=False, unique=True))
    time: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    type: str = Field(sa_column=Column(String(64), nullable=False))
    outcome: str = Field(sa_column=Column(String(16), nullable=False))
    actor_id: str = Field(sa_column=Column(String(255), nullable=False))
    target_type: str = Field(sa_column=Column(String(128), nullable=False))
    target_id: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    request_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    canonical: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AuditTreeRow(SQLModel, table=True):
    __tablename__ = "audit_tree"

    leaf_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hashes: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AuditCheckpointRow(SQLModel, table=True):
    __tablename__ = "audit_checkpoint"

    tree_size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))


class AuditHeadRow(SQLModel, table=True):
    __tablename__ = "audit_head"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    frontier: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    checkpoint_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    checkpoint_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    archived_upto: int = Field(sa_column=Column(BigInteger, nullable=False))
    # signed note of the current (tree_size, root): every group commit writes it (ADR 0107)
    signed_head: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class AuditSegmentRow(SQLModel, table=True):
    __tablename__ = "audit_segment"

    start: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    end: int = Field(sa_column=Column(BigInteger, nullable=False))
    name: str = Field(sa_column=Column(String(255), nullable=False, unique=True))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    last_event_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    archived_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    purged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    expired_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )

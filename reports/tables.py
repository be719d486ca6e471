"""Tables of the reports room (migration branch ``reports``): jobs and auditor scopes."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Index, Integer, String, Table
from sqlmodel import SQLModel

JOBS = Table(
    "reports_job",
    SQLModel.metadata,
    Column("id", String(26), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("framework", String(32), nullable=True),
    Column("window_from", DateTime(timezone=True), nullable=False),
    Column("window_to", DateTime(timezone=True), nullable=False),
    Column("format", String(8), nullable=False),
    Column("state", String(16), nullable=False),
    Column("percent", Integer, nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("artifact", String(200), nullable=True),
    Column("sha256", String(64), nullable=True),
    Column("size", Integer, nullable=True),
    Column("posture_percent", Float, nullable=True),
    Column("error", String(500), nullable=True),
    Column("lease_owner", String(80), nullable=True),
    Column("lease_expires_at", DateTime(timezone=True), nullable=True),
    Column("pruned_at", DateTime(timezone=True), nullable=True),
    Index("ix_reports_job_kind_framework_created", "kind", "framework", "created_at"),
    Index("ix_reports_job_state", "state"),
)

SCOPES = Table(
    "reports_scope",
    SQLModel.metadata,
    Column("account_id", String(200), primary_key=True),
    Column("frameworks", String(200), nullable=False),
    Column("window_from", DateTime(timezone=True), nullable=False),
    Column("window_to", DateTime(timezone=True), nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

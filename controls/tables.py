"""SQLModel tables of the controls room (migration branch ``controls``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index
from sqlmodel import Field, SQLModel


def _utc(nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class RunRow(SQLModel, table=True):
    __tablename__ = "controls_run"

    id: str = Field(primary_key=True, max_length=26)
    trigger: str = Field(max_length=32)
    actor: str = Field(max_length=200)
    status: str = Field(max_length=16)
    started_at: datetime = Field(sa_column=_utc(index=True))
    finished_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class CollectionRow(SQLModel, table=True):
    __tablename__ = "controls_collection"
    __table_args__ = (
        Index("ix_controls_collection_collector_finished", "collector", "finished_at"),
    )

    id: str = Field(primary_key=True, max_length=26)
    run_id: str = Field(foreign_key="controls_run.id", index=True, max_length=26)
    collector: str = Field(max_length=64)
    status: str = Field(max_length=16)
    scope: str = Field(default="", max_length=1024)
    evidence_sha256: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, max_length=500)
    started_at: datetime = Field(sa_column=_utc())
    finished_at: datetime = Field(sa_column=_utc())


class FindingRow(SQLModel, table=True):
    __tablename__ = "controls_finding"

    id: int | None = Field(default=None, primary_key=True)
    collection_id: str = Field(foreign_key="controls_collection.id", index=True, max_length=26)
    check_id: str = Field(index=True, max_length=128)
    status: str = Field(max_length=16)
    resource: str = Field(max_length=1024)
    reason: str = Field(max_length=1024)


class AttestationRow(SQLModel, table=True):
    __tablename__ = "controls_attestation"

    id: str = Field(primary_key=True, max_length=26)
    kind: str = Field(index=True, max_length=64)
    title: str = Field(max_length=300)
    attested_by: str = Field(max_length=200)
    evidence_sha256: str | None = Field(default=None, max_length=64)
    attested_at: datetime = Field(sa_column=_utc())
    expires_at: datetime = Field(sa_column=_utc())


class PostureRow(SQLModel, table=True):
    __tablename__ = "controls_posture"

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="controls_run.id", index=True, max_length=26)
    framework_id: str = Field(index=True, max_length=32)
    satisfied: int
    assessed: int
    failing: int
    total: int
    taken_at: datetime = Field(sa_column=_utc())

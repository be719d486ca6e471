"""SQLModel tables of the privacy room (migration branch ``privacy``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel


def _utc(nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class DataMapRow(SQLModel, table=True):
    __tablename__ = "privacy_datamap"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64)
    content: str = Field(sa_column=Column(Text, nullable=False))
    loaded_by: str = Field(max_length=200)
    loaded_at: datetime = Field(sa_column=_utc())
    audit_seq: int


class DsrRow(SQLModel, table=True):
    __tablename__ = "privacy_dsr"
    __table_args__ = (Index("ix_privacy_dsr_principal", "identifier_hash", "type", "state"),)

    id: str = Field(primary_key=True, max_length=36)
    type: str = Field(max_length=16)
    state: str = Field(max_length=24, index=True)
    regime: str = Field(max_length=8)
    identifier_kind: str = Field(max_length=40)
    identifier_sealed: str = Field(sa_column=Column(Text, nullable=False))
    identifier_hash: str = Field(max_length=64)
    received_at: datetime = Field(sa_column=_utc(index=True))
    due_at: datetime = Field(sa_column=_utc(index=True))
    extended: bool = False
    verified_method: str | None = Field(default=None, max_length=32)
    approved_by: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)
    note: str = Field(default="", max_length=2000)
    correction_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    subject_ids_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    package_sha256: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(sa_column=_utc())


class DsrStepRow(SQLModel, table=True):
    __tablename__ = "privacy_dsr_step"

    id: str = Field(primary_key=True, max_length=36)
    dsr_id: str = Field(foreign_key="privacy_dsr.id", index=True, max_length=36)
    system: str = Field(max_length=64)
    action: str = Field(max_length=32)
    status: str = Field(max_length=16)
    detail_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    error: str | None = Field(default=None, max_length=1000)
    audit_seq: int | None = None
    updated_at: datetime = Field(sa_column=_utc())


class DsrEventRow(SQLModel, table=True):
    """The audit sequence number of every step of a request (the certificate cites them)."""

    __tablename__ = "privacy_dsr_event"

    id: int | None = Field(default=None, primary_key=True)
    dsr_id: str = Field(foreign_key="privacy_dsr.id", index=True, max_length=36)
    action: str = Field(max_length=40)
    audit_seq: int
    at: datetime = Field(sa_column=_utc())


class VerificationRow(SQLModel, table=True):
    __tablename__ = "privacy_verification"

    dsr_id: str = Field(foreign_key="privacy_dsr.id", primary_key=True, max_length=36)
    code_hash: str = Field(max_length=64)
    expires_at: datetime = Field(sa_column=_utc())
    attempts: int = 0


class ConsentEventRow(SQLModel, table=True):
    """One grant or withdrawal (append-only: rows are inserted, never updated or deleted)."""

    __tablename__ = "privacy_consent_event"
    __table_args__ = (Index("ix_privacy_consent_principal", "principal_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    principal_id: str = Field(max_length=128)
    purpose: str = Field(max_length=64)
    action: str = Field(max_length=8)
    at: datetime = Field(sa_column=_utc())
    channel: str = Field(max_length=32)
    notice_id: str = Field(max_length=64)
    notice_version: int
    consent_manager_id: str | None = Field(default=None, max_length=200)
    actor: str = Field(max_length=200)
    audit_seq: int


class BreachRow(SQLModel, table=True):
    __tablename__ = "privacy_breach"

    id: str = Field(primary_key=True, max_length=36)
    title: str = Field(max_length=300)
    severity: str = Field(max_length=2)
    status: str = Field(max_length=16, index=True)
    detected_at: datetime = Field(sa_column=_utc())
    aware_at: datetime = Field(sa_column=_utc())
    affected_count: int
    affected_ids_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    categories_json: str = Field(sa_column=Column(Text, nullable=False))
    systems_json: str = Field(sa_column=Column(Text, nullable=False))
    regimes_json: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(sa_column=_utc())


class BreachEventRow(SQLModel, table=True):
    """The breach's timeline (append-only), each entry with its audit event."""

    __tablename__ = "privacy_breach_event"

    id: int | None = Field(default=None, primary_key=True)
    breach_id: str = Field(foreign_key="privacy_breach.id", index=True, max_length=36)
    at: datetime = Field(sa_column=_utc())
    kind: str = Field(max_length=16)
    note: str = Field(default="", max_length=4000)
    duty_id: str | None = Field(default=None, max_length=64)
    audit_seq: int


class GrievanceRow(SQLModel, table=True):
    """A grievance (DPDP s.13) with its rule-14 clock; states as a DSR's."""

    __tablename__ = "privacy_grievance"

    id: str = Field(primary_key=True, max_length=36)
    principal_id: str = Field(max_length=128, index=True)
    filed_by: str = Field(max_length=128)  # the principal, or their nominee
    summary: str = Field(max_length=2000)
    channel: str = Field(max_length=32)
    state: str = Field(max_length=24, index=True)
    received_at: datetime = Field(sa_column=_utc())
    due_at: datetime = Field(sa_column=_utc())
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    resolution: str = Field(default="", max_length=2000)
    updated_at: datetime = Field(sa_column=_utc())


class NominationRow(SQLModel, table=True):
    """A nominee (DPDP s.14) who may act for a principal on death or incapacity."""

    __tablename__ = "privacy_nomination"

    id: str = Field(primary_key=True, max_length=36)
    principal_id: str = Field(max_length=128, index=True)
    nominee_id: str = Field(max_length=128)
    relationship: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_utc())
    revoked_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    audit_seq: int

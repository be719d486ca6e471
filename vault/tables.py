"""Storage of the vault room: wrapped data keys and crypto-shredding tombstones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, LargeBinary
from sqlmodel import Field, SQLModel


class VaultDataKey(SQLModel, table=True):
    """One wrapped data key; ciphertexts reference it by id. ``wrapped`` NULL = destroyed."""

    __tablename__ = "vault_data_keys"
    __table_args__ = (
        Index("ix_vault_data_keys_rewrap", "key_name", "kek_version"),
        Index("ix_vault_data_keys_subject", "tenant", "subject_id"),
    )

    id: str = Field(primary_key=True, max_length=36)
    tenant: str = Field(max_length=128)
    key_name: str = Field(max_length=64)
    kek_version: int
    provider: str = Field(max_length=32)
    wrapped: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    subject_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    rewrapped_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    destroyed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class VaultSubjectTombstone(SQLModel, table=True):
    """A shredded data principal: its keys are gone and no new ones are made."""

    __tablename__ = "vault_subject_tombstones"

    tenant: str = Field(primary_key=True, max_length=128)
    subject_id: str = Field(primary_key=True, max_length=255)
    shredded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    keys_destroyed: int = 0

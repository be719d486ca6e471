"""Storage of the identity room (SQLModel; migration branch ``identity``).

Only hashes of credentials are stored: argon2id for passwords and client secrets, SHA-256 for
session tokens (256-bit random, so a fast hash suffices). TOTP seeds are sealed (AES-GCM).
Roles are stored as one space-separated, sorted string. ``engagement_expires_at`` time-boxes
an auditor (ACCESS-MODEL rule 11; migration ``identity_0002``). ``must_change_password``
is set on accounts created with a one-time password until its owner changes it
(migration ``identity_0003``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, false
from sqlmodel import Field, SQLModel


def _utc_column(*, nullable: bool, index: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class IdentityUser(SQLModel, table=True):
    __tablename__ = "identity_users"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    email: str = Field(sa_column=Column(String(320), nullable=False, unique=True))
    roles: str = Field(sa_column=Column(String(1000), nullable=False))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    totp_secret_sealed: str = Field(sa_column=Column(String(255), nullable=False))
    totp_last_step: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    failed_logins: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    locked_until: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    disabled: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    engagement_expires_at: datetime | None = Field(
        default=None, sa_column=_utc_column(nullable=True)
    )
    must_change_password: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )


class IdentityServiceAccount(SQLModel, table=True):
    __tablename__ = "identity_service_accounts"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    client_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    roles: str = Field(sa_column=Column(String(1000), nullable=False))
    secret_hash: str = Field(sa_column=Column(String(255), nullable=False))
    previous_secret_hash: str | None = Field(
        default=None, sa_column=Column(String(255), nullable=True)
    )
    previous_secret_expires_at: datetime | None = Field(
        default=None, sa_column=_utc_column(nullable=True)
    )
    secret_rotated_at: datetime = Field(sa_column=_utc_column(nullable=False))
    disabled: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    engagement_expires_at: datetime | None = Field(
        default=None, sa_column=_utc_column(nullable=True)
    )


class IdentitySession(SQLModel, table=True):
    __tablename__ = "identity_sessions"
    __table_args__ = (Index("ix_identity_sessions_user_id", "user_id"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    user_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("identity_users.id", ondelete="CASCADE"), nullable=False
        )
    )
    csrf_token: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    last_seen_at: datetime = Field(sa_column=_utc_column(nullable=False))
    absolute_expires_at: datetime = Field(sa_column=_utc_column(nullable=False, index=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))

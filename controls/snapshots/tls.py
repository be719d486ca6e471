"""What the tls collector saw at each endpoint."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class TlsEndpoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str  # host:port
    reachable: bool
    error: str | None = None
    negotiated_version: str | None = None
    cipher: str | None = None
    legacy_versions_accepted: tuple[str, ...] = ()
    weak_ciphers_accepted: tuple[str, ...] = ()
    cert_not_before: datetime | None = None
    cert_not_after: datetime | None = None
    cert_verified: bool = False
    verify_error: str | None = None


class TlsSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    observed_at: datetime
    min_days_left: int = 30
    endpoints: tuple[TlsEndpoint, ...]

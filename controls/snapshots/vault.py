"""What the vault collector saw on Vault/OpenBao: audit devices and transit keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class TransitKey(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    latest_version: int
    latest_created_at: datetime
    deletion_allowed: bool
    auto_rotate_period_seconds: int = 0


class VaultSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    mount: str
    observed_at: datetime
    cryptoperiod_days: int
    audit_devices: tuple[str, ...]
    keys: tuple[TransitKey, ...]

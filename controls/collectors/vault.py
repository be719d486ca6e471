"""vault collector: audit devices and transit keys of Vault/OpenBao through hvac."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import hvac

from controls.collectors.base import Clock, Collected, collected_from, utc_now
from controls.snapshots.vault import TransitKey, VaultSnapshot


class VaultCollector:
    """Reads ``sys/audit`` and every key of one transit mount (needs a read-only token)."""

    name = "vault"

    def __init__(
        self,
        client: hvac.Client,
        *,
        transit_mount: str = "transit",
        cryptoperiod_days: int = 365,
        clock: Clock = utc_now,
    ) -> None:
        self._client = client
        self._mount = transit_mount
        self._cryptoperiod_days = cryptoperiod_days
        self._clock = clock

    def collect(self) -> Collected:
        devices = self._client.sys.list_enabled_audit_devices()
        audit = devices.get("data", devices)
        snapshot = VaultSnapshot(
            mount=self._mount,
            observed_at=self._clock(),
            cryptoperiod_days=self._cryptoperiod_days,
            audit_devices=tuple(sorted(str(path) for path in audit)),
            keys=tuple(self._key(name) for name in self._key_names()),
        )
        return collected_from(f"vault:{self._mount}", snapshot)

    def _key_names(self) -> list[str]:
        try:
            listed = self._client.secrets.transit.list_keys(mount_point=self._mount)
        except hvac.exceptions.InvalidPath:
            return []  # an empty mount answers 404
        return sorted(str(name) for name in listed["data"]["keys"])

    def _key(self, name: str) -> TransitKey:
        data = self._client.secrets.transit.read_key(name=name, mount_point=self._mount)["data"]
        latest = int(data["latest_version"])
        return TransitKey(
            name=name,
            latest_version=latest,
            latest_created_at=_created_at(data["keys"][str(latest)]),
            deletion_allowed=bool(data.get("deletion_allowed")),
            auto_rotate_period_seconds=int(data.get("auto_rotate_period") or 0),
        )


def _created_at(value: Any) -> datetime:
    """Symmetric keys report a Unix time; asymmetric ones an object with ``creation_time``."""
    if isinstance(value, dict):
        return datetime.fromisoformat(str(value["creation_time"]).replace("Z", "+00:00"))
    return datetime.fromtimestamp(int(value), tz=UTC)

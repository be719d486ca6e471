"""Checks over the vault snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from controls.checks.registry import REGISTRY
from controls.findings import Result, verdict
from controls.snapshots.vault import VaultSnapshot

check = REGISTRY.register


@check("vault.audit_device", "vault", "An audit device is enabled")
def audit_device(snap: VaultSnapshot) -> Iterator[Result]:
    yield verdict(
        bool(snap.audit_devices),
        "vault:sys/audit",
        "audit devices enabled: " + ", ".join(snap.audit_devices),
        "no audit device enabled",
    )


@check("vault.transit_rotation", "vault", "Transit keys rotated within the cryptoperiod")
def transit_rotation(snap: VaultSnapshot) -> Iterator[Result]:
    limit = timedelta(days=snap.cryptoperiod_days)
    for key in snap.keys:
        age_days = (snap.observed_at - key.latest_created_at).days
        yield verdict(
            snap.observed_at - key.latest_created_at <= limit,
            f"vault:{snap.mount}/keys/{key.name}",
            f"version {key.latest_version} is {age_days} d old",
            f"version {key.latest_version} is {age_days} d old > {snap.cryptoperiod_days} d",
        )


@check("vault.transit_deletion_disallowed", "vault", "Transit keys cannot be deleted")
def transit_deletion_disallowed(snap: VaultSnapshot) -> Iterator[Result]:
    for key in snap.keys:
        yield verdict(
            not key.deletion_allowed,
            f"vault:{snap.mount}/keys/{key.name}",
            "deletion_allowed is false",
            "deletion_allowed is true",
        )

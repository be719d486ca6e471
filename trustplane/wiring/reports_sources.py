"""Adapters the reports room reads through: accounts (identity tables), the authz data's
role permissions (the active policy revision), and the key inventory (vault)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from identity.tables import IdentityServiceAccount, IdentityUser
from policies import BundleService
from reports import AccountRecord, KeyRecord
from vault import KeyManager


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class IdentityDirectory:
    """Users (callers by user id) and service accounts (callers by client id)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def accounts(self) -> Sequence[AccountRecord]:
        users = IdentityUser.__table__  # type: ignore[attr-defined]
        services = IdentityServiceAccount.__table__  # type: ignore[attr-defined]
        found: list[AccountRecord] = []
        with self._engine.connect() as conn:
            for row in conn.execute(select(users)).mappings():
                found.append(
                    AccountRecord(
                        id=row["id"],
                        kind="user",
                        name=row["email"],
                        roles=tuple(sorted(row["roles"].split())),
                        disabled=bool(row["disabled"]),
                        created_at=_utc(row["created_at"]) or datetime.now(UTC),
                        engagement_expires_at=_utc(row["engagement_expires_at"]),
                    )
                )
            for row in conn.execute(select(services)).mappings():
                found.append(
                    AccountRecord(
                        id=row["client_id"],
                        kind="service",
                        name=row["name"],
                        roles=tuple(sorted(row["roles"].split())),
                        disabled=bool(row["disabled"]),
                        created_at=_utc(row["created_at"]) or datetime.now(UTC),
                        engagement_expires_at=_utc(row.get("engagement_expires_at")),
                    )
                )
        return found


def engagement_active(directory: IdentityDirectory, account_id: str) -> bool:
    """The account exists, is enabled, and its engagement (if it has an end) has not ended."""
    now = datetime.now(UTC)
    for account in directory.accounts():
        if account.id == account_id:
            expiry = account.engagement_expires_at
            return not account.disabled and (expiry is None or expiry > now)
    return False


def role_permissions(data: Mapping[str, Any]) -> Mapping[str, Sequence[str]]:
    """``trustplane.config.permissions`` of a bundle's data: role -> permission patterns."""
    permissions = data["trustplane"]["config"]["permissions"]
    return {str(role): tuple(str(p) for p in patterns) for role, patterns in permissions.items()}


class ActiveRolePermissions:
    """The role permissions of the *active* policy revision, read when a review is built: a
    pushed or rolled-back revision is what the review judges. Never a silent fallback to
    the shipped bundle: if the active revision cannot be read, the review fails."""

    def __init__(self, bundles: BundleService) -> None:
        self._bundles = bundles

    def __call__(self) -> tuple[str, Mapping[str, Sequence[str]]]:
        files = self._bundles.active_files
        return files.revision, role_permissions(files.data)


class VaultKeySource:
    def __init__(self, keys: KeyManager, cryptoperiod_days: int) -> None:
        self._keys = keys
        self._cryptoperiod_days = cryptoperiod_days

    def keys(self) -> Sequence[KeyRecord]:
        return [
            KeyRecord(
                name=entry.info.name,
                provider=entry.info.provider,
                version=entry.info.version,
                min_decryption_version=entry.info.min_decryption_version,
                created_at=entry.info.created_at,
                last_rotated_at=entry.info.last_rotated_at,
                cryptoperiod_days=self._cryptoperiod_days,
                data_keys_by_version=dict(entry.data_keys_by_version),
            )
            for entry in self._keys.inventory()
        ]

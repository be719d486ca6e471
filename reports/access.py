"""Access review (PCI DSS v4.0.1 7.2.4) and key inventory (3.6/3.7) reports (pure assembly).

The access review lists every account and service account with its roles, its last use in
the period (its newest audit event), the permissions its roles grant that no allowed
decision of the period used, and engagements that have expired. The key inventory lists
every key with its versions, rotation age against the cryptoperiod, and the period's
shredding and key operations from the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from audit import EventFilter, EventPage, EventType, LoggedEvent
from reports.bundle import Window

PAGE = 1000


class EventReader(Protocol):
    def events(
        self, where: EventFilter | None = None, *, after: int = -1, limit: int = 100
    ) -> EventPage: ...


@dataclass(frozen=True)
class AccountRecord:
    """One account as callers appear in the log (users by id, services by client id)."""

    id: str
    kind: str  # user | service
    name: str
    roles: tuple[str, ...]
    disabled: bool
    created_at: datetime
    engagement_expires_at: datetime | None = None


class AccountDirectory(Protocol):
    def accounts(self) -> Sequence[AccountRecord]: ...


@dataclass(frozen=True)
class KeyRecord:
    name: str
    provider: str
    version: int
    min_decryption_version: int
    created_at: datetime | None
    last_rotated_at: datetime | None
    cryptoperiod_days: int
    data_keys_by_version: Mapping[int, int]


class KeySource(Protocol):
    def keys(self) -> Sequence[KeyRecord]: ...


@dataclass(frozen=True)
class AccountReview:
    account: AccountRecord
    last_use: datetime | None
    used: tuple[str, ...]
    granted: tuple[str, ...]
    unused: tuple[str, ...]
    engagement_expired: bool


@dataclass(frozen=True)
class AccessReview:
    window: Window
    generated_at: datetime
    accounts: tuple[AccountReview, ...]
    policy_revision: str | None = None  # the policy revision whose role permissions apply

    @property
    def expired_engagements(self) -> tuple[AccountReview, ...]:
        return tuple(a for a in self.accounts if a.engagement_expired)

    @property
    def with_unused(self) -> tuple[AccountReview, ...]:
        return tuple(a for a in self.accounts if a.unused)


@dataclass(frozen=True)
class KeyReview:
    key: KeyRecord
    rotation_age_days: float | None
    overdue: bool


@dataclass(frozen=True)
class KeyOperation:
    time: str
    operation: str
    key: str | None
    actor: str


@dataclass(frozen=True)
class KeyInventoryReport:
    window: Window
    generated_at: datetime
    keys: tuple[KeyReview, ...]
    shreds: tuple[KeyOperation, ...]
    operations: tuple[KeyOperation, ...]

    @property
    def overdue(self) -> tuple[KeyReview, ...]:
        return tuple(k for k in self.keys if k.overdue)


def _all(log: EventReader, where: EventFilter) -> Iterator[LoggedEvent]:
    after = -1
    while True:
        page = log.events(where, after=after, limit=PAGE)
        yield from page.events
        if page.next_cursor is None:
            return
        after = page.next_cursor


def grants(pattern: str, permission: str) -> bool:
    """The authz data's patterns: exact, ``*``, ``area:*``, ``*:verb``."""
    if pattern in ("*", permission):
        return True
    area, _, verb = permission.partition(":")
    return pattern in (f"{area}:*", f"*:{verb}")


def review_access(
    directory: AccountDirectory,
    log: EventReader,
    permissions: Mapping[str, Sequence[str]],
    window: Window,
    now: datetime,
    *,
    policy_revision: str | None = None,
) -> AccessReview:
    reviews = []
    for account in sorted(directory.accounts(), key=lambda a: (a.kind, a.name)):
        last_use: datetime | None = None
        used: set[str] = set()
        where = EventFilter(actor_id=account.id, since=window.start, until=window.end)
        for event in _all(log, where):
            document = event.document
            last_use = _time(document.get("time")) or last_use
            details: dict[str, Any] = document.get("details") or {}
            if document.get("type") == EventType.DECISION.value and details.get("allow"):
                action = details.get("action")
                if isinstance(action, str) and action:
                    used.add(action)
        granted = sorted({p for role in account.roles for p in permissions.get(role, ())})
        unused = [p for p in granted if not any(grants(p, action) for action in used)]
        expires = account.engagement_expires_at
        reviews.append(
            AccountReview(
                account=account,
                last_use=last_use,
                used=tuple(sorted(used)),
                granted=tuple(granted),
                unused=tuple(unused),
                engagement_expired=expires is not None and expires <= now,
            )
        )
    return AccessReview(window, now, tuple(reviews), policy_revision)


def review_keys(
    source: KeySource, log: EventReader, window: Window, now: datetime
) -> KeyInventoryReport:
    keys = []
    for key in sorted(source.keys(), key=lambda k: k.name):
        since = key.last_rotated_at or key.created_at
        age = round((now - since).total_seconds() / 86400, 1) if since else None
        keys.append(KeyReview(key, age, overdue=age is None or age > key.cryptoperiod_days))
    operations = []
    where = EventFilter(type=EventType.KEY_OPERATION.value, since=window.start, until=window.end)
    for event in _all(log, where):
        document = event.document
        details: dict[str, Any] = document.get("details") or {}
        operations.append(
            KeyOperation(
                time=str(document.get("time", "")),
                operation=str(details.get("operation", "")),
                key=(document.get("target") or {}).get("id"),
                actor=str((document.get("actor") or {}).get("id", "")),
            )
        )
    shreds = tuple(op for op in operations if op.operation.startswith("shred"))
    return KeyInventoryReport(window, now, tuple(keys), shreds, tuple(operations))


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None

"""Access review (PCI DSS 7.2.4) and key inventory reports over a real audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from audit import Actor, AuditEventIn, AuditLog, EventType, Outcome, Target
from reports import Window
from reports.access import (
    AccountRecord,
    KeyRecord,
    grants,
    review_access,
    review_keys,
)
from reports.framework.render import render_access_review, render_key_inventory
from tests.reports.conftest import LOG_TIME

WINDOW = Window(LOG_TIME - timedelta(days=180), LOG_TIME + timedelta(hours=1))
NOW = LOG_TIME + timedelta(minutes=30)
PERMISSIONS = {
    "auditor": ("evidence:read", "reports:read", "audit:read"),
    "security": ("*:read", "collections:run"),
    "admin": ("*",),
}
ACCOUNTS = [
    AccountRecord("u-sec", "user", "sec@finsolve.example", ("security",), False, NOW),
    AccountRecord(
        "u-aud",
        "user",
        "aud@finsolve.example",
        ("auditor",),
        False,
        NOW,
        engagement_expires_at=NOW - timedelta(days=2),
    ),
    AccountRecord("tpc_idle", "service", "idle-admin", ("admin",), True, NOW),
]


class Directory:
    def accounts(self) -> Sequence[AccountRecord]:
        return ACCOUNTS


class Keys:
    def keys(self) -> Sequence[KeyRecord]:
        return [
            KeyRecord(
                "pii",
                "local",
                3,
                2,
                NOW - timedelta(days=400),
                NOW - timedelta(days=20),
                90,
                {2: 5, 3: 40},
            ),
            KeyRecord("cards", "local", 1, 1, NOW - timedelta(days=200), None, 90, {}),
        ]


def decision(actor: str, action: str, allow: bool = True) -> AuditEventIn:
    return AuditEventIn(
        type=EventType.DECISION,
        outcome=Outcome.SUCCESS if allow else Outcome.FAILURE,
        actor=Actor(id=actor, kind="user"),
        target=Target(type="report"),
        details={"action": action, "allow": allow},
    )


def test_grant_patterns() -> None:
    assert grants("*", "admin:manage")
    assert grants("*:read", "reports:read")
    assert grants("dsr:*", "dsr:manage")
    assert not grants("*:read", "collections:run")
    assert not grants("reports:read", "reports:generate")


def test_access_review_finds_unused_permissions_and_expired_engagements(
    audit_log: AuditLog,
) -> None:
    audit_log.record_many(
        [
            decision("u-sec", "evidence:read"),
            decision("u-sec", "collections:run", allow=False),  # a denial is no use
            decision("u-aud", "evidence:read"),
            decision("u-aud", "reports:read"),
        ]
    )
    review = review_access(Directory(), audit_log, PERMISSIONS, WINDOW, NOW)
    by_id = {a.account.id: a for a in review.accounts}
    assert by_id["u-sec"].used == ("evidence:read",)
    assert by_id["u-sec"].unused == ("collections:run",)
    assert by_id["u-sec"].last_use is not None
    assert by_id["u-aud"].unused == ("audit:read",)
    assert by_id["tpc_idle"].last_use is None
    assert by_id["tpc_idle"].unused == ("*",)
    assert [a.account.id for a in review.expired_engagements] == ["u-aud"]
    html = render_access_review(review)
    for heading in (
        "Accounts and service accounts",
        "Permissions granted but not used in the period",
        "Expired engagements",
    ):
        assert heading in html
    assert "idle-admin" in html
    assert "disabled" in html


def test_key_inventory_flags_overdue_keys_and_lists_shreds(audit_log: AuditLog) -> None:
    audit_log.record_many(
        [
            AuditEventIn(
                type=EventType.KEY_OPERATION,
                target=Target(type="data_subject", id="subject-hmac-1"),
                details={"operation": "shred", "provider": "local"},
            ),
            AuditEventIn(
                type=EventType.KEY_OPERATION,
                target=Target(type="key", id="pii"),
                details={"operation": "rotate", "provider": "local"},
            ),
        ]
    )
    inventory = review_keys(Keys(), audit_log, WINDOW, NOW)
    by_name = {k.key.name: k for k in inventory.keys}
    assert by_name["pii"].overdue is False
    assert by_name["pii"].rotation_age_days == 20.0
    assert by_name["cards"].overdue is True  # never rotated, created 200 days ago
    assert [op.operation for op in inventory.shreds] == ["shred"]
    assert len(inventory.operations) == 2
    html = render_key_inventory(inventory)
    assert "Shred log" in html
    assert "(overdue)" in html
    assert "v2: 5, v3: 40" in html


def test_empty_inventories_render() -> None:
    class Nothing:
        def accounts(self) -> Sequence[AccountRecord]:
            return []

        def keys(self) -> Sequence[KeyRecord]:
            return []

    class NoLog:
        def events(self, where: object = None, *, after: int = -1, limit: int = 100) -> object:
            from audit import EventPage

            return EventPage([], None)

    assert "No account exists." in render_access_review(
        review_access(Nothing(), NoLog(), PERMISSIONS, WINDOW, NOW)  # type: ignore[arg-type]
    )
    assert "No key is configured." in render_key_inventory(
        review_keys(Nothing(), NoLog(), WINDOW, NOW)  # type: ignore[arg-type]
    )

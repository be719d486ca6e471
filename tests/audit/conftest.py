"""Fixtures of the audit tests: a log on each backend with fixed keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.engine import Engine

from audit import AuditEventIn, AuditLog, EventType, Target, build_audit_log

ORIGIN = "example.test/audit"
HMAC_KEY = bytes(range(32))
SIGNING_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def event(i: int, **details: Any) -> AuditEventIn:
    return AuditEventIn(
        type=EventType.DECISION,
        target=Target(type="customer", id=f"c-{i}"),
        details={"i": i, **details},
    )


@pytest.fixture
def make_log(engine: Engine) -> Iterator[Callable[..., AuditLog]]:
    logs: list[AuditLog] = []

    def make(**kwargs: Any) -> AuditLog:
        kwargs.setdefault("checkpoint_every_events", 10)
        log = build_audit_log(
            engine, hmac_key=HMAC_KEY, signing_key=SIGNING_KEY, origin=ORIGIN, **kwargs
        )
        logs.append(log)
        return log

    yield make
    for log in logs:
        log.close()


@pytest.fixture
def audit_log(make_log: Callable[..., AuditLog]) -> AuditLog:
    return make_log()


def tamper(engine: Engine, *statements: str, **params: Any) -> None:
    """Run statements with the append-only triggers out of the way (what an attacker with
    database superuser rights could do)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            names = (
                conn.execute(
                    text(
                        "SELECT name FROM sqlite_master "
                        "WHERE type='trigger' AND name LIKE 'audit_%'"
                    )
                )
                .scalars()
                .all()
            )
            for name in names:
                conn.execute(text(f"DROP TRIGGER {name}"))
        for statement in statements:
            conn.execute(text(statement), params)

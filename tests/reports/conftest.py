"""Fixtures of the reports tests: a real audit log on SQLite and a local evidence store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from audit import AuditEventIn, AuditLog, EventType, Target, build_audit_log
from controls import LocalEvidenceStore, store_and_record
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade

ORIGIN = "reports.example.test/audit"
SIGNING_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(7, 39)))
WINDOW_START = datetime(2026, 11, 23, tzinfo=UTC)
WINDOW_END = datetime(2026, 11, 30, tzinfo=UTC)
LOG_TIME = datetime(2026, 11, 29, 12, tzinfo=UTC)  # the log's clock: inside the window


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'trustplane.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def audit_log(engine: Engine) -> Iterator[AuditLog]:
    log = build_audit_log(
        engine,
        hmac_key=bytes(32),
        signing_key=SIGNING_KEY,
        origin=ORIGIN,
        checkpoint_every_events=7,
        clock=lambda: LOG_TIME,
    )
    yield log
    log.close()


@pytest.fixture
def evidence_store(tmp_path: Path) -> LocalEvidenceStore:
    return LocalEvidenceStore(tmp_path / "evidence")


def seed_week(store: LocalEvidenceStore, log: AuditLog, items: int = 5) -> list[str]:
    """``items`` evidence items inside the window, one before it, one control result."""
    hashes = []
    for day in range(items):
        content = json.dumps({"check": "tls", "day": day, "ok": day % 2 == 0}).encode()
        meta = store_and_record(
            store,
            log,
            content,
            collector="tls",
            scope="api.finsolve.example",
            collected_at=WINDOW_START + timedelta(days=day, hours=3),
        )
        hashes.append(meta.sha256)
    store_and_record(
        store,
        log,
        b'{"before": "the window"}',
        collector="iac",
        scope="terraform",
        collected_at=WINDOW_START - timedelta(days=2),
    )
    log.record(
        AuditEventIn(
            type=EventType.CONTROL_RESULT,
            target=Target(type="collection_run", id="run-1"),
            details={"controls": {"pass": 3}},
        )
    )
    return hashes

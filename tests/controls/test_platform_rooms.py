"""Platform self-checks against the real rooms (audit log, vault keys, policy room), both DBs.

The adapters live in the composition root (``trustplane.wiring.controls_platform``); controls only
sees its ports. No fakes here: each room is built through its public API on a migrated engine.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.engine import Engine

from audit import (
    AuditEventIn,
    AuditLog,
    EventType,
    InMemoryAuditLog,
    RecordedEvent,
    Target,
    build_audit_log,
)
from controls.checks import REGISTRY
from controls.collectors.platform import PlatformCollector
from policies import CountingMetrics, NullMetrics, PolicyRoom, build_policy_room, load_bundle_dir
from policies.source import DEFAULT_BUNDLE_DIR
from trustplane.container import Container, build_container
from trustplane.settings import Settings
from trustplane.wiring.controls import build_platform
from trustplane.wiring.controls_platform import (
    AuditChainAdapter,
    CountingDecisionMetrics,
    KeyInventoryAdapter,
    PolicyRoomAdapter,
)
from trustplane.wiring.privacy import BreachClockAdapter, DsrSlaAdapter
from trustplane.wiring.vault import build_vault
from vault import AllowAllAuthorizer


def findings(collector: PlatformCollector) -> dict[str, list[tuple[str, str, str]]]:
    table: dict[str, list[tuple[str, str, str]]] = {}
    for f in REGISTRY.run("platform", collector.collect().snapshot):
        table.setdefault(f.check_id, []).append((f.resource, f.status.value, f.reason))
    return table


def statuses(collector: PlatformCollector, check_id: str) -> list[tuple[str, str]]:
    return [(r, s) for r, s, _ in findings(collector)[check_id]]


def later(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


def tamper(engine: Engine, statement: str, **params: object) -> None:
    """Edit the log behind the append-only triggers (what a database superuser could do)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            names = conn.execute(
                text("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'audit_%'")
            ).scalars()
            for name in list(names):
                conn.execute(text(f"DROP TRIGGER {name}"))
        conn.execute(text(statement), params)


@pytest.fixture
def audit_log(engine: Engine) -> Iterator[AuditLog]:
    log = build_audit_log(
        engine,
        hmac_key=bytes(range(32)),
        signing_key=Ed25519PrivateKey.generate(),
        origin="controls.test/audit",
        checkpoint_every_events=1000,
        checkpoint_every_seconds=3600,
    )
    yield log
    log.close()


def _event(i: int) -> AuditEventIn:
    return AuditEventIn(type=EventType.DECISION, target=Target(type="customer", id=f"c-{i}"))


def test_audit_chain_and_checkpoint_against_real_log(audit_log: AuditLog, engine: Engine) -> None:
    audit_log.record_many([_event(i) for i in range(5)])
    adapter = AuditChainAdapter(audit_log)
    fresh = PlatformCollector(audit=adapter, checkpoint_max_age_seconds=3600)
    assert statuses(fresh, "platform.audit_chain") == [("platform:audit", "pass")]
    audit_log.checkpoint()
    assert statuses(fresh, "platform.audit_checkpoint_fresh") == [
        ("platform:audit/checkpoint", "pass")
    ]
    two_hours_on = PlatformCollector(
        audit=adapter, checkpoint_max_age_seconds=3600, clock=lambda: later(hours=2)
    )
    assert statuses(two_hours_on, "platform.audit_checkpoint_fresh") == [
        ("platform:audit/checkpoint", "fail")
    ]

    with engine.connect() as conn:
        canonical = bytes(
            conn.execute(text("SELECT canonical FROM audit_event WHERE seq = 3")).scalar_one()
        )
    assert b'"c-3"' in canonical
    tamper(
        engine,
        "UPDATE audit_event SET canonical = :c WHERE seq = 3",
        c=canonical.replace(b'"c-3"', b'"c-9"'),
    )
    [(resource, status, reason)] = findings(fresh)["platform.audit_chain"]
    assert (resource, status) == ("platform:audit", "fail")
    assert reason.startswith("audit log does not verify: ")


def test_key_rotation_against_real_vault_room(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    vault = build_vault(settings, engine, InMemoryAuditLog(), AllowAllAuthorizer())
    adapter = KeyInventoryAdapter(vault.keys, cryptoperiod_days=365)
    [key] = adapter.keys()
    assert (key.name, key.provider, key.cryptoperiod_days) == ("fields", "local", 365)
    resource = "platform:keys/local/fields"
    now = PlatformCollector(keys=adapter)
    assert statuses(now, "platform.key_rotation") == [(resource, "pass")]
    overdue = PlatformCollector(keys=adapter, clock=lambda: later(days=400))
    [(_, status, reason)] = findings(overdue)["platform.key_rotation"]
    assert status == "fail"
    assert reason.endswith("> 365 d")

    vault.keys.rotate("fields")
    [rotated] = adapter.keys()
    assert rotated.last_rotated_at is not None
    assert key.last_rotated_at is not None
    assert rotated.last_rotated_at >= key.last_rotated_at
    within = PlatformCollector(keys=adapter, clock=lambda: later(days=300))
    assert statuses(within, "platform.key_rotation") == [(resource, "pass")]


@pytest.fixture
def counts() -> CountingDecisionMetrics:
    return CountingDecisionMetrics(CountingMetrics())


@pytest.fixture
def room(engine: Engine, counts: CountingDecisionMetrics) -> Iterator[PolicyRoom]:
    policy_room = build_policy_room(engine, InMemoryAuditLog(), watch=False, metrics=counts)
    yield policy_room
    policy_room.close()


def _request(i: int) -> dict[str, object]:
    return {
        "subject": {"id": f"u-{i}", "type": "user", "roles": ["customer"], "attributes": {}},
        "action": {"name": "read"},
        "resource": {"type": "customer_profile", "id": f"u-{i}", "owner_id": f"u-{i}"},
        "context": {},
    }


def test_bundle_tests_and_decision_log_against_real_policy_room(
    room: PolicyRoom, counts: CountingDecisionMetrics
) -> None:
    adapter = PolicyRoomAdapter(room, counts)
    collector = PlatformCollector(decision_log=adapter, bundle=adapter)
    for i in range(4):
        room.decisions.decide(_request(i))
    table = findings(collector)
    revision = room.bundles.active_revision
    [(resource, status, reason)] = table["platform.bundle_tests"]
    assert (resource, status) == (f"platform:bundle/{revision}", "pass")
    assert reason.endswith(" tests pass")
    assert int(reason.split()[0]) > 10
    assert table["platform.decision_log_drops"] == [
        ("platform:decision-log", "pass", "4 shipped, none dropped")
    ]
    room.decisions.decide(_request(4))
    assert findings(collector)["platform.decision_log_drops"][0][2] == "5 shipped, none dropped"
    assert room.decisions.metrics is counts


def test_active_bundle_with_failing_test_fails(
    room: PolicyRoom, counts: CountingDecisionMetrics, tmp_path: Path
) -> None:
    """A revision activated behind the push check (e.g. by another replica) is caught."""
    bundle_dir = tmp_path / "bundle"
    shutil.copytree(DEFAULT_BUNDLE_DIR, bundle_dir)
    (bundle_dir / "finsolve" / "zz_broken_test.rego").write_text(
        "package finsolve.zz_broken_test\n\nimport rego.v1\n\ntest_always_fails if {\n\tfalse\n}\n"
    )
    files = load_bundle_dir(bundle_dir)
    room.bundles.current()
    revision = room.store.save_revision(files, actor="test", tests_passed=0, coverage_percent=0)
    room.store.activate(revision, actor="test", kind="push")
    room.bundles.sync()
    assert room.bundles.active_revision == revision
    collector = PlatformCollector(bundle=PolicyRoomAdapter(room, counts))
    [(resource, status, reason)] = findings(collector)["platform.bundle_tests"]
    assert (resource, status) == (f"platform:bundle/{revision}", "fail")
    assert reason.startswith("1 of ")


class _BlockingRecorder:
    """Holds the decision logger's first batch so its bounded queue fills up."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.inner = InMemoryAuditLog()

    def record(self, event: AuditEventIn) -> RecordedEvent:
        self.release.wait(10)
        return self.inner.record(event)

    def record_many(self, events: Sequence[AuditEventIn]) -> list[RecordedEvent]:
        self.release.wait(10)
        return self.inner.record_many(events)


def test_decision_log_overflow_is_a_drop(engine: Engine) -> None:
    recorder = _BlockingRecorder()
    counts = CountingDecisionMetrics(NullMetrics())
    # the async decision log (an explicit setting, ADR 0208): its bounded queue can overflow
    room = build_policy_room(
        engine, recorder, watch=False, log_queue_size=1, metrics=counts, durable_log=False
    )
    try:
        adapter = PolicyRoomAdapter(room, counts)
        answers = [room.decisions.decide(_request(i)) for i in range(6)]
        failed_closed = sum(1 for d in answers if d.failed)
        assert failed_closed >= 1
        [(resource, status, reason)] = findings(PlatformCollector(decision_log=adapter))[
            "platform.decision_log_drops"
        ]
        assert (resource, status) == ("platform:decision-log", "fail")
        assert reason == f"{failed_closed} dropped of 6"
    finally:
        recorder.release.set()
        room.close()


def _platform_of(container: Container) -> PlatformCollector:
    counts = CountingDecisionMetrics(NullMetrics())
    return build_platform(
        container.settings,
        container.audit,
        container.vault,
        container.policies,
        counts,
        dsr=DsrSlaAdapter(container.privacy),
        breaches=BreachClockAdapter(container.breaches),
    )


def test_composition_root_wires_the_landed_rooms(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    container = build_container(settings)
    try:
        from trustplane.migrations.runner import upgrade

        upgrade(container.engine)
        table = findings(_platform_of(container))
        wired = {
            check: [s for _, s, _ in rows]
            for check, rows in table.items()
            if check != "platform.audit_chain" and check != "platform.audit_checkpoint_fresh"
        }
        assert wired["platform.key_rotation"] == ["pass"]
        assert wired["platform.decision_log_drops"] == ["pass"]
        assert wired["platform.bundle_tests"] == ["pass"]
        assert wired["platform.dsr_sla"] == ["not_applicable"]  # no privacy room yet
        audit_wired = isinstance(container.audit, AuditLog)
        expected = "pass" if audit_wired else "not_applicable"
        assert [s for _, s, _ in table["platform.audit_chain"]] == [expected]
    finally:
        container.close()


def test_composition_root_picks_up_a_durable_audit_log(tmp_path: Path) -> None:
    """What the audit room's wiring does: a durable ``AuditLog`` in the container is checked."""
    from trustplane.migrations.runner import upgrade

    container = build_container(Settings(data_dir=tmp_path))
    upgrade(container.engine)
    log = build_audit_log(
        container.engine,
        hmac_key=bytes(range(32)),
        signing_key=Ed25519PrivateKey.generate(),
        origin="controls.test/wired",
    )
    try:
        platform = _platform_of(replace(container, audit=log))
        table = findings(platform)
        assert [s for _, s, _ in table["platform.audit_chain"]] == ["pass"]
        assert [s for _, s, _ in table["platform.audit_checkpoint_fresh"]] == ["not_applicable"]
        log.record(_event(1))
        assert statuses(platform, "platform.audit_checkpoint_fresh") == [
            ("platform:audit/checkpoint", "pass")
        ]
    finally:
        log.close()
        container.close()

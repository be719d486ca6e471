"""Platform self-checks through in-memory ports, and manual attestations with expiry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from controls.checks import REGISTRY
from controls.collectors.manual import ManualCollector
from controls.collectors.platform import PlatformCollector
from controls.platform_ports import (
    AuditChainStatus,
    BundleTestStatus,
    DecisionLogStats,
    DsrSlaStatus,
    KeyInventory,
)
from controls.snapshots.manual import AttestationInfo
from controls.snapshots.platform import (
    AuditChainReport,
    BreachClockInfo,
    BundleTestReport,
    DecisionLogReport,
    DsrInfo,
    KeyInfo,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass
class MemoryPlatform:
    """One in-memory implementation of every platform port."""

    audit: AuditChainReport
    key_list: list[KeyInfo] = field(default_factory=list)
    log: DecisionLogReport = field(default_factory=lambda: DecisionLogReport(shipped=5, dropped=0))
    dsrs: list[DsrInfo] = field(default_factory=list)
    bundle: BundleTestReport = field(
        default_factory=lambda: BundleTestReport(revision="r1", passed=10, failed=0)
    )
    clocks: list[BreachClockInfo] = field(default_factory=list)

    def chain_status(self) -> AuditChainReport:
        return self.audit

    def keys(self) -> Sequence[KeyInfo]:
        return self.key_list

    def decision_log_stats(self) -> DecisionLogReport:
        return self.log

    def requests(self) -> Sequence[DsrInfo]:
        return self.dsrs

    def bundle_tests(self) -> BundleTestReport:
        return self.bundle

    def breach_clocks(self) -> Sequence[BreachClockInfo]:
        return self.clocks


def _table(
    collector: PlatformCollector | ManualCollector, name: str
) -> dict[str, list[tuple[str, str]]]:
    table: dict[str, list[tuple[str, str]]] = {}
    for f in REGISTRY.run(name, collector.collect().snapshot):
        table.setdefault(f.check_id, []).append((f.resource, f.status.value))
    return {k: sorted(v) for k, v in table.items()}


def test_memory_platform_satisfies_every_port() -> None:
    platform = MemoryPlatform(
        audit=AuditChainReport(verified=True, tree_size=1, last_checkpoint_at=NOW)
    )
    for port in (AuditChainStatus, KeyInventory, DecisionLogStats, DsrSlaStatus, BundleTestStatus):
        assert isinstance(platform, port)


def test_healthy_platform_passes() -> None:
    platform = MemoryPlatform(
        audit=AuditChainReport(
            verified=True, tree_size=42, last_checkpoint_at=NOW - timedelta(minutes=5)
        ),
        key_list=[
            KeyInfo(
                name="pii",
                provider="local",
                last_rotated_at=NOW - timedelta(days=10),
                cryptoperiod_days=365,
            )
        ],
        dsrs=[
            DsrInfo(id="d1", due_at=NOW + timedelta(days=3)),
            DsrInfo(id="d2", due_at=NOW - timedelta(days=1), closed_at=NOW - timedelta(days=2)),
        ],
        clocks=[
            BreachClockInfo(breach_id="b1", duty="cert-in", due_at=NOW + timedelta(hours=2)),
            BreachClockInfo(
                breach_id="b1",
                duty="gdpr-33",
                due_at=NOW - timedelta(hours=1),
                done_at=NOW - timedelta(hours=5),
            ),
        ],
    )
    collector = PlatformCollector(
        audit=platform,
        keys=platform,
        decision_log=platform,
        dsr=platform,
        bundle=platform,
        breaches=platform,
        clock=lambda: NOW,
    )
    table = _table(collector, "platform")
    assert all(status == "pass" for rows in table.values() for _, status in rows), table
    assert table["platform.dsr_sla"] == [("platform:dsr/d1", "pass"), ("platform:dsr/d2", "pass")]


def test_unhealthy_platform_fails_each_check() -> None:
    platform = MemoryPlatform(
        audit=AuditChainReport(
            verified=False,
            tree_size=42,
            last_checkpoint_at=NOW - timedelta(hours=3),
            detail="root mismatch",
        ),
        key_list=[
            KeyInfo(
                name="pii",
                provider="vault",
                last_rotated_at=NOW - timedelta(days=400),
                cryptoperiod_days=365,
            )
        ],
        log=DecisionLogReport(shipped=90, dropped=10),
        dsrs=[
            DsrInfo(id="late-open", due_at=NOW - timedelta(days=1)),
            DsrInfo(
                id="late-closed", due_at=NOW - timedelta(days=5), closed_at=NOW - timedelta(days=2)
            ),
        ],
        bundle=BundleTestReport(revision="r2", passed=8, failed=2),
        clocks=[
            BreachClockInfo(breach_id="b2", duty="cert-in", due_at=NOW - timedelta(hours=1)),
            BreachClockInfo(
                breach_id="b2",
                duty="gdpr-33",
                due_at=NOW - timedelta(hours=9),
                done_at=NOW - timedelta(hours=2),
            ),
        ],
    )
    collector = PlatformCollector(
        audit=platform,
        keys=platform,
        decision_log=platform,
        dsr=platform,
        bundle=platform,
        breaches=platform,
        clock=lambda: NOW,
    )
    table = _table(collector, "platform")
    assert table == {
        "platform.audit_chain": [("platform:audit", "fail")],
        "platform.audit_checkpoint_fresh": [("platform:audit/checkpoint", "fail")],
        "platform.key_rotation": [("platform:keys/vault/pii", "fail")],
        "platform.decision_log_drops": [("platform:decision-log", "fail")],
        "platform.dsr_sla": [
            ("platform:dsr/late-closed", "fail"),
            ("platform:dsr/late-open", "fail"),
        ],
        "platform.bundle_tests": [("platform:bundle/r2", "fail")],
        "platform.breach_clocks": [
            ("platform:breach/b2/cert-in", "fail"),
            ("platform:breach/b2/gdpr-33", "fail"),
        ],
    }


def test_no_checkpoint_and_no_tests_fail() -> None:
    platform = MemoryPlatform(
        audit=AuditChainReport(verified=True, tree_size=7, last_checkpoint_at=None),
        bundle=BundleTestReport(revision="r3", passed=0, failed=0),
    )
    table = _table(
        PlatformCollector(audit=platform, bundle=platform, clock=lambda: NOW), "platform"
    )
    assert table["platform.audit_checkpoint_fresh"] == [("platform:audit/checkpoint", "fail")]
    assert table["platform.bundle_tests"] == [("platform:bundle/r3", "fail")]
    platform.audit = AuditChainReport(verified=True, tree_size=0, last_checkpoint_at=None)
    table = _table(PlatformCollector(audit=platform, clock=lambda: NOW), "platform")
    assert table["platform.audit_checkpoint_fresh"] == [
        ("platform:audit/checkpoint", "not_applicable")
    ]


def test_unwired_ports_are_not_applicable() -> None:
    table = _table(PlatformCollector(clock=lambda: NOW), "platform")
    assert {status for rows in table.values() for _, status in rows} == {"not_applicable"}
    assert len(table) == 7


@dataclass
class MemoryAttestations:
    items: list[AttestationInfo]

    def attestations(self) -> Sequence[AttestationInfo]:
        return self.items


def _attestation(kind: str, days_left: int, attested_days_ago: int = 30) -> AttestationInfo:
    return AttestationInfo(
        id=f"{kind}-{days_left}",
        kind=kind,
        title=kind,
        attested_by="ciso",
        attested_at=NOW - timedelta(days=attested_days_ago),
        expires_at=NOW + timedelta(days=days_left),
    )


def test_attestations_pass_until_they_expire() -> None:
    source = MemoryAttestations(
        [
            _attestation("security_training", 60),
            _attestation("dr_drill", -1),
            _attestation("penetration_test", -30, attested_days_ago=400),
            _attestation("penetration_test", 300, attested_days_ago=10),
        ]
    )
    table = _table(ManualCollector(source, clock=lambda: NOW), "manual")
    assert table["manual.security_training"] == [
        ("attestation:security_training/security_training-60", "pass")
    ]
    assert table["manual.dr_drill"] == [("attestation:dr_drill/dr_drill--1", "fail")]
    assert table["manual.penetration_test"] == [
        ("attestation:penetration_test/penetration_test-300", "pass")
    ]
    assert table["manual.access_review"] == [("attestation:access_review", "fail")]

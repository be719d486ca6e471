"""Demo seed for reports: a week of daily collections, so a report and a bundle for the last
week have content at once (evidence items, findings, a posture trend, a few failures).

The evidence is stored and recorded in the audit log exactly as a run stores it; only the
collection times are set in the past (the audit events carry the real time they were stored).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ulid import ULID

from audit import Actor, AuditEventIn, AuditRecorder, EventType, Target
from controls import (
    CollectionRecord,
    ControlsService,
    Finding,
    FindingStatus,
    PostureSnapshot,
    store_and_record,
)

DEMO_ACTOR = Actor(id="trustplane-demo", kind="system")
DAYS = 7
ALWAYS_FAILING = {"aws.iam.console_mfa": "IAM user ops-legacy has console access without MFA"}
FIXED_ON_DAY = {"tls.weak_ciphers": 3}  # failing until 3 days ago, then fixed
REGRESSED_ON_DAY = {"postgres.log_connections": 1}  # passing until yesterday
NOT_APPLICABLE = {"manual.children_data": "FinSolve offers no service to children (DPDP s.9)"}


def _status(check: str, days_ago: int) -> tuple[FindingStatus, str]:
    if check in NOT_APPLICABLE:
        return FindingStatus.NOT_APPLICABLE, NOT_APPLICABLE[check]
    if check in ALWAYS_FAILING:
        return FindingStatus.FAIL, ALWAYS_FAILING[check]
    if check in FIXED_ON_DAY and days_ago > FIXED_ON_DAY[check]:
        return FindingStatus.FAIL, "TLS endpoint api.finsolve.example accepts CBC cipher suites"
    if check in REGRESSED_ON_DAY and days_ago <= REGRESSED_ON_DAY[check]:
        return FindingStatus.FAIL, "log_connections is off on finsolve-core-db"
    return FindingStatus.PASS, "configured as required"


def seed_reports_demo(
    controls: ControlsService, recorder: AuditRecorder, clock: Callable[[], datetime]
) -> list[str]:
    """Seven daily runs ending ten minutes ago; skipped when posture history exists."""
    if any(controls.posture_history(f.id, 1) for f in controls.frameworks()):
        return ["demo evidence exists (a week of collections was seeded at first run)"]
    now = clock().astimezone(UTC)
    by_collector: dict[str, list[str]] = {}
    for control in controls.catalog.controls.values():
        for check in control.checks:
            by_collector.setdefault(check.split(".")[0], []).append(check)
    items = 0
    for days_ago in range(DAYS - 1, -1, -1):
        moment = now - timedelta(days=days_ago, minutes=10)
        items += _one_run(controls, recorder, by_collector, moment, days_ago)
    return [
        f"demo evidence: {DAYS} daily collections ({items} evidence items) for reports and "
        "bundles of the last week"
    ]


def _one_run(
    controls: ControlsService,
    recorder: AuditRecorder,
    by_collector: dict[str, list[str]],
    moment: datetime,
    days_ago: int,
) -> int:
    repository = controls.repository
    run_id = repository.start_run("demo", DEMO_ACTOR.id, moment)
    for collector, checks in sorted(by_collector.items()):
        findings = []
        for check in sorted(set(checks)):
            status, reason = _status(check, days_ago)
            resource = f"{collector}:finsolve-{check.split('.')[-1]}"
            findings.append(
                Finding(
                    check_id=check,
                    collector=collector,
                    status=status,
                    resource=resource,
                    reason=reason,
                )
            )
        snapshot = {
            "collector": collector,
            "observed_at": moment.isoformat(),
            "results": [f.model_dump(mode="json") for f in findings],
        }
        meta = store_and_record(
            controls.store,
            recorder,
            json.dumps(snapshot, sort_keys=True).encode(),
            collector=collector,
            scope=f"finsolve-prod/{collector}",
            collected_at=moment,
            actor=DEMO_ACTOR,
        )
        repository.record_collection(
            CollectionRecord(
                id=str(ULID()),
                run_id=run_id,
                collector=collector,
                status="ok",
                scope=f"finsolve-prod/{collector}",
                evidence_sha256=meta.sha256,
                error=None,
                started_at=moment,
                finished_at=moment + timedelta(seconds=2),
                findings=tuple(findings),
            )
        )
    repository.finish_run(run_id, moment + timedelta(seconds=5))
    _snapshot(controls, recorder, run_id, moment)
    return len(by_collector)


def _snapshot(
    controls: ControlsService, recorder: AuditRecorder, run_id: str, moment: datetime
) -> None:
    """Posture as it stood at ``moment`` (the service judged with that clock)."""
    judged_then = ControlsService(
        controls.catalog,
        controls.repository,
        controls.runner,
        controls.store,
        recorder,
        clock=lambda: moment + timedelta(seconds=6),
    )
    snapshots = []
    for framework in controls.frameworks():
        posture = judged_then.framework_posture(framework.id)
        snapshots.append(
            PostureSnapshot(
                run_id=run_id,
                framework_id=framework.id,
                satisfied=posture.satisfied,
                assessed=posture.assessed,
                failing=posture.counts.get("fail", 0),
                total=len(posture.requirements),
                taken_at=moment + timedelta(seconds=6),
            )
        )
    controls.repository.record_posture(snapshots)
    recorder.record(
        AuditEventIn(
            type=EventType.CONTROL_RESULT,
            actor=DEMO_ACTOR,
            target=Target(type="collection_run", id=run_id),
            details={
                "frameworks": {s.framework_id: s.percent for s in snapshots},
                "taken_at": moment.isoformat(),
            },
        )
    )

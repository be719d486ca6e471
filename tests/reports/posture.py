"""An in-memory posture source over the real catalog (unit tests of report assembly)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from controls import (
    Catalog,
    ControlPosture,
    Finding,
    FindingStatus,
    FrameworkPosture,
    PostureSnapshot,
    StoredFinding,
    load_catalog,
)
from controls.posture import all_control_postures, framework_posture

CATALOG = load_catalog()


class InMemoryPosture:
    def __init__(
        self,
        findings: Sequence[StoredFinding],
        now: datetime,
        history: Sequence[PostureSnapshot] = (),
    ) -> None:
        self._findings = list(findings)
        self._now = now
        self._history = list(history)

    @property
    def catalog(self) -> Catalog:
        return CATALOG

    def control_postures(self) -> dict[str, ControlPosture]:
        return all_control_postures(CATALOG, self._findings, self._now)

    def framework_posture(self, framework_id: str) -> FrameworkPosture:
        return framework_posture(CATALOG, CATALOG.framework(framework_id), self.control_postures())

    def posture_history(self, framework_id: str, limit: int = 100) -> list[PostureSnapshot]:
        return [s for s in self._history if s.framework_id == framework_id][:limit]


def findings_for(
    now: datetime, *, failing_checks: Sequence[str] = (), every_check: bool = True
) -> list[StoredFinding]:
    """One finding per check of every control (or of half of them, the failing ones always
    among them: the half must not depend on how many checks the catalog holds), failing as
    told."""
    checks = sorted({check for c in CATALOG.controls.values() for check in c.checks})
    if not every_check:
        checks = sorted(set(checks[::2]) | set(failing_checks))
    return [
        StoredFinding(
            finding=Finding(
                check_id=check,
                collector=check.split(".")[0],
                status=FindingStatus.FAIL if check in failing_checks else FindingStatus.PASS,
                resource=f"res:{check}",
                reason="configured as required" if check not in failing_checks else "<b>off</b>",
            ),
            observed_at=now - timedelta(minutes=30),
            evidence_sha256=f"{index:064x}",
            run_id="run-1",
        )
        for index, check in enumerate(checks)
    ]


def history(framework_id: str, start: datetime, days: int) -> list[PostureSnapshot]:
    return [
        PostureSnapshot(
            run_id=f"run-{day}",
            framework_id=framework_id,
            satisfied=10 + day,
            assessed=30,
            failing=5 - min(day, 5),
            total=32,
            taken_at=start + timedelta(days=day, hours=6),
        )
        for day in range(days)
    ]

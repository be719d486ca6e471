"""What a framework report shows, assembled from posture, findings and evidence (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from controls import (
    Catalog,
    ControlPosture,
    ControlStatus,
    FindingStatus,
    FrameworkPosture,
    PostureSnapshot,
    RequirementPosture,
    StoredFinding,
)
from reports.bundle import EvidenceRecord, Window

FAILING = (ControlStatus.FAIL, ControlStatus.ERROR)
STATUS_ORDER = [status.value for status in ControlStatus]
FRAMEWORKS = ("dpdp", "gdpr", "pci_dss", "iso27001")


class PostureSource(Protocol):
    """What a framework report reads of the controls room (``ControlsService`` has it)."""

    @property
    def catalog(self) -> Catalog: ...

    def framework_posture(self, framework_id: str) -> FrameworkPosture: ...

    def control_postures(self) -> dict[str, ControlPosture]: ...

    def posture_history(self, framework_id: str, limit: int = 100) -> list[PostureSnapshot]: ...


@dataclass(frozen=True)
class PreviousReport:
    generated_at: datetime
    percent: float


@dataclass(frozen=True)
class FailingControl:
    control: ControlPosture
    failing_since: datetime | None
    age: timedelta | None
    failed_findings: tuple[StoredFinding, ...]


@dataclass(frozen=True)
class RequirementDetail:
    requirement: RequirementPosture
    controls: tuple[ControlPosture, ...]

    @property
    def findings(self) -> tuple[StoredFinding, ...]:
        return tuple(f for control in self.controls for f in control.findings)

    @property
    def evidence(self) -> tuple[str, ...]:
        return tuple(sorted({sha for control in self.controls for sha in control.evidence}))


@dataclass(frozen=True)
class ControlException:
    """A control or finding set aside as not applicable, with the reason recorded."""

    control_id: str
    title: str
    owner: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PrivacySummary:
    """DSR and breach performance; absent while the privacy room has no data. The breach
    figures are ``None`` where no breach register is configured (never a made-up zero)."""

    dsr_total: int
    dsr_within_sla: int
    dsr_overdue: int
    breaches_total: int | None = None
    breaches_notified_in_time: int | None = None


@dataclass(frozen=True)
class FrameworkReport:
    framework_id: str
    name: str
    version: str
    window: Window
    generated_at: datetime
    posture: FrameworkPosture
    previous: PreviousReport | None
    requirements: tuple[RequirementDetail, ...]
    controls: tuple[ControlPosture, ...]
    failing: tuple[FailingControl, ...]
    stale: tuple[ControlPosture, ...]
    exceptions: tuple[ControlException, ...]
    trend: tuple[PostureSnapshot, ...]
    evidence: tuple[EvidenceRecord, ...]
    privacy: PrivacySummary | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def change(self) -> float | None:
        if self.previous is None:
            return None
        return round(self.posture.percent_satisfied - self.previous.percent, 1)

    @property
    def findings_total(self) -> int:
        return sum(len(c.findings) for c in self.controls)


def assemble(
    source: PostureSource,
    framework_id: str,
    window: Window,
    evidence: Sequence[EvidenceRecord],
    now: datetime,
    *,
    previous: PreviousReport | None = None,
    privacy: PrivacySummary | None = None,
) -> FrameworkReport:
    framework = source.catalog.framework(framework_id)
    posture = source.framework_posture(framework_id)
    controls = source.control_postures()
    relevant = {cid for req in posture.requirements for cid in req.controls}
    mapped = [controls[cid] for cid in sorted(relevant)]
    history = source.posture_history(framework_id, limit=10_000)
    trend = tuple(sorted((s for s in history if window.contains(s.taken_at)), key=_taken))
    return FrameworkReport(
        framework_id=framework.id,
        name=framework.name,
        version=framework.version,
        window=window,
        generated_at=now,
        posture=posture,
        previous=previous,
        requirements=tuple(
            RequirementDetail(req, tuple(controls[cid] for cid in req.controls))
            for req in _worst_first(posture.requirements)
        ),
        controls=tuple(_worst_first_controls(mapped)),
        failing=tuple(
            _failing(c, now) for c in _worst_first_controls(mapped) if c.status in FAILING
        ),
        stale=tuple(c for c in mapped if c.status is ControlStatus.STALE),
        exceptions=tuple(e for e in (_exception(c) for c in mapped) if e is not None),
        trend=trend,
        evidence=tuple(sorted(evidence, key=lambda r: (r.collected_at, r.sha256))),
        privacy=privacy,
        counts={status: posture.counts.get(status, 0) for status in STATUS_ORDER},
    )


def _taken(snapshot: PostureSnapshot) -> datetime:
    return snapshot.taken_at


WORST_FIRST = [
    ControlStatus.FAIL,
    ControlStatus.ERROR,
    ControlStatus.STALE,
    ControlStatus.NO_EVIDENCE,
    ControlStatus.PASS,
    ControlStatus.NOT_APPLICABLE,
]


def _rank(status: ControlStatus) -> int:
    return WORST_FIRST.index(status)


def _worst_first(requirements: Sequence[RequirementPosture]) -> list[RequirementPosture]:
    return sorted(requirements, key=lambda r: (_rank(r.status), r.requirement_id))


def _worst_first_controls(controls: Sequence[ControlPosture]) -> list[ControlPosture]:
    return sorted(controls, key=lambda c: (_rank(c.status), -c.severity.rank, c.control_id))


def _failing(control: ControlPosture, now: datetime) -> FailingControl:
    bad = tuple(
        f for f in control.findings if f.finding.status in (FindingStatus.FAIL, FindingStatus.ERROR)
    )
    since = min((f.observed_at for f in bad), default=None)
    return FailingControl(control, since, now - since if since else None, bad)


def _exception(control: ControlPosture) -> ControlException | None:
    reasons = tuple(
        sorted(
            {
                f.finding.reason
                for f in control.findings
                if f.finding.status is FindingStatus.NOT_APPLICABLE
            }
        )
    )
    if control.status is not ControlStatus.NOT_APPLICABLE and not reasons:
        return None
    return ControlException(control.control_id, control.title, control.owner, reasons)

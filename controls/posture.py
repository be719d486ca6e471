"""Posture: per control, per requirement, per framework (pure functions over findings)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from controls.findings import FindingStatus
from controls.model import Catalog, Control, Framework, Severity
from controls.records import StoredFinding


class ControlStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    STALE = "stale"
    NO_EVIDENCE = "no_evidence"
    NOT_APPLICABLE = "not_applicable"


# When statuses combine (a requirement over its controls), the worst one wins.
_PRECEDENCE = [
    ControlStatus.FAIL,
    ControlStatus.ERROR,
    ControlStatus.STALE,
    ControlStatus.NO_EVIDENCE,
    ControlStatus.PASS,
    ControlStatus.NOT_APPLICABLE,
]


class ControlPosture(BaseModel):
    model_config = ConfigDict(frozen=True)

    control_id: str
    title: str
    severity: Severity
    owner: str
    frequency: str
    status: ControlStatus
    newest_evidence_at: datetime | None
    counts: dict[str, int]
    findings: tuple[StoredFinding, ...]
    evidence: tuple[str, ...]


class RequirementPosture(BaseModel):
    model_config = ConfigDict(frozen=True)

    requirement_id: str
    title: str
    status: ControlStatus
    controls: tuple[str, ...]


class FrameworkPosture(BaseModel):
    model_config = ConfigDict(frozen=True)

    framework_id: str
    name: str
    version: str
    percent_satisfied: float
    satisfied: int
    assessed: int
    counts: dict[str, int]
    requirements: tuple[RequirementPosture, ...]


def worst(statuses: Iterable[ControlStatus]) -> ControlStatus:
    present = set(statuses)
    if not present:
        return ControlStatus.NO_EVIDENCE
    return next(status for status in _PRECEDENCE if status in present)


def index_by_check(findings: Iterable[StoredFinding]) -> dict[str, list[StoredFinding]]:
    table: dict[str, list[StoredFinding]] = defaultdict(list)
    for stored in findings:
        table[stored.finding.check_id].append(stored)
    return table


def control_posture(
    control: Control, by_check: dict[str, list[StoredFinding]], now: datetime | None
) -> ControlPosture:
    """The posture of one control; with ``now=None`` its status leaves staleness out."""
    findings = tuple(f for check in control.checks for f in by_check.get(check, ()))
    counts: dict[str, int] = defaultdict(int)
    for stored in findings:
        counts[stored.finding.status.value] += 1
    newest = max((f.observed_at for f in findings), default=None)
    return ControlPosture(
        control_id=control.id,
        title=control.title,
        severity=control.severity,
        owner=control.owner,
        frequency=control.frequency.value,
        status=_status(control, counts, newest, now),
        newest_evidence_at=newest,
        counts=dict(counts),
        findings=findings,
        evidence=tuple(sorted({f.evidence_sha256 for f in findings if f.evidence_sha256})),
    )


def _status(
    control: Control, counts: dict[str, int], newest: datetime | None, now: datetime | None
) -> ControlStatus:
    if newest is None:
        return ControlStatus.NO_EVIDENCE
    if now is not None and now - newest > control.frequency.period:
        return ControlStatus.STALE
    if counts.get(FindingStatus.FAIL.value):
        return ControlStatus.FAIL
    if counts.get(FindingStatus.ERROR.value):
        return ControlStatus.ERROR
    if counts.get(FindingStatus.PASS.value):
        return ControlStatus.PASS
    return ControlStatus.NOT_APPLICABLE


def all_control_postures(
    catalog: Catalog, findings: Sequence[StoredFinding], now: datetime
) -> dict[str, ControlPosture]:
    by_check = index_by_check(findings)
    return {cid: control_posture(c, by_check, now) for cid, c in catalog.controls.items()}


@dataclass(frozen=True)
class Judgement:
    """Control postures judged from one set of findings with the time left out.

    Only staleness depends on the time, and only through each control's newest evidence
    time and frequency, so ``at(now)`` gives the same answer as
    ``all_control_postures(catalog, findings, now)`` in O(controls): a judgement can be
    kept while the findings it was made from are the latest (ADR 0405).
    """

    fresh: Mapping[str, ControlPosture]
    periods: Mapping[str, timedelta]

    def at(self, now: datetime) -> dict[str, ControlPosture]:
        return {cid: _at(posture, self.periods[cid], now) for cid, posture in self.fresh.items()}


def _at(posture: ControlPosture, period: timedelta, now: datetime) -> ControlPosture:
    newest = posture.newest_evidence_at
    if newest is not None and now - newest > period:
        return posture.model_copy(update={"status": ControlStatus.STALE})
    return posture


def judge(catalog: Catalog, findings: Sequence[StoredFinding]) -> Judgement:
    by_check = index_by_check(findings)
    return Judgement(
        fresh={cid: control_posture(c, by_check, None) for cid, c in catalog.controls.items()},
        periods={cid: c.frequency.period for cid, c in catalog.controls.items()},
    )


def framework_posture(
    catalog: Catalog, framework: Framework, controls: dict[str, ControlPosture]
) -> FrameworkPosture:
    direct: dict[str, set[str]] = defaultdict(set)
    for control in catalog.controls_for(framework.id):
        for requirement_id in control.mappings[framework.id]:
            direct[requirement_id].add(control.id)
    children: dict[str, list[str]] = defaultdict(list)
    for requirement in framework.requirements:
        if requirement.parent:
            children[requirement.parent].append(requirement.id)

    def mapped(requirement_id: str) -> set[str]:
        found = set(direct.get(requirement_id, ()))
        for child in children.get(requirement_id, ()):
            found |= mapped(child)
        return found

    requirements = []
    for requirement in framework.requirements:
        control_ids = tuple(sorted(mapped(requirement.id)))
        requirements.append(
            RequirementPosture(
                requirement_id=requirement.id,
                title=requirement.title,
                status=worst(controls[cid].status for cid in control_ids),
                controls=control_ids,
            )
        )
    counts: dict[str, int] = defaultdict(int)
    for item in requirements:
        counts[item.status.value] += 1
    assessed = len(requirements) - counts.get(ControlStatus.NOT_APPLICABLE.value, 0)
    satisfied = counts.get(ControlStatus.PASS.value, 0)
    return FrameworkPosture(
        framework_id=framework.id,
        name=framework.name,
        version=framework.version,
        percent_satisfied=round(100.0 * satisfied / assessed, 1) if assessed else 0.0,
        satisfied=satisfied,
        assessed=assessed,
        counts=dict(counts),
        requirements=tuple(requirements),
    )

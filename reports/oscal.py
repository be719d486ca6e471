"""OSCAL 1.1 documents: assessment results of a framework report and trustplane's
component definition (plain JSON; the tests validate them with compliance-trestle, ADR 0702).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from controls import Catalog, ControlPosture, ControlStatus
from reports.bundle.layout import evidence_path
from reports.framework.model import FrameworkReport

OSCAL_VERSION = "1.1.2"
NAMESPACE = uuid.UUID("6b1f5d0e-6a43-4c2e-9a5e-2f1c0a7d9b11")
PARTY = "finsolve"
TOOL_VERSION = "trustplane 0.1.0"


def token(text: str) -> str:
    """An OSCAL token (letters, digits, ``.``, ``-``, ``_``; starts with a letter or ``_``)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")
    return cleaned if re.match(r"^[A-Za-z_]", cleaned) else f"_{cleaned}"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _metadata(title: str, moment: datetime) -> dict[str, Any]:
    return {
        "title": title,
        "last-modified": _time(moment),
        "version": TOOL_VERSION,
        "oscal-version": OSCAL_VERSION,
    }


def assessment_results(report: FrameworkReport, bundled: Iterable[str] = ()) -> dict[str, Any]:
    """Observations per control (with relevant-evidence links to the bundle's files for the
    items in ``bundled``) and a finding per requirement: satisfied / not-satisfied."""
    seed = f"{report.framework_id}/{_time(report.window.start)}/{_time(report.generated_at)}"
    in_bundle = set(bundled)
    controls: dict[str, ControlPosture] = {
        c.control_id: c for detail in report.requirements for c in detail.controls
    }
    observations = [
        _observation(seed, control, in_bundle, report.generated_at)
        for control in sorted(controls.values(), key=lambda c: c.control_id)
    ]
    findings = [
        {
            "uuid": _uuid(seed, "finding", detail.requirement.requirement_id),
            "title": f"{detail.requirement.requirement_id} {detail.requirement.title}",
            "description": (
                f"Requirement status {detail.requirement.status.value} from controls "
                f"{', '.join(detail.requirement.controls) or 'none'}."
            ),
            "target": {
                "type": "objective-id",
                "target-id": token(f"{report.framework_id}_{detail.requirement.requirement_id}"),
                "status": {
                    "state": "satisfied"
                    if detail.requirement.status is ControlStatus.PASS
                    else "not-satisfied",
                    "reason": detail.requirement.status.value,
                },
            },
            **(
                {
                    "related-observations": [
                        {"observation-uuid": _uuid(seed, "observation", cid)}
                        for cid in detail.requirement.controls
                    ]
                }
                if detail.requirement.controls
                else {}
            ),
        }
        for detail in sorted(report.requirements, key=lambda d: d.requirement.requirement_id)
        if detail.requirement.status is not ControlStatus.NOT_APPLICABLE
    ]
    result: dict[str, Any] = {
        "uuid": _uuid(seed, "result"),
        "title": f"{report.name} {report.version} assessment",
        "description": (
            f"Automated assessment by trustplane of {report.framework_id} over the period "
            f"{_time(report.window.start)} to {_time(report.window.end)}."
        ),
        "start": _time(report.window.start),
        "end": _time(report.window.end),
        "reviewed-controls": {"control-selections": [{"include-all": {}}]},
    }
    if observations:
        result["observations"] = observations
    if findings:
        result["findings"] = findings
    return {
        "assessment-results": {
            "uuid": _uuid(seed, "assessment-results"),
            "metadata": _metadata(
                f"{report.name} {report.version}: assessment results", report.generated_at
            ),
            "import-ap": {"href": "#assessment-plan"},
            "results": [result],
        }
    }


def _observation(
    seed: str, control: ControlPosture, in_bundle: set[str], generated_at: datetime
) -> dict[str, Any]:
    observation: dict[str, Any] = {
        "uuid": _uuid(seed, "observation", control.control_id),
        "title": f"{control.control_id} {control.title}",
        "description": (
            f"Control status {control.status.value}; owner {control.owner}; "
            f"{sum(control.counts.values())} finding(s) in the latest collection."
        ),
        "methods": ["TEST"],
        "types": ["control-objective"],
        "collected": _time(control.newest_evidence_at or generated_at),
    }
    links = [
        {"href": evidence_path(sha), "description": f"Evidence item {sha} in this bundle."}
        for sha in control.evidence
        if sha in in_bundle
    ]
    if links:
        observation["relevant-evidence"] = links
    return observation


def component_definition(catalog: Catalog, generated_at: datetime) -> dict[str, Any]:
    """trustplane as one software component implementing its unified controls, with one
    control implementation per framework (requirement ids as OSCAL control ids)."""
    seed = "trustplane/component-definition"
    implementations = []
    for framework in sorted(catalog.frameworks.values(), key=lambda f: f.id):
        requirements = []
        for control in sorted(catalog.controls_for(framework.id), key=lambda c: c.id):
            for requirement_id in control.mappings[framework.id]:
                requirements.append(
                    {
                        "uuid": _uuid(seed, framework.id, control.id, requirement_id),
                        "control-id": token(f"{framework.id}_{requirement_id}"),
                        "description": (
                            f"{control.id} {control.title} (owner {control.owner}, "
                            f"{control.frequency.value}, checks {', '.join(control.checks)})."
                        ),
                        "props": [{"name": "implementation-status", "value": "implemented"}],
                    }
                )
        if requirements:
            implementations.append(
                {
                    "uuid": _uuid(seed, framework.id),
                    "source": f"#{token(framework.id)}",
                    "description": f"{framework.name} {framework.version} ({framework.authority})",
                    "implemented-requirements": requirements,
                }
            )
    return {
        "component-definition": {
            "uuid": _uuid(seed),
            "metadata": _metadata("trustplane: FinSolve control plane controls", generated_at),
            "components": [
                {
                    "uuid": _uuid(seed, "component"),
                    "type": "software",
                    "title": "trustplane",
                    "description": (
                        "FinSolve's compliance and security control plane: decision point, "
                        "field encryption, tamper-evident audit log, control evidence."
                    ),
                    "purpose": "Enforce and prove FinSolve's security and privacy controls.",
                    "control-implementations": implementations,
                }
            ],
        }
    }

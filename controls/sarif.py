"""SARIF 2.1.0 output of the CI gate: one rule per unified control, one result per finding."""

from __future__ import annotations

import re
from typing import Any

from controls.findings import Finding
from controls.gate import GateReport, GateViolation
from controls.model import Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
_LOCATED = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<resource>.*)$")


def to_sarif(report: GateReport, version: str = "0") -> dict[str, Any]:
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "trustplane-gate",
                        "version": version,
                        "informationUri": "https://trustplane.finsolve.example/controls",
                        "rules": [_rule(v) for v in report.violations],
                    }
                },
                "results": [
                    _result(v, finding) for v in report.violations for finding in v.findings
                ],
            }
        ],
    }


def _rule(violation: GateViolation) -> dict[str, Any]:
    control = violation.control
    return {
        "id": control.id,
        "name": control.id.replace("-", ""),
        "shortDescription": {"text": control.title},
        "defaultConfiguration": {"level": _LEVELS[control.severity]},
        "properties": {
            "severity": control.severity.value,
            "owner": control.owner,
            "requirements": {fw: list(ids) for fw, ids in violation.requirements.items()},
        },
    }


def _result(violation: GateViolation, finding: Finding) -> dict[str, Any]:
    broken = "; ".join(f"{fw} {', '.join(ids)}" for fw, ids in violation.requirements.items())
    result: dict[str, Any] = {
        "ruleId": violation.control.id,
        "level": _LEVELS[violation.control.severity],
        "message": {
            "text": f"{finding.check_id}: {finding.reason} on {finding.resource} (breaks {broken})"
        },
        "properties": {"check": finding.check_id, "status": finding.status.value},
    }
    located = _LOCATED.match(finding.resource)
    if located:
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": located["path"]},
                    "region": {"startLine": max(1, int(located["line"]))},
                },
                "logicalLocations": [{"name": located["resource"]}],
            }
        ]
    return result

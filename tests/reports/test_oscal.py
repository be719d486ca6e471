"""OSCAL assessment results and component definition validate with compliance-trestle."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.component import ComponentDefinition

from reports.framework.model import FRAMEWORKS, assemble
from reports.oscal import assessment_results, component_definition, token
from tests.reports.posture import CATALOG, InMemoryPosture, findings_for
from tests.reports.test_framework_report import NOW, WINDOW, partial_source


def _round_trip(document: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(document))
    return loaded  # what goes into the bundle is plain JSON


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_assessment_results_validate_for_each_framework(framework: str) -> None:
    report = assemble(partial_source(), framework, WINDOW, [], NOW)
    document = _round_trip(assessment_results(report))
    model = AssessmentResults.model_validate(document["assessment-results"])
    result = model.results[0]
    assert result.findings
    states = {f.target.status.state.value for f in result.findings if f.target.status}
    assert states <= {"satisfied", "not-satisfied"}
    assert "not-satisfied" in states


def test_findings_follow_requirement_status_and_link_bundled_evidence() -> None:
    report = assemble(partial_source(), "pci_dss", WINDOW, [], NOW)
    bundled = {sha for d in report.requirements for c in d.controls for sha in c.evidence}
    one = sorted(bundled)[0]
    document = assessment_results(report, bundled={one})
    result = document["assessment-results"]["results"][0]
    by_target = {
        f["target"]["target-id"]: f["target"]["status"]["state"] for f in result["findings"]
    }
    for detail in report.requirements:
        target = token(f"pci_dss_{detail.requirement.requirement_id}")
        expected = "satisfied" if detail.requirement.status.value == "pass" else "not-satisfied"
        assert by_target[target] == expected
    links = [
        link["href"] for o in result["observations"] for link in o.get("relevant-evidence", [])
    ]
    assert links == [f"evidence/{one}"]  # only files the bundle holds are linked


def test_an_empty_posture_still_validates() -> None:
    report = assemble(InMemoryPosture([], NOW), "gdpr", WINDOW, [], NOW)
    document = _round_trip(assessment_results(report))
    AssessmentResults.model_validate(document["assessment-results"])


def test_component_definition_validates_and_maps_every_control() -> None:
    document = _round_trip(component_definition(CATALOG, datetime(2026, 12, 1, tzinfo=UTC)))
    model = ComponentDefinition.model_validate(document["component-definition"])
    assert model.components is not None
    implementations = model.components[0].control_implementations or []
    assert len(implementations) == len(CATALOG.frameworks)
    described = " ".join(r.description for i in implementations for r in i.implemented_requirements)
    assert all(control_id in described for control_id in CATALOG.controls)


def test_trestle_refuses_what_oscal_refuses() -> None:
    """The validation above can fail: a wrong state or a stray member is refused."""
    report = assemble(partial_source(), "pci_dss", WINDOW, [], NOW)
    document = _round_trip(assessment_results(report))
    result = document["assessment-results"]["results"][0]
    result["findings"][0]["target"]["status"]["state"] = "passed"
    with pytest.raises(ValueError, match="state"):
        AssessmentResults.model_validate(document["assessment-results"])
    result["findings"][0]["target"]["status"]["state"] = "satisfied"
    result["surprise"] = True
    with pytest.raises(ValueError, match="surprise"):
        AssessmentResults.model_validate(document["assessment-results"])


def test_tokens_are_valid_oscal_tokens() -> None:
    assert token("pci_dss_10.2.1") == "pci_dss_10.2.1"
    assert token("dpdp_s.8(5)") == "dpdp_s.8-5"
    assert token("3.5") == "_3.5"


def test_uuids_are_stable_for_the_same_report() -> None:
    source = InMemoryPosture(findings_for(NOW), NOW)
    first = assessment_results(assemble(source, "iso27001", WINDOW, [], NOW))
    second = assessment_results(assemble(source, "iso27001", WINDOW, [], NOW))
    assert first == second
    later = assessment_results(assemble(source, "iso27001", WINDOW, [], NOW + timedelta(1)))
    assert later["assessment-results"]["uuid"] != first["assessment-results"]["uuid"]

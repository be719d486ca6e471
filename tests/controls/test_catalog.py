"""The catalog loads, validates and every cross-reference resolves."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from controls.catalog import CATALOG_DIR
from controls.catalog_loader import load_catalog
from controls.checks import REGISTRY
from controls.errors import CatalogError, UnknownControlError, UnknownFrameworkError
from controls.model import Frequency, Severity

ISSUE_REQUIREMENTS = {
    "dpdp": [f"s.{n}" for n in range(4, 18)]
    + [
        "s.8(5)",
        "s.8(6)",
        "s.8(7)",
        "s.8(9)",
        "s.8(10)",
        "r.6",
        "r.6(1)(e)",
        "r.7(2)",
        "r.8(2)",
        "r.8(3)",
        "r.14(3)",
    ],
    "gdpr": [
        "Art.5",
        "Art.6",
        "Art.7",
        *[f"Art.{n}" for n in range(12, 23)],
        "Art.25",
        "Art.30",
        "Art.32",
        "Art.33",
        "Art.34",
        "Art.35",
    ],
    "pci_dss": [str(n) for n in range(1, 13)]
    + [
        "1.2",
        "1.3",
        "1.4",
        "2.2",
        "3.5",
        "3.6",
        "3.7",
        "4.2.1",
        "6.3.3",
        "7.2.1",
        "7.2.4",
        "8.3.6",
        "8.4.1",
        "8.4.2",
        "8.4.3",
        "10.2.1",
        "10.2.2",
        "10.3.1",
        "10.3.2",
        "10.3.3",
        "10.3.4",
        "10.4.1",
        "10.5.1",
        "11.3.1",
        "12.10.1",
    ],
}


def test_catalog_loads_every_framework_and_control() -> None:
    catalog = load_catalog()
    assert set(catalog.frameworks) == {"dpdp", "gdpr", "pci_dss", "iso27001"}
    assert len(catalog.controls) >= 25
    assert catalog.control("TP-ENC-01").severity is Severity.HIGH


@pytest.mark.parametrize("framework_id", sorted(ISSUE_REQUIREMENTS))
def test_every_requirement_the_issue_lists_is_present(framework_id: str) -> None:
    framework = load_catalog().framework(framework_id)
    missing = [r for r in ISSUE_REQUIREMENTS[framework_id] if framework.requirement(r) is None]
    assert missing == []


def test_every_cross_reference_resolves() -> None:
    catalog = load_catalog()
    known_checks = set(REGISTRY.ids())
    for control in catalog.controls.values():
        assert set(control.checks) <= known_checks, control.id
        for framework_id, requirement_ids in control.mappings.items():
            framework = catalog.framework(framework_id)
            assert all(framework.requirement(r) for r in requirement_ids), control.id


def test_every_check_evidences_some_control_and_every_leaf_requirement_is_mapped() -> None:
    catalog = load_catalog()
    used = {check for control in catalog.controls.values() for check in control.checks}
    assert used == set(REGISTRY.ids())
    for framework in catalog.frameworks.values():
        mapped = {r for c in catalog.controls.values() for r in c.mappings.get(framework.id, ())}
        parents = {r.parent for r in framework.requirements if r.parent}
        unmapped = [r.id for r in framework.requirements if r.id not in mapped | parents]
        assert unmapped == [], framework.id


def test_frequencies_have_periods() -> None:
    assert Frequency.HOURLY.period.total_seconds() == 3600
    assert Severity.CRITICAL.at_least(Severity.HIGH)
    assert not Severity.LOW.at_least(Severity.MEDIUM)


def test_unknown_ids_raise() -> None:
    catalog = load_catalog()
    with pytest.raises(UnknownFrameworkError):
        catalog.framework("sox")
    with pytest.raises(UnknownControlError):
        catalog.control("TP-XXX-99")


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_a_dangling_check_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    text = (directory / "controls.yaml").read_text()
    (directory / "controls.yaml").write_text(text.replace("tls.weak_ciphers", "tls.nope", 1))
    with pytest.raises(CatalogError, match=r"unknown check tls\.nope"):
        load_catalog(directory)


def test_a_dangling_requirement_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    text = (directory / "controls.yaml").read_text()
    (directory / "controls.yaml").write_text(text.replace('"Art.33"', '"Art.99"', 1))
    with pytest.raises(CatalogError, match=r"gdpr has no requirement Art\.99"):
        load_catalog(directory)


def test_invalid_yaml_and_schema_are_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / "frameworks" / "gdpr.yaml").write_text("id: [unclosed")
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(directory)
    (directory / "frameworks" / "gdpr.yaml").write_text("id: gdpr\nname: x\n")
    with pytest.raises(CatalogError, match=r"gdpr\.yaml"):
        load_catalog(directory)
    (directory / "frameworks" / "gdpr.yaml").write_text("- a list\n")
    with pytest.raises(CatalogError, match="mapping"):
        load_catalog(directory)


def test_bad_severity_and_duplicate_requirement_are_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    text = (directory / "controls.yaml").read_text()
    (directory / "controls.yaml").write_text(text.replace("severity: high", "severity: huge", 1))
    with pytest.raises(CatalogError, match="severity"):
        load_catalog(directory)
    (directory / "controls.yaml").write_text(text)
    pci = (directory / "frameworks" / "pci_dss.yaml").read_text()
    (directory / "frameworks" / "pci_dss.yaml").write_text(pci.replace('id: "1.3"', 'id: "1.2"', 1))
    with pytest.raises(CatalogError, match="duplicate requirement"):
        load_catalog(directory)


def test_catalog_yaml_ships_as_package_data() -> None:
    for package in (CATALOG_DIR, CATALOG_DIR / "frameworks"):  # packages ship *.yaml
        assert (package / "__init__.py").exists()
    assert sorted(p.name for p in (CATALOG_DIR / "frameworks").glob("*.yaml")) == [
        "dpdp.yaml",
        "gdpr.yaml",
        "iso27001.yaml",
        "pci_dss.yaml",
    ]


@pytest.mark.parametrize(
    ("requirement_id", "figure"),
    [
        ("r.6(1)(e)", "one year"),
        ("r.7(2)", "72 hours"),
        ("r.8(2)", "48 hours"),
        ("r.8(3)", "one year"),
        ("r.14(3)", "ninety days"),
    ],
)
def test_dpdp_rules_carry_their_time_limits(requirement_id: str, figure: str) -> None:
    requirement = load_catalog().framework("dpdp").requirement(requirement_id)
    assert requirement is not None
    assert figure in requirement.summary


def test_every_control_maps_to_iso27001_annex_a() -> None:
    catalog = load_catalog()
    iso = catalog.framework("iso27001")
    assert all(r.id.startswith(("A.5.", "A.6.", "A.7.", "A.8.")) for r in iso.requirements)
    unmapped = [c.id for c in catalog.controls.values() if not c.mappings.get("iso27001")]
    assert unmapped == []

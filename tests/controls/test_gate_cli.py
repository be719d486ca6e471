"""CI gate: exit 1 on the violating fixture, 0 on the clean one, 2 on usage errors; SARIF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from controls import Severity, load_catalog, run_gate
from controls.collectors.base import Collected
from tests.controls.conftest import FIXTURES
from trustplane.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, checkov_bin: Path) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRUSTPLANE_CONTROLS__CHECKOV_BIN", str(checkov_bin))


def test_gate_fails_on_violations_and_writes_sarif(tmp_path: Path) -> None:
    sarif = tmp_path / "gate.sarif"
    result = runner.invoke(
        app, ["gate", "--iac", str(FIXTURES / "iac_violating"), "--sarif", str(sarif)]
    )
    assert result.exit_code == 1, result.output
    assert "FAIL TP-NET-01" in result.output
    assert "dpdp s.8(5), r.6(1)(b)" in result.output
    document = json.loads(sarif.read_text())
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    rules = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    assert {"TP-NET-01", "TP-NET-02", "TP-ENC-01", "TP-SDL-01"} <= rules
    bastion = [r for r in run["results"] if "bastion" in r["message"]["text"]]
    assert bastion[0]["level"] == "error"
    location = bastion[0]["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "main.tf"}, "region": {"startLine": 14}}


def test_gate_passes_a_clean_tree() -> None:
    result = runner.invoke(app, ["gate", "--iac", str(FIXTURES / "iac_clean")])
    assert result.exit_code == 0, result.output
    assert "0 blocking" in result.output


def test_fail_on_threshold_and_framework_filter() -> None:
    critical_only = runner.invoke(
        app,
        [
            "gate",
            "--iac",
            str(FIXTURES / "iac_violating"),
            "--framework",
            "gdpr",
            "--fail-on",
            "critical",
        ],
    )
    assert critical_only.exit_code == 1
    assert "breaks: gdpr" in critical_only.output
    assert "pci_dss" not in critical_only.output


@pytest.mark.parametrize(
    "args",
    [
        ["gate", "--iac", "/definitely/missing"],
        ["gate", "--iac", ".", "--fail-on", "severe"],
        ["gate", "--iac", ".", "--framework", "sox"],
        ["gate"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert runner.invoke(app, args).exit_code == 2


class Broken:
    name = "iac"

    def collect(self) -> Collected:
        raise RuntimeError("checkov vanished")


def test_a_crashing_collector_blocks_the_gate_with_exit_2_and_its_cause() -> None:
    report = run_gate(load_catalog(), [Broken()], fail_on=Severity.LOW)
    assert report.exit_code == 2  # could not run: neither "failed" (1) nor "passed" (0)
    assert {f.status.value for f in report.findings} == {"error"}
    assert {f.reason for f in report.findings} == {"collector error: checkov vanished"}
    assert report.collector_errors == (("iac", "checkov vanished"),)

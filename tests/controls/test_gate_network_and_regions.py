"""The gate sees a database port open to the internet and a provider outside the allowed
regions (issue 15, item 14), with the real checkov and trustplane's own checkov checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.controls.conftest import FIXTURES
from trustplane.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, checkov_bin: Path) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRUSTPLANE_CONTROLS__CHECKOV_BIN", str(checkov_bin))


def test_database_port_and_foreign_region_fail_the_gate() -> None:
    result = runner.invoke(app, ["gate", "--iac", str(FIXTURES / "iac_db_exposed")])
    assert result.exit_code == 1, result.output
    assert "FAIL TP-NET-01" in result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "main.tf:6:aws_security_group.ledger_db: CKV_TP_5432 failed" in output
    assert "aws_security_group.cache" not in output  # 6379 open only to 10.0.0.0/8
    assert "FAIL TP-RES-01" in result.output
    assert "main.tf:2:aws.default: CKV_TP_REGION failed" in output


def test_allowed_regions_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPLANE_CONTROLS__ALLOWED_REGIONS", '["us-east-1"]')
    result = runner.invoke(app, ["gate", "--iac", str(FIXTURES / "iac_db_exposed")])
    assert "TP-RES-01" not in result.output
    assert "FAIL TP-NET-01" in result.output

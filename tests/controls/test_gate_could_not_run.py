"""`trustplane gate` without its scanner: exit 2 (could not run) with the real cause, not
1 (controls failed) with "collector error: CollectorError" (issue 15, item 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.controls.conftest import FIXTURES
from trustplane.cli import app


def test_gate_without_checkov_exits_2_and_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-checkov"
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRUSTPLANE_CONTROLS__CHECKOV_BIN", str(missing))
    result = CliRunner().invoke(app, ["gate", "--iac", str(FIXTURES / "iac_clean")])
    assert result.exit_code == 2, result.output
    assert f"checkov not found at {missing}" in result.output
    assert "make tools" in result.output
    assert "CollectorError" not in result.output


def test_make_demo_installs_the_gate_scanner() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    demo = next(line for line in makefile.splitlines() if line.startswith("demo:"))
    assert "tools" in demo.split(":", 1)[1].split()

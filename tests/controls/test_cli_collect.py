"""``trustplane collect`` on the embedded defaults (platform + manual collectors)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustplane.cli import app

runner = CliRunner()


def test_collect_runs_and_reports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["collect"])
    assert result.exit_code == 0, result.output
    assert "platform" in result.output
    assert "manual" in result.output
    assert "━" in result.output  # the progress bar, rendered once finished
    assert "2/2" in result.output  # both collectors counted by the progress callback
    assert list((tmp_path / "evidence").rglob("*.json"))
    only = runner.invoke(app, ["collect", "--collector", "manual"])
    assert only.exit_code == 0, only.output
    assert "1/1" in only.output
    assert "│ platform" not in only.output
    assert runner.invoke(app, ["collect", "--collector", "nope"]).exit_code == 2


def test_collect_exits_1_when_a_collector_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRUSTPLANE_CONTROLS__TLS_ENDPOINTS", '["127.0.0.1:1"]')
    monkeypatch.setenv("TRUSTPLANE_CONTROLS__POSTGRES_DSN", "postgresql://nobody@127.0.0.1:1/x")
    result = runner.invoke(app, ["collect"])
    assert result.exit_code == 1, result.output
    assert "postgres" in result.output
    assert "error" in result.output

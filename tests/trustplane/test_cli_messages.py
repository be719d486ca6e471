"""CLI messages a new user reads (issue 15, item 16): they name the CLI's own options."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustplane.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path / "data"))
    for name in ("TRUSTPLANE_DATABASE_URL", "TRUSTPLANE_MODE"):
        monkeypatch.delenv(name, raising=False)


def test_auditor_without_engagement_names_the_cli_option() -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(
        app, ["users", "create", "--email", "aud@finsolve.example", "--role", "auditor"]
    )
    assert result.exit_code == 2
    assert "--engagement-expires" in result.output
    assert "engagement_expires_at" not in result.output


def test_help_shows_no_type_beside_plain_flags() -> None:
    result = runner.invoke(app, ["users", "create", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert "--json" in result.output
    assert "<bool>" not in result.output
    assert "<str>" in result.output  # options that take a value keep their type


def test_collect_of_a_collector_not_enabled_says_how_to_enable_it() -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["collect", "-c", "aws"])
    assert result.exit_code == 2
    assert "TRUSTPLANE_CONTROLS__AWS_ENABLED=true" in result.output

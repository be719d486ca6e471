from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustplane.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    for name in ("TRUSTPLANE_MODE", "TRUSTPLANE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize("argv", [[], ["db"], ["config"], ["serve"], ["demo"]])
def test_help_everywhere(argv: list[str]) -> None:
    result = runner.invoke(app, [*argv, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_config_show_hides_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPLANE_AUDIT__HMAC_KEY", "very-secret-audit-key")
    monkeypatch.setenv("TRUSTPLANE_DATABASE_URL", "postgresql+psycopg://tp:pw-123@db/tp")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    assert shown["audit"]["hmac_key"] == "**********"
    assert "pw-123" not in result.output
    assert "very-secret-audit-key" not in result.output


def test_production_with_sqlite_refuses_with_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPLANE_MODE", "prod")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 2
    assert "production mode refuses to start" in result.output


def test_db_upgrade_on_sqlite(data_dir: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (data_dir / "trustplane.db").exists()


def test_db_upgrade_on_postgres(postgres: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATABASE_URL", postgres.create_database())  # type: ignore[attr-defined]
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_db_upgrade_unreachable_database_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATABASE_URL", "postgresql+psycopg://tp@127.0.0.1:1/none")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "migration failed" in result.output


def test_demo_check_starts_and_answers_ready() -> None:
    result = runner.invoke(app, ["demo", "--check"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("OK")


def test_unknown_command_is_usage_error() -> None:
    assert runner.invoke(app, ["frobnicate"]).exit_code == 2

"""``trustplane keys ...`` against the embedded shape (SQLite + local keyring)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustplane.cli import app
from trustplane.container import build_container
from trustplane.settings import Settings
from vault import FieldContext, VaultServices
from vault.envelope import parse

runner = CliRunner()
CTX = FieldContext("customer_profile", "pan", "c-1", 3, "finsolve")


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    for name in ("TRUSTPLANE_MODE", "TRUSTPLANE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return tmp_path


def _vault() -> VaultServices:
    services: VaultServices = build_container(Settings()).vault
    return services


def test_rotate_rewrap_retire_from_the_command_line() -> None:
    before = _vault().cipher.encrypt("ABCDE1234F", CTX)
    result = runner.invoke(app, ["keys", "rotate", "fields"])
    assert result.exit_code == 0, result.output
    assert "version 2" in result.output
    after = _vault().cipher.encrypt("ZZZZZ9999Z", CTX)
    assert parse(after).kek_version == 2
    result = runner.invoke(app, ["keys", "rewrap", "--retire"])
    assert result.exit_code == 0, result.output
    assert "rewrapped 1 of 1" in result.output
    assert "retired" in result.output
    again = runner.invoke(app, ["keys", "rewrap"])
    assert "rewrapped 0 of 0" in again.output
    fresh = _vault()
    assert fresh.cipher.open(before, CTX) == "ABCDE1234F"
    assert fresh.cipher.open(after, CTX) == "ZZZZZ9999Z"
    listed = json.loads(runner.invoke(app, ["keys", "list"]).stdout)
    (entry,) = listed["keys"]
    assert entry["version"] == 2
    assert entry["min_decryption_version"] == 2
    assert entry["data_keys_by_version"] == {"2": 2}


def test_retire_before_rewrap_and_unknown_keys_fail() -> None:
    _vault().cipher.encrypt("ABCDE1234F", CTX)
    assert runner.invoke(app, ["keys", "rotate", "fields"]).exit_code == 0
    result = runner.invoke(app, ["keys", "retire", "fields"])
    assert result.exit_code == 1
    assert "still wrapped" in result.output
    assert runner.invoke(app, ["keys", "rotate", "nope"]).exit_code == 1
    assert runner.invoke(app, ["keys", "--help"]).exit_code == 0

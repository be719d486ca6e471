"""``trustplane consents`` and ``trustplane notices`` on a fresh data directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from trustplane.cli import app

runner = CliRunner()


def document(output: str) -> Any:
    """The command's JSON answer (log lines another test's logging set-up may mix in are
    single-line JSON; the answer is indented and starts on a line of its own)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line in {"{", "[", "[]"})
    return json.JSONDecoder().raw_decode("\n".join(lines[start:]))[0]


def test_grant_withdraw_show_and_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    granted = runner.invoke(app, ["consents", "grant", "c-9", "marketing", "--channel", "web"])
    assert granted.exit_code == 0, granted.output
    assert document(granted.output)["notice"] == "finsolve-privacy@1"
    withdrawn = runner.invoke(app, ["consents", "withdraw", "c-9", "marketing"])
    assert withdrawn.exit_code == 0, withdrawn.output
    again = runner.invoke(app, ["consents", "withdraw", "c-9", "marketing"])
    assert again.exit_code == 1
    assert "nothing to withdraw" in again.output
    unknown = runner.invoke(app, ["consents", "grant", "c-9", "astrology"])
    assert unknown.exit_code == 1
    assert "unknown purpose" in unknown.output
    shown = document(runner.invoke(app, ["consents", "show", "c-9"]).output)
    assert shown["granted"] == []
    assert [e["action"] for e in shown["history"]] == ["grant", "withdraw"]
    assert all(isinstance(e["audit_seq"], int) for e in shown["history"])
    purposes = document(runner.invoke(app, ["consents", "purposes"]).output)
    assert set(purposes) == {"analytics", "marketing", "credit_bureau_sharing"}


def test_notice_in_hindi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["notices", "show", "--lang", "hi"])
    assert result.exit_code == 0, result.output
    assert "गोपनीयता सूचना" in result.output
    assert runner.invoke(app, ["notices", "show", "--lang", "fr"]).exit_code == 1

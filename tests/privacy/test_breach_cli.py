"""``trustplane breaches`` on a fresh data directory, and the demo's open breach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from typer.testing import CliRunner

from audit import InMemoryAuditLog
from privacy import BreachRegister, FileOutbox, load_duties
from privacy.breach_register import BREACH, EVENT
from tests.privacy.test_consent_cli import document
from trustplane.cli import app
from trustplane.demo.breaches import seed_breach_demo

runner = CliRunner()


def test_create_draft_notify_and_close(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    created = runner.invoke(
        app,
        ["breaches", "create", "Lost laptop", "--severity", "P2", "--affected", "3",
         "--category", "contact", "--detected-at", "2026-12-04T23:30:00+05:30"],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    breach = document(created.output)
    assert breach["aware_ist"] == "2026-12-04 23:30 IST"
    clocks = {c["duty"]: c for c in breach["clocks"]}
    assert clocks["cert-in"]["due_ist"] == "2026-12-05 05:30 IST"
    hindi = runner.invoke(
        app, ["breaches", "draft", breach["id"], "dpdp-7-1-principals", "--lang", "hi"]
    )
    assert hindi.exit_code == 0, hindi.output
    assert "भारतीय डेटा संरक्षण बोर्ड" in hindi.output
    sent = runner.invoke(
        app, ["breaches", "notify", breach["id"], "cert-in", "--to", "incident@cert-in.org.in"]
    )
    assert sent.exit_code == 0, sent.output
    assert {c["duty"]: c for c in document(sent.output)["clocks"]}["cert-in"]["state"] in {
        "met",
        "met_late",
    }
    assert list((tmp_path / "outbox").glob("*.eml"))
    closed = runner.invoke(app, ["breaches", "update", breach["id"], "--status", "closed"])
    assert document(closed.output)["status"] == "closed"
    bad = runner.invoke(
        app, ["breaches", "create", "x y z", "--severity", "P1", "--affected", "1",
              "--category", "Not A Name"],
    )  # fmt: skip
    assert bad.exit_code == 1
    assert "not a category" in bad.output


def test_demo_seeds_one_open_breach_with_running_clocks(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'b.db'}")
    BREACH.metadata.create_all(engine, tables=[BREACH, EVENT])
    now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    register = BreachRegister(
        engine, InMemoryAuditLog(), FileOutbox(tmp_path / "out"), load_duties(), clock=lambda: now
    )
    assert "open breach" in seed_breach_demo(register, lambda: now)[0]
    (breach,) = register.breaches(open_only=True)
    states = {c.duty.id: c.state for c in register.clocks(breach)}
    assert states["gdpr-33"] == "running"
    assert states["cert-in"] == "running"  # 2 h of 6 gone
    assert seed_breach_demo(register, lambda: now) == ["breaches: demo breach already recorded"]
    assert len(register.breaches()) == 1
    assert now - breach.detected_at == timedelta(hours=2)


def test_grievance_nomination_and_ropa_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    refused = runner.invoke(app, ["grievances", "file", "C1", "no reply", "--filed-by", "C2"])
    assert refused.exit_code == 1
    assert "nomination" in refused.output
    nominated = runner.invoke(app, ["nominations", "add", "C1", "C2", "--relationship", "son"])
    assert nominated.exit_code == 0, nominated.output
    filed = runner.invoke(app, ["grievances", "file", "C1", "no reply", "--filed-by", "C2"])
    assert filed.exit_code == 0, filed.output
    grievance = document(filed.output)
    assert grievance["by_nominee"] is True
    moved = runner.invoke(app, ["grievances", "move", grievance["id"], "verify"])
    assert document(moved.output)["state"] == "verified"
    no_map = runner.invoke(app, ["ropa"])
    assert no_map.exit_code == 1
    assert "no data map" in no_map.output

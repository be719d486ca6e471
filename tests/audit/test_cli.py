"""``trustplane audit ...`` through typer's CliRunner, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

import audit.verify
from audit import AuditEventIn, AuditLog, EventType, Target, build_audit_log
from tests.audit.conftest import tamper
from trustplane.cli import app
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings
from trustplane.wiring.audit import audit_engine, audit_hmac_key, audit_signing_key

runner = CliRunner()


class Env:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine

    def log(self, *, days_ago: float = 0) -> AuditLog:
        """The same log the CLI opens (same keys and origin), optionally back-dated."""
        moment = datetime.now(UTC) - timedelta(days=days_ago)
        return build_audit_log(
            self.engine,
            hmac_key=audit_hmac_key(self.settings),
            signing_key=audit_signing_key(self.settings),
            origin=self.settings.audit.origin,
            clock=lambda: moment,
        )

    def seed(self, count: int, *, days_ago: float = 0) -> None:
        log = self.log(days_ago=days_ago)
        try:
            log.record_many(
                [
                    AuditEventIn(
                        type=EventType.DECISION,
                        target=Target(type="customer", id=f"c-{i}"),
                        details={"i": i, "email": f"user{i}@finsolve.example"},
                    )
                    for i in range(count)
                ]
            )
        finally:
            log.close()


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRUSTPLANE_DATABASE_URL", db_url)
    monkeypatch.delenv("TRUSTPLANE_MODE", raising=False)
    settings = Settings()
    main = make_engine(db_url)
    upgrade(main)
    engine = audit_engine(settings, main)
    yield Env(settings, engine)
    engine.dispose()
    main.dispose()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_verify_checkpoint_and_public_key(env: Env) -> None:
    env.seed(25)
    code, out = invoke("audit", "checkpoint")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == env.settings.audit.origin
    assert int(lines[1]) == 26  # the seeded events and the checkpoint request
    code, key = invoke("audit", "public-key")
    assert code == 0
    assert key.startswith(env.settings.audit.origin + "+")
    code, out = invoke("audit", "verify")
    assert code == 0, out
    assert "audit log verifies" in out
    code, out = invoke("audit", "verify", "--witness")  # the local archive dir by default
    assert code == 0, out
    assert "audit log verifies" in out


def test_verify_reports_an_edited_filter_column(env: Env) -> None:
    env.seed(20)
    tamper(env.engine, "UPDATE audit_event SET actor_id = 'nobody' WHERE seq = 7")
    code, out = invoke("audit", "verify", "--workers", "1")
    assert code == 1
    assert "filter column actor_id" in out
    assert "first bad index: 7" in out


@pytest.mark.parametrize("workers", ["1", "3"])
def test_verify_reports_the_first_bad_index(
    env: Env, workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit.verify, "MIN_SEGMENT", 4)  # 3 workers: segments of ~10 events
    env.seed(30)
    tamper(
        env.engine,
        "UPDATE audit_event SET canonical = :bytes WHERE seq = 12",
        bytes=b'{"forged":true}',
    )
    code, out = invoke("audit", "verify", "--workers", workers)
    assert code == 1
    assert "first bad index: 12" in out
    assert "does NOT verify" in out
    assert "verification stopped at the first problem" in out  # not "tree size N: 0 events"
    assert ": 0 events," not in out


def test_export_verifies_offline_and_tampering_is_found(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.seed(40)
    out_file = tmp_path / "export.jsonl"
    code, out = invoke("audit", "export", "--from", "5", "--to", "20", str(out_file))
    assert code == 0, out
    _, key = invoke("audit", "public-key")
    key_file = tmp_path / "audit.pub"
    key_file.write_text(key)
    # no database from here on: the settings point nowhere
    monkeypatch.setenv("TRUSTPLANE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path / "elsewhere"))
    for key_arg in (key.strip(), str(key_file)):
        code, out = invoke("audit", "verify-export", str(out_file), "--key", key_arg)
        assert code == 0, out
        assert "events [5, 20)" in out

    lines = out_file.read_text().splitlines()
    entry = json.loads(lines[3])  # index 7
    entry["event"]["details"]["i"] = 999
    lines[3] = json.dumps(entry)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    code, out = invoke("audit", "verify-export", str(bad), "--key", str(key_file))
    assert code == 1
    assert "first bad index: 7" in out

    dropped = tmp_path / "dropped.jsonl"
    original = out_file.read_text().splitlines()
    dropped.write_text("\n".join(original[:5] + original[6:]) + "\n")
    code, out = invoke("audit", "verify-export", str(dropped), "--key", str(key_file))
    assert code == 1
    assert "first bad index: 9" in out


def test_export_usage_errors(env: Env, tmp_path: Path) -> None:
    env.seed(3)
    code, out = invoke("audit", "export", "--from", "50", str(tmp_path / "x"))
    assert code == 2, out
    assert not (tmp_path / "x").exists()
    code, out = invoke("audit", "verify-export", str(tmp_path / "x"), "--key", "not-a-key")
    assert code == 2


def test_export_to_beyond_the_tree_is_clamped_and_outcomes_are_recorded(
    env: Env, tmp_path: Path
) -> None:
    """The README's ``--from 0 --to 1000`` works on a small log; a failed export is
    recorded as a failure, not as a successful ``audit_export`` (issue 15, item 15)."""
    env.seed(3)
    out_file = tmp_path / "export.jsonl"
    code, out = invoke("audit", "export", "--from", "0", "--to", "1000", str(out_file))
    assert code == 0, out
    assert "note: --to 1000 is beyond the tree (size 3)" in out
    assert "exported events [0, 3)" in out
    code, out = invoke("audit", "export", "--from", "50", str(tmp_path / "y"))
    assert code == 2, out
    log = env.log()
    try:
        documents = [e.document for e in log.events().events]
    finally:
        log.close()
    exports = [d for d in documents if d["type"] == "audit_export"]
    assert [(d["outcome"], d["details"]["from"], d["details"]["to"]) for d in exports] == [
        ("success", 0, 3),
        ("failure", 50, 4),
    ]
    assert exports[1]["details"]["reason"]


def test_verify_export_with_the_wrong_key_fails(env: Env, tmp_path: Path) -> None:
    env.seed(5)
    out_file = tmp_path / "export.jsonl"
    assert invoke("audit", "export", str(out_file))[0] == 0
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from audit.note import NoteSigner

    other = NoteSigner(env.settings.audit.origin, Ed25519PrivateKey.generate()).verifier.encode()
    code, out = invoke("audit", "verify-export", str(out_file), "--key", other)
    assert code == 1
    assert "does NOT verify" in out


def test_retention_archives_old_events_to_the_local_archive(env: Env) -> None:
    env.seed(12, days_ago=200)
    env.seed(3)
    code, out = invoke("audit", "retention")
    assert code == 0, out
    assert "archived 1 segment(s), purged 12 event(s)" in out
    segments = list((env.settings.data_dir / "audit-archive" / "segments").iterdir())
    assert len(segments) == 1
    assert (segments[0].stat().st_mode & 0o777) == 0o600
    assert "user1@finsolve.example" not in segments[0].read_text()
    code, out = invoke("audit", "verify")
    assert code == 0, out

"""``trustplane report|bundle ...`` and ``trustplane audit verify-proof`` through CliRunner."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from audit import AuditLog
from controls import ControlsService, store_and_record
from trustplane.cli import app
from trustplane.container import build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("reports-cli")
    patch = pytest.MonkeyPatch()
    patch.setenv("TRUSTPLANE_DATA_DIR", str(root / "data"))
    patch.setenv("TRUSTPLANE_DATABASE_URL", f"sqlite:///{root / 'tp.db'}")
    patch.delenv("TRUSTPLANE_MODE", raising=False)
    container = build_container(Settings())
    upgrade(container.engine)
    controls = container.controls
    log = container.audit
    assert isinstance(controls, ControlsService)
    assert isinstance(log, AuditLog)
    now = datetime.now(UTC)
    for day in range(3):
        store_and_record(
            controls.store,
            log,
            json.dumps({"iac": day}).encode(),
            collector="iac",
            scope="terraform",
            collected_at=now - timedelta(days=day, minutes=5),
        )
    container.close()
    yield root
    patch.undo()


@pytest.fixture(scope="module")
def key(data: Path) -> str:
    code, out = invoke("audit", "public-key")
    assert code == 0, out
    return out.strip()


@pytest.fixture(scope="module")
def bundle(data: Path) -> Path:
    path = data / "pci.zip"
    code, out = invoke("bundle", "create", "--framework", "pci_dss", "--output", str(path))
    assert code == 0, out
    assert "-> " + str(path) in out
    return path


def test_a_created_bundle_verifies_offline(bundle: Path, key: str) -> None:
    code, out = invoke("bundle", "verify", str(bundle), "--key", key)
    assert code == 0, out
    assert "bundle verifies: pci_dss" in out
    assert "3 evidence items" in out


def test_a_key_file_works_too(bundle: Path, key: str, tmp_path: Path) -> None:
    key_file = tmp_path / "auditor.key"
    key_file.write_text(key + "\n")
    code, out = invoke("bundle", "verify", str(bundle), "--key", str(key_file))
    assert code == 0, out


def test_an_added_file_fails_with_its_name(bundle: Path, key: str, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(bundle.read_bytes())
    with zipfile.ZipFile(tampered, "a") as archive:
        archive.writestr("evidence/planted.txt", b"trust me")
    code, out = invoke("bundle", "verify", str(tampered), "--key", key)
    assert code == 1
    assert "evidence/planted.txt: not listed in the manifest" in out
    assert "bundle does NOT verify" in out


def test_usage_errors_exit_2(bundle: Path, data: Path) -> None:
    assert invoke("bundle", "verify", str(bundle), "--key", "not-a-key")[0] == 2
    assert invoke("bundle", "verify", str(data / "none.zip"), "--key", "x+00+AA==")[0] == 2
    code, out = invoke("report", "create", "--framework", "nope")
    assert code == 2, out
    code, out = invoke("bundle", "create", "--framework", "gdpr", "--from", "2026-13-01")
    assert code == 2, out


def test_a_pdf_report_is_written(data: Path) -> None:
    target = data / "gdpr.pdf"
    code, out = invoke(
        "report", "create", "--framework", "gdpr", "--format", "pdf", "--output", str(target)
    )
    assert code == 0, out
    assert target.read_bytes().startswith(b"%PDF-")
    code, out = invoke("report", "list")
    assert code == 0
    assert "framework" in out
    assert "done" in out


def test_verify_proof_offline(data: Path, key: str, tmp_path: Path) -> None:
    container = build_container(Settings())
    try:
        log = container.audit
        assert isinstance(log, AuditLog)
        checkpoint = log.checkpoint()
        proof = {**log.inclusion_proof(1, checkpoint.tree_size).as_json()}
        proof["checkpoint"] = checkpoint.note
        event = log.event(1).as_json()
        other = log.event(2).as_json()
    finally:
        container.close()
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(json.dumps(proof))
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event))
    code, out = invoke(
        "audit", "verify-proof", str(proof_file), "--key", key, "--event", str(event_file)
    )
    assert code == 0, out
    assert "proof verifies: event 1" in out
    event_file.write_text(json.dumps({**other, "index": 1}))
    code, out = invoke(
        "audit", "verify-proof", str(proof_file), "--key", key, "--event", str(event_file)
    )
    assert code == 1
    assert "do not hash to the proof's leaf" in out
    proof["hashes"] = list(reversed(proof["hashes"]))
    proof_file.write_text(json.dumps(proof))
    code, out = invoke("audit", "verify-proof", str(proof_file), "--key", key)
    assert code == 1


def test_prune_deletes_artifacts_past_retention(tmp_path: Path) -> None:
    patch = pytest.MonkeyPatch()
    patch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path / "data"))
    patch.setenv("TRUSTPLANE_DATABASE_URL", f"sqlite:///{tmp_path / 'tp.db'}")
    patch.setenv("TRUSTPLANE_REPORTS__ARTIFACT_RETENTION_DAYS", "30")
    patch.delenv("TRUSTPLANE_MODE", raising=False)
    try:
        code, out = invoke("report", "create", "--kind", "privacy_performance", "-o", "/dev/null")
        assert code == 0, out
        found = re.search(r"^([0-9A-Z]{26}) privacy_performance [0-9a-f]{64} -> ", out, re.M)
        assert found, out
        job_id = found.group(1)
        artifact = tmp_path / "data" / "reports" / f"{job_id}.html"
        assert artifact.is_file()
        assert "pruned 0 artifact(s)" in invoke("report", "prune")[1]  # too young
        engine = create_engine(f"sqlite:///{tmp_path / 'tp.db'}")
        with engine.begin() as conn:  # built 31 days ago
            conn.execute(
                text("UPDATE reports_job SET finished_at = :at"),
                {"at": datetime.now(UTC) - timedelta(days=31)},
            )
        engine.dispose()
        code, out = invoke("report", "prune", "--dry-run")
        assert code == 0, out
        assert f"{job_id} privacy_performance" in out
        assert artifact.is_file()
        code, out = invoke("report", "prune")
        assert code == 0, out
        assert "pruned 1 artifact(s)" in out
        assert not artifact.is_file()
    finally:
        patch.undo()

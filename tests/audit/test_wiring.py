"""The composition root builds the durable log: keys, own SQLite file, witness, archive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from audit import (
    AuditError,
    AuditEventIn,
    AuditLog,
    AuditUnavailableError,
    EventType,
    LocalDirArchiveStore,
    RetentionService,
    S3ArchiveStore,
    Target,
    build_audit_log,
)
from trustplane.container import build_container
from trustplane.errors import ConfigurationError
from trustplane.migrations.runner import upgrade
from trustplane.settings import AuditSettings, ControlsSettings, Settings
from trustplane.wiring.audit import (
    audit_hmac_key,
    audit_signing_key,
    build_archive,
    build_audit,
    hmac_key_from_setting,
)

EVENT = AuditEventIn(type=EventType.ADMIN_ACTION, target=Target(type="test", id="1"))


def test_keys_are_created_0600_reused_and_refused_when_readable(
    tmp_path: Path, engine: Engine
) -> None:
    settings = Settings(data_dir=tmp_path)
    first = build_audit(settings, engine)
    second = build_audit(settings, engine)
    try:
        assert first.public_key() == second.public_key()
        assert first.hash_value("x") == second.hash_value("x")
    finally:
        first.close()
        second.close()
    for name in ("audit-signing.pem", "audit-hmac.key"):
        path = tmp_path / "keys" / name
        assert path.stat().st_mode & 0o777 == 0o600
    (tmp_path / "keys" / "audit-hmac.key").chmod(0o644)
    with pytest.raises(ConfigurationError, match="readable by others"):
        audit_hmac_key(settings)
    (tmp_path / "keys" / "audit-signing.pem").chmod(0o640)
    with pytest.raises(ConfigurationError, match="readable by others"):
        audit_signing_key(settings)


def test_hmac_key_setting_is_hex_or_text(tmp_path: Path) -> None:
    generated = audit_hmac_key(Settings(data_dir=tmp_path))
    file_text = (tmp_path / "keys" / "audit-hmac.key").read_text()
    from_env = Settings(data_dir=tmp_path / "other", audit=AuditSettings(hmac_key=file_text))
    assert audit_hmac_key(from_env) == generated  # the file's content works as the env value
    assert hmac_key_from_setting("a long passphrase, not hex") == b"a long passphrase, not hex"
    with pytest.raises(ConfigurationError, match="at least 16 bytes"):
        hmac_key_from_setting("abcd")
    with pytest.raises(ConfigurationError):
        audit_hmac_key(Settings(data_dir=tmp_path, audit=AuditSettings(hmac_key=SecretStr("x"))))


def test_container_runs_on_the_durable_log_with_witness_copies(db_url: str, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=db_url,
        audit=AuditSettings(checkpoint_every_events=1),
    )
    container = build_container(settings)
    upgrade(container.engine)
    log = container.audit
    assert isinstance(log, AuditLog)
    try:
        receipt = log.record(EVENT)
        assert log.event(receipt.seq).document["type"] == "admin_action"
        checkpoint = log.latest_checkpoint()
        assert checkpoint is not None
        witness = tmp_path / "audit-archive" / "checkpoints" / f"{checkpoint.tree_size:020d}.note"
        assert witness.read_text() == checkpoint.note
        checks = dict(container.readiness_checks())
        checks["audit_log"]()
        if db_url.startswith("sqlite"):
            assert (tmp_path / "audit.db").exists()
            assert log.store.engine is not container.engine
        else:
            assert log.store.engine is container.engine
    finally:
        container.close()
    with pytest.raises(AuditUnavailableError):
        log.record(EVENT)


def test_witness_copies_can_be_switched_off(tmp_path: Path, engine: Engine) -> None:
    settings = Settings(
        data_dir=tmp_path,
        audit=AuditSettings(checkpoint_every_events=1, witness_checkpoints=False),
    )
    log = build_audit(settings, engine)
    try:
        log.record(EVENT)
        log.checkpoint()
    finally:
        log.close()
    assert not (tmp_path / "audit-archive").exists()
    assert isinstance(build_archive(settings), LocalDirArchiveStore)


def _bucket(url: str) -> Any:
    factory: Any = boto3.client
    client = factory("s3", region_name="ap-south-1", endpoint_url=url)
    client.create_bucket(
        Bucket="fs-evidence",
        CreateBucketConfiguration={"LocationConstraint": "ap-south-1"},
        ObjectLockEnabledForBucket=True,
    )
    return client


def test_s3_archive_in_the_evidence_bucket(moto_url: str, tmp_path: Path, engine: Engine) -> None:
    client = _bucket(moto_url)
    settings = Settings(
        data_dir=tmp_path,
        audit=AuditSettings(archive_backend="s3", archive_retention_days=400),
        controls=ControlsSettings(
            evidence_backend="s3", evidence_s3_bucket="fs-evidence", aws_endpoint_url=moto_url
        ),
    )
    archive = build_archive(settings)
    assert isinstance(archive, S3ArchiveStore)
    now = [datetime.now(UTC) - timedelta(days=120)]
    log = build_audit_log(
        engine,
        hmac_key=audit_hmac_key(settings),
        signing_key=audit_signing_key(settings),
        origin=settings.audit.origin,
        witness=archive,
        checkpoint_every_events=5,
        clock=lambda: now[0],
    )
    try:
        log.record_many([EVENT] * 8)
        now[0] = datetime.now(UTC)
        report = RetentionService(log, archive, hot_days=90, archive_days=400).run()
    finally:
        log.close()
    assert report.purged_events == 8
    assert len(report.archived) == 1
    key = "audit/" + report.archived[0]
    head = client.head_object(Bucket="fs-evidence", Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert (head["ObjectLockRetainUntilDate"] - datetime.now(UTC)).days >= 399
    notes = client.list_objects_v2(Bucket="fs-evidence", Prefix="audit/checkpoints/")
    assert notes["KeyCount"] >= 1
    archive.put(report.archived[0], archive.get(report.archived[0]))  # same bytes: no-op
    with pytest.raises(AuditError, match="other content"):
        archive.put(report.archived[0], b"replacement")
    with pytest.raises(AuditError, match="missing"):
        archive.get("segments/none.jsonl")
    with pytest.raises(AuditError):
        archive.put("../escape", b"x")


def test_s3_archive_needs_a_bucket(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, audit=AuditSettings(archive_backend="s3"))
    with pytest.raises(ConfigurationError, match="BUCKET"):
        build_archive(settings)

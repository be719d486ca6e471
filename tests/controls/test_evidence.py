"""Evidence stores: content-addressed, never overwritten, hashes verify, audited."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import AuditUnavailableError, EventType, InMemoryAuditLog
from controls.errors import EvidenceIntegrityError, EvidenceNotFoundError
from controls.evidence import (
    EvidenceStore,
    InMemoryEvidenceStore,
    LocalEvidenceStore,
    S3EvidenceStore,
    sha256_hex,
    store_and_record,
)

T1 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _s3_store(url: str, retention_days: int = 366) -> tuple[S3EvidenceStore, Any]:
    factory: Any = boto3.client
    client = factory("s3", region_name="ap-south-1", endpoint_url=url)
    client.create_bucket(
        Bucket="fs-evidence",
        CreateBucketConfiguration={"LocationConstraint": "ap-south-1"},
        ObjectLockEnabledForBucket=True,
    )
    return S3EvidenceStore(client, "fs-evidence", retention_days=retention_days), client


@pytest.fixture(params=["local", "s3", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> EvidenceStore:
    if request.param == "local":
        return LocalEvidenceStore(tmp_path / "evidence")
    if request.param == "memory":
        return InMemoryEvidenceStore()
    return _s3_store(request.getfixturevalue("moto_url"))[0]


def test_put_is_content_addressed_and_first_write_wins(store: EvidenceStore) -> None:
    first = store.put(b'{"a": 1}', collector="aws", scope="aws:ap-south-1", collected_at=T1)
    assert first.sha256 == sha256_hex(b'{"a": 1}')
    again = store.put(b'{"a": 1}', collector="tls", scope="other", collected_at=T2)
    assert again == first  # never overwritten: the original metadata stays
    assert store.get(first.sha256) == b'{"a": 1}'
    assert store.meta(first.sha256).collected_at == T1
    assert store.exists(first.sha256)
    assert not store.exists(sha256_hex(b"other"))


def test_unknown_and_malformed_addresses(store: EvidenceStore) -> None:
    with pytest.raises(EvidenceNotFoundError):
        store.get(sha256_hex(b"missing"))
    with pytest.raises(EvidenceNotFoundError):
        store.meta(sha256_hex(b"missing"))
    with pytest.raises(EvidenceNotFoundError):
        store.get("../../etc/passwd")


def test_local_store_detects_tampering_and_keeps_files_read_only(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path)
    meta = store.put(b"evidence", collector="iac", scope="iac:.", collected_at=T1)
    path = tmp_path / meta.sha256[:2] / meta.sha256
    assert path.stat().st_mode & 0o777 == 0o400  # read-only, owner only
    os.chmod(path, 0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(EvidenceIntegrityError):
        store.get(meta.sha256)
    # a second put never repairs or replaces what is there
    store.put(b"evidence", collector="iac", scope="iac:.", collected_at=T2)
    assert path.read_bytes() == b"tampered"


@pytest.mark.moto
def test_s3_store_locks_objects_in_compliance_mode(moto_url: str) -> None:
    store, client = _s3_store(moto_url, retention_days=400)
    meta = store.put(b"locked", collector="aws", scope="aws", collected_at=datetime.now(UTC))
    key = f"evidence/sha256/{meta.sha256}"
    head = client.head_object(Bucket="fs-evidence", Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    retain = head["ObjectLockRetainUntilDate"]
    assert (retain - datetime.now(UTC)).days >= 399
    store.put(b"locked", collector="aws", scope="aws", collected_at=datetime.now(UTC))
    versions = client.list_object_versions(Bucket="fs-evidence", Prefix=key)["Versions"]
    assert len(versions) == 1
    with pytest.raises(ClientError):
        client.delete_object(Bucket="fs-evidence", Key=key, VersionId=versions[0]["VersionId"])
    assert store.get(meta.sha256) == b"locked"


@pytest.mark.moto
def test_s3_store_detects_a_substituted_object(moto_url: str) -> None:
    store, client = _s3_store(moto_url)
    digest = sha256_hex(b"real")
    client.put_object(
        Bucket="fs-evidence",
        Key=f"evidence/sha256/{digest}",
        Body=b"forged",
        Metadata={"collector": "x", "scope": "x", "collected-at": T1.isoformat()},
    )
    with pytest.raises(EvidenceIntegrityError):
        store.get(digest)


def test_s3_store_refuses_non_positive_retention() -> None:
    with pytest.raises(ValueError, match="retention"):
        S3EvidenceStore(object(), "b", retention_days=0)


def test_store_and_record_audits_the_hash(tmp_path: Path) -> None:
    log = InMemoryAuditLog()
    meta = store_and_record(
        LocalEvidenceStore(tmp_path), log, b"{}", collector="tls", scope="tls:x", collected_at=T1
    )
    (event,) = log.events
    assert event.type is EventType.EVIDENCE_COLLECTED
    assert event.target.id == meta.sha256
    assert event.details["sha256"] == meta.sha256
    log.fail = True
    with pytest.raises(AuditUnavailableError):
        store_and_record(
            LocalEvidenceStore(tmp_path), log, b"[]", collector="tls", scope="x", collected_at=T1
        )


@settings(max_examples=50, deadline=None)
@given(content=st.binary(max_size=2048))
def test_round_trip_any_bytes(tmp_path_factory: pytest.TempPathFactory, content: bytes) -> None:
    store = LocalEvidenceStore(tmp_path_factory.mktemp("ev"))
    meta = store.put(content, collector="x", scope="y", collected_at=T1)
    assert store.get(meta.sha256) == content
    assert meta.size == len(content)

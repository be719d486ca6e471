"""Offline-verifiable exports and retention tiers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import (
    AuditArchivedError,
    AuditError,
    AuditIntegrityError,
    AuditLog,
    AuditRangeError,
    LocalDirArchiveStore,
    RetentionService,
    export_lines,
    verify_export,
)
from audit.note import NoteSigner
from tests.audit.conftest import ORIGIN, Clock, event


def exported(log: AuditLog, start: int, end: int) -> list[str]:
    return list(export_lines(log.store, log.checkpoint(), start, end))


def test_export_verifies_offline_and_tampering_is_found(audit_log: AuditLog) -> None:
    audit_log.record_many([event(i, email="x@example.in") for i in range(40)])
    lines = exported(audit_log, 5, 23)
    key = audit_log.public_key()
    from audit import NoteVerifier

    verifier = NoteVerifier.parse(key)
    report = verify_export(lines, verifier, ORIGIN)
    assert report.ok
    assert report.events == 18
    assert (report.start, report.end) == (5, 23)
    whole = exported(audit_log, 0, 40)
    assert verify_export(whole, verifier).ok

    def mutate(index: int, change: Callable[[dict[str, object]], None]) -> list[str]:
        copy = list(lines)
        entry = json.loads(copy[index])
        change(entry)
        copy[index] = json.dumps(entry)
        return copy

    def edit_event(entry: dict[str, object]) -> None:
        entry["event"] = {**entry["event"], "outcome": "failure"}  # type: ignore[dict-item]

    def edit_canonical(entry: dict[str, object]) -> None:
        import base64

        raw = base64.b64decode(str(entry["canonical"])).replace(b"success", b"failure")
        entry["canonical"] = base64.b64encode(raw).decode()
        entry["event"] = json.loads(raw)

    cases = {
        "edited readable event": (mutate(3, edit_event), 7),
        "edited canonical bytes": (mutate(3, edit_canonical), 5),
        "deleted line": ([*lines[:3], *lines[4:]], 7),
        "reordered lines": ([lines[0], lines[2], lines[1], *lines[3:]], 5),
        "truncated": (lines[:-1], 22),
        "garbage line": ([*lines[:2], "{", *lines[2:]], 6),
    }
    for name, (bad, index) in cases.items():
        result = verify_export(bad, verifier)
        assert not result.ok, name
        assert result.first_bad_index == index, (name, result.problems)
    header = json.loads(lines[0])
    forged = dict(header, checkpoint=header["checkpoint"].replace("\n40\n", "\n41\n"))
    assert not verify_export([json.dumps(forged), *lines[1:]], verifier).ok
    other = NoteSigner(ORIGIN, Ed25519PrivateKey.generate()).verifier
    assert not verify_export(lines, other).ok
    short = dict(header, range_proof=header["range_proof"][:-1])
    assert not verify_export([json.dumps(short), *lines[1:]], verifier).ok
    long = dict(header, range_proof=[*header["range_proof"], "00" * 32])
    assert not verify_export([json.dumps(long), *lines[1:]], verifier).ok
    assert not verify_export([], verifier).ok
    assert not verify_export(['{"format": "other"}'], verifier).ok
    assert not verify_export(["{}"], verifier).ok
    assert not verify_export([json.dumps(dict(header, tree_size=3)), *lines[1:]], verifier).ok
    with pytest.raises(AuditRangeError):
        exported(audit_log, 5, 5)


def test_archive_store_refuses_escapes_and_overwrites(tmp_path: Path) -> None:
    store = LocalDirArchiveStore(tmp_path)
    store.put("a/b.txt", b"1")
    store.put("a/b.txt", b"1")
    assert store.get("a/b.txt") == b"1"
    with pytest.raises(AuditError):
        store.put("a/b.txt", b"2")
    for name in ("../x", "/etc/x", ""):
        with pytest.raises(AuditError):
            store.put(name, b"x")
    store.delete("a/b.txt")
    with pytest.raises(AuditError):
        store.get("a/b.txt")


def test_retention_archives_verifies_purges_and_expires(
    make_log: Callable[..., AuditLog], tmp_path: Path
) -> None:
    clock = Clock()
    log = make_log(clock=clock)
    archive = LocalDirArchiveStore(tmp_path / "archive")
    service = RetentionService(log, archive, hot_days=90, archive_days=366, segment_events=8)
    log.record_many([event(i) for i in range(20)])
    assert service.run().archived == []  # nothing is old yet
    clock.advance(days=100)
    log.record_many([event(i) for i in range(20, 25)])
    report = service.run()
    assert report.archived == [
        "segments/00000000000000000000-00000000000000000008.jsonl",
        "segments/00000000000000000008-00000000000000000016.jsonl",
        "segments/00000000000000000016-00000000000000000020.jsonl",
    ]
    assert report.purged_events == 20
    assert report.expired == []
    with pytest.raises(AuditArchivedError):
        log.event(3)
    assert log.event(20).seq == 20
    # the tree over all time still verifies and still proves archived leaves
    assert log.verify().ok
    proof = log.inclusion_proof(3)
    segment = archive.get(report.archived[0]).decode().splitlines()
    assert verify_export(segment, log.verifier, ORIGIN).ok
    assert json.loads(segment[4])["leaf_hash"] == proof.leaf_hash.hex()
    with pytest.raises(AuditArchivedError):
        exported(log, 0, 22)
    clock.advance(days=200)
    later = service.run()
    assert later.expired == []  # kept at least a year
    assert later.archived == ["segments/00000000000000000020-00000000000000000025.jsonl"]
    clock.advance(days=80)
    assert service.run().expired == report.archived  # the newer segment stays
    with pytest.raises(AuditError):
        archive.get(report.archived[0])
    assert log.verify().ok


def test_rows_stay_when_the_archive_copy_does_not_verify(
    make_log: Callable[..., AuditLog], tmp_path: Path
) -> None:
    clock = Clock()
    log = make_log(clock=clock)
    archive = LocalDirArchiveStore(tmp_path / "archive")
    service = RetentionService(log, archive, hot_days=1)
    log.record_many([event(i) for i in range(5)])
    clock.advance(days=2)
    names = service.archive_due()
    path = tmp_path / "archive" / names[0]
    path.chmod(0o600)
    path.write_bytes(path.read_bytes().replace(b"success", b"failure"))
    with pytest.raises(AuditIntegrityError):
        service.purge_verified()
    assert log.event(0).seq == 0
    with pytest.raises(AuditError):
        RetentionService(log, archive, archive_days=30)

"""A bundle verifies offline; any changed, missing or added byte fails with the file named."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import AuditLog, CheckpointBody, open_checkpoint
from audit.note import NoteSigner
from controls import LocalEvidenceStore
from reports import BundleReport, Window, parse_key, select_evidence, verify_bundle, write_bundle
from reports.bundle.layout import (
    CHECKPOINT,
    EVENTS,
    MANIFEST,
    PROOFS,
    PUBLIC_KEY,
    compact_json_bytes,
)
from tests.reports.conftest import ORIGIN, WINDOW_END, WINDOW_START, seed_week

DOCUMENTS = {
    "report.html": b"<!doctype html><title>PCI DSS report</title><h1>Executive summary</h1>",
    "oscal/assessment-results.json": b'{"assessment-results": {}}\n',
}


@pytest.fixture
def bundle(tmp_path: Path, audit_log: AuditLog, evidence_store: LocalEvidenceStore) -> Path:
    seed_week(evidence_store, audit_log)
    selection = select_evidence(audit_log, "pci_dss", Window(WINDOW_START, WINDOW_END))
    path = tmp_path / "bundle.zip"
    write_bundle(selection, DOCUMENTS, path, log=audit_log, store=evidence_store, bundle_id="b-1")
    return path


def verify(path: Path, audit_log: AuditLog) -> BundleReport:
    return verify_bundle(path, parse_key(audit_log.public_key()))


def rewrite(path: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """A copy of the bundle with ``change`` applied to its files (CRCs recomputed, as an
    attacker who rebuilds the zip would)."""
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    change(files)
    out = path.with_name("tampered.zip")
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_a_fresh_bundle_verifies_offline(bundle: Path, audit_log: AuditLog) -> None:
    report = verify(bundle, audit_log)
    assert report.ok, report.problems
    assert report.framework == "pci_dss"
    assert report.evidence_items == 5  # the item collected before the window stays out
    assert report.events_checked == 5 + 1 + 1  # evidence, control result, the bundle itself


def test_the_layout_is_the_documented_one(bundle: Path) -> None:
    present = set(names(bundle))
    assert {MANIFEST, EVENTS, CHECKPOINT, PROOFS, PUBLIC_KEY, *DOCUMENTS} <= present
    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        proofs = json.loads(archive.read(PROOFS))
        lines = archive.read(EVENTS).splitlines()
    assert manifest["window"] == {
        "from": "2026-11-23T00:00:00.000000Z",
        "to": "2026-11-30T00:00:00.000000Z",
    }
    assert set(manifest["files"]) == present - {MANIFEST, EVENTS, CHECKPOINT, PROOFS, PUBLIC_KEY}
    evidence = [p for p in present if p.startswith("evidence/") and not p.endswith(".json")]
    assert len(evidence) == 5
    assert all(f"{p}.json" in present for p in evidence)
    assert set(proofs["proofs"]) == {str(json.loads(line)["index"]) for line in lines}


def test_each_item_shows_when_it_was_collected_and_stored(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        metas = [
            json.loads(archive.read(name))
            for name in archive.namelist()
            if name.startswith("evidence/") and name.endswith(".json")
        ]
    assert {m["stored_at"] for m in metas} == {"2026-11-29T12:00:00.000000Z"}
    assert sorted(m["collected_at"][:10] for m in metas) == [
        "2026-11-23",
        "2026-11-24",
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
    ]


def _flip(content: bytes, at: int) -> bytes:
    position = at % len(content)
    return content[:position] + bytes([content[position] ^ 0x01]) + content[position + 1 :]


@pytest.mark.parametrize("at", [0, 17, -2])
def test_flipping_one_byte_of_any_file_fails_naming_it(
    bundle: Path, audit_log: AuditLog, at: int
) -> None:
    for name in names(bundle):

        def flip(files: dict[str, bytes], name: str = name) -> None:
            files[name] = _flip(files[name], at)

        report = verify(rewrite(bundle, flip), audit_log)
        assert not report.ok, name
        assert name in report.broken_files(), (name, report.problems)


def test_a_byte_flipped_inside_the_archive_names_the_entry(
    bundle: Path, audit_log: AuditLog
) -> None:
    with zipfile.ZipFile(bundle) as archive:
        info = archive.getinfo("report.html")
    raw = bytearray(bundle.read_bytes())
    data_start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[data_start + 3] ^= 0x20
    bundle.write_bytes(bytes(raw))
    report = verify(bundle, audit_log)
    assert "report.html" in report.broken_files(), report.problems


def test_a_dropped_proof_fails(bundle: Path, audit_log: AuditLog) -> None:
    def drop(files: dict[str, bytes]) -> None:
        document = json.loads(files[PROOFS])
        dropped = sorted(document["proofs"])[0]
        del document["proofs"][dropped]
        files[PROOFS] = compact_json_bytes(document)

    report = verify(rewrite(bundle, drop), audit_log)
    assert PROOFS in report.broken_files()
    assert any("no well-formed inclusion proof" in p.message for p in report.problems)


def test_a_dropped_event_line_fails(bundle: Path, audit_log: AuditLog) -> None:
    def drop(files: dict[str, bytes]) -> None:
        files[EVENTS] = b"".join(files[EVENTS].splitlines(keepends=True)[1:])

    report = verify(rewrite(bundle, drop), audit_log)
    assert not report.ok
    assert PROOFS in report.broken_files()  # a proof for an event no longer listed


def test_a_checkpoint_signed_by_another_key_fails(bundle: Path, audit_log: AuditLog) -> None:
    other = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())

    def swap(files: dict[str, bytes]) -> None:
        body = open_checkpoint(files[CHECKPOINT].decode(), audit_log.verifier)
        files[CHECKPOINT] = other.sign(body.encode()).encode()

    report = verify(rewrite(bundle, swap), audit_log)
    assert CHECKPOINT in report.broken_files()

    # and the other key's own public key in the bundle does not help: the auditor's key rules
    def swap_both(files: dict[str, bytes]) -> None:
        swap(files)
        files[PUBLIC_KEY] = (other.verifier.encode() + "\n").encode()

    report = verify(rewrite(bundle, swap_both), audit_log)
    assert {CHECKPOINT, PUBLIC_KEY} <= report.broken_files()


def test_a_rebuilt_log_under_another_key_does_not_pass_for_the_auditors(
    bundle: Path, audit_log: AuditLog
) -> None:
    """An attacker re-signs a checkpoint over a tree of their own: signature fails."""
    other = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())

    def resign(files: dict[str, bytes]) -> None:
        body = CheckpointBody(ORIGIN, 3, bytes(32)).encode()
        files[CHECKPOINT] = other.sign(body).encode()

    report = verify(rewrite(bundle, resign), audit_log)
    assert CHECKPOINT in report.broken_files()


def test_an_added_file_fails_naming_it(bundle: Path, audit_log: AuditLog) -> None:
    for added in ("notes.txt", "evidence/" + "0" * 64, "audit/extra.json"):

        def add(files: dict[str, bytes], added: str = added) -> None:
            files[added] = b"not in the manifest"

        report = verify(rewrite(bundle, add), audit_log)
        assert added in report.broken_files(), report.problems


def test_a_proof_file_listed_and_a_file_added_are_both_named(
    bundle: Path, audit_log: AuditLog
) -> None:
    """Listing a proof file and adding an unlisted one keep the counts of a sound bundle:
    each is still named."""

    def list_and_add(files: dict[str, bytes]) -> None:
        import hashlib

        manifest = json.loads(files[MANIFEST])
        manifest["files"][PROOFS] = hashlib.sha256(files[PROOFS]).hexdigest()
        files[MANIFEST] = compact_json_bytes(manifest)
        files["notes.txt"] = b"not in the manifest"

    report = verify(rewrite(bundle, list_and_add), audit_log)
    assert {PROOFS, "notes.txt", MANIFEST} <= report.broken_files(), report.problems


def test_a_report_edited_with_its_manifest_updated_still_fails(
    bundle: Path, audit_log: AuditLog
) -> None:
    """The manifest's hash is bound to the log: re-listing an edited report breaks it."""

    def edit(files: dict[str, bytes]) -> None:
        import hashlib

        files["report.html"] = files["report.html"].replace(b"PCI", b"XYZ")
        manifest = json.loads(files[MANIFEST])
        manifest["files"]["report.html"] = hashlib.sha256(files["report.html"]).hexdigest()
        files[MANIFEST] = (json.dumps(manifest, sort_keys=True, indent=2) + "\n").encode()

    report = verify(rewrite(bundle, edit), audit_log)
    assert report.broken_files() == {MANIFEST}


def test_a_missing_file_fails_naming_it(bundle: Path, audit_log: AuditLog) -> None:
    for gone in ("report.html", CHECKPOINT, PROOFS):

        def remove(files: dict[str, bytes], gone: str = gone) -> None:
            del files[gone]

        report = verify(rewrite(bundle, remove), audit_log)
        assert gone in report.broken_files(), report.problems


def test_not_a_zip_is_reported(tmp_path: Path, audit_log: AuditLog) -> None:
    path = tmp_path / "junk.zip"
    path.write_bytes(b"junk")
    assert not verify(path, audit_log).ok
    assert not verify_bundle(io.BytesIO(b""), parse_key(audit_log.public_key())).ok


def test_bytes_added_outside_every_member_fail(bundle: Path, audit_log: AuditLog) -> None:
    """Any added byte is reported, also where an extractor looks away: an archive comment,
    bytes before the first member (zipfile reads both without a word)."""
    commented = bundle.with_name("commented.zip")
    commented.write_bytes(bundle.read_bytes())
    with zipfile.ZipFile(commented, "a") as archive:
        archive.comment = b"added after the bundle was built"
    prepended = bundle.with_name("prepended.zip")
    prepended.write_bytes(b"#!/bin/sh\n" + bundle.read_bytes())
    for changed in (commented, prepended):
        with zipfile.ZipFile(changed) as archive:
            assert archive.testzip() is None
        report = verify(changed, audit_log)
        assert "<bundle>" in report.broken_files(), (changed.name, report.problems)


def test_a_data_byte_changed_with_its_crc_names_the_member(
    bundle: Path, audit_log: AuditLog
) -> None:
    """A member's bytes changed and its CRC-32 recomputed in both headers, as an attacker
    editing the archive in place would: the manifest's hash still names the file."""
    raw = bytearray(bundle.read_bytes())
    with zipfile.ZipFile(bundle) as archive:
        start_dir = archive.start_dir
        info = next(
            i
            for i in archive.infolist()
            if i.filename.startswith("evidence/") and i.compress_type == zipfile.ZIP_STORED
        )
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start] ^= 0x01
    crc = zlib.crc32(bytes(raw[start : start + info.compress_size]))
    struct.pack_into("<L", raw, info.header_offset + 14, crc)
    at = start_dir
    while raw[at : at + 4] == b"PK\x01\x02":
        lengths = struct.unpack_from("<3H", raw, at + 28)
        if bytes(raw[at + 46 : at + 46 + lengths[0]]) == info.filename.encode():
            struct.pack_into("<L", raw, at + 16, crc)
        at += 46 + sum(lengths)
    bundle.write_bytes(bytes(raw))
    report = verify(bundle, audit_log)
    assert info.filename in report.broken_files(), report.problems

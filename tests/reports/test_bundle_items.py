"""An item collected more than once is one file and one metadata document listing every
collection, earliest first; its first logged event decides how it is stored."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path

from audit import AuditLog
from controls import LocalEvidenceStore, store_and_record
from reports import Window, parse_key, select_evidence, verify_bundle, write_bundle
from reports.bundle.build import STORE_BELOW
from tests.reports.conftest import WINDOW_END, WINDOW_START

BIG = json.dumps({"check": "tls", "padding": "x" * (2 * STORE_BELOW)}).encode()


def test_an_item_collected_twice_lists_both_collections_earliest_first(
    tmp_path: Path, audit_log: AuditLog, evidence_store: LocalEvidenceStore
) -> None:
    late, early = WINDOW_START + timedelta(days=4), WINDOW_START + timedelta(days=1)
    kept = store_and_record(
        evidence_store, audit_log, BIG, collector="tls", scope="api", collected_at=late
    )
    # the same bytes again, logged later but collected earlier, under another type
    store_and_record(
        evidence_store,
        audit_log,
        BIG,
        collector="tls-again",
        scope="api-2",
        collected_at=early,
        media_type="application/zip",
    )
    other = store_and_record(
        evidence_store, audit_log, b'{"other": 1}', collector="iac", scope="tf", collected_at=early
    )
    selection = select_evidence(audit_log, "pci_dss", Window(WINDOW_START, WINDOW_END))
    path = tmp_path / "bundle.zip"
    result = write_bundle(selection, {}, path, log=audit_log, store=evidence_store, bundle_id="b")

    assert verify_bundle(path, parse_key(audit_log.public_key())).ok
    assert result.evidence_items == 2
    with zipfile.ZipFile(path) as archive:
        meta = json.loads(archive.read(f"evidence/{kept.sha256}.json"))
        info = archive.getinfo(f"evidence/{kept.sha256}")
        assert (
            json.loads(archive.read(f"evidence/{other.sha256}.json"))["audit_events"][0]["index"]
            == 2
        )
    assert [event["index"] for event in meta["audit_events"]] == [1, 0]
    assert meta["collected_at"].startswith((WINDOW_START + timedelta(days=1)).date().isoformat())
    assert (meta["collector"], meta["scope"]) == ("tls-again", "api-2")  # the earliest's
    # the first logged event said application/json: deflated, not stored as a zip would be
    assert info.compress_type == zipfile.ZIP_DEFLATED

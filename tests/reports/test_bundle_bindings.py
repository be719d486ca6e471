"""The evidence bindings a bundle must hold, checked on crafted inputs (as a dishonest
builder holding the signing key could make them): whether the bulk check or the item by
item one runs, each broken binding is reported, naming the file."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from reports.bundle.layout import MANIFEST
from reports.bundle.verify import BundleReport, _check_bindings, _Proven

WINDOW = {"from": "2026-11-01T00:00:00Z", "to": "2026-11-08T00:00:00Z"}
INSIDE = "2026-11-03T10:00:00.000000Z"


def _item(text: str, collected_at: Any = INSIDE) -> tuple[str, bytes, bytes]:
    content = text.encode()
    digest = hashlib.sha256(content).hexdigest()
    meta = json.dumps({"collected_at": collected_at, "sha256": digest}).encode()
    return digest, content, meta


def _bundle(
    items: list[tuple[str, bytes, bytes]],
) -> tuple[dict[str, bytes], dict[str, Any], set[str], _Proven]:
    files: dict[str, bytes] = {}
    listed: dict[str, str] = {}
    for digest, content, meta in items:
        files[f"evidence/{digest}"] = content
        files[f"evidence/{digest}.json"] = meta
        listed[f"evidence/{digest}"] = hashlib.sha256(content).hexdigest()
        listed[f"evidence/{digest}.json"] = hashlib.sha256(meta).hexdigest()
    manifest = {"files": listed, "window": WINDOW}
    files[MANIFEST] = json.dumps(manifest).encode()
    proven = _Proven(
        evidence={digest: [n] for n, (digest, _, _) in enumerate(items)},
        manifests={hashlib.sha256(files[MANIFEST]).hexdigest()},
    )
    return files, manifest, set(listed), proven


def _problems(
    files: dict[str, bytes], manifest: dict[str, Any], matching: set[str], proven: _Proven
) -> list[str]:
    report = BundleReport()
    _check_bindings(files, manifest, matching, proven, report)
    return [str(problem) for problem in report.problems]


ITEMS = [_item(f"artifact {n}") for n in range(5)]


def test_bindings_that_hold_report_nothing() -> None:
    assert _problems(*_bundle(ITEMS)) == []


@pytest.mark.parametrize(
    "collected_at",
    [
        "2026-10-31T23:59:59Z",  # before the window
        "2026-11-08T00:00:00Z",  # the window's end is not in it
        "2026-11-03T10:00:00",  # no offset: cannot be placed
        "yesterday",
        17,
    ],
)
def test_an_item_collected_outside_the_window_is_named(collected_at: Any) -> None:
    odd = _item("odd one", collected_at)
    assert _problems(*_bundle([*ITEMS, odd])) == [
        f"evidence/{odd[0]}.json: collected outside the bundle's window"
    ]


def test_metadata_without_a_collection_time_is_named() -> None:
    digest, content, _ = _item("no time")
    odd = (digest, content, b'{"sha256": "%s"}' % digest.encode())
    assert _problems(*_bundle([*ITEMS, odd])) == [
        f"evidence/{digest}.json: collected outside the bundle's window"
    ]


def test_an_item_no_proven_event_records_is_named() -> None:
    files, manifest, matching, proven = _bundle(ITEMS)
    del proven.evidence[ITEMS[2][0]]
    assert _problems(files, manifest, matching, proven) == [
        f"evidence/{ITEMS[2][0]}: no proven evidence_collected event records this item's hash"
    ]


def test_a_proven_item_the_bundle_lacks_is_named() -> None:
    files, manifest, matching, proven = _bundle(ITEMS)
    missing = hashlib.sha256(b"left out").hexdigest()
    proven.evidence[missing] = [99]
    assert _problems(files, manifest, matching, proven) == [
        f"evidence/{missing}: an evidence event records it but the bundle lacks it"
    ]


def test_missing_metadata_is_named() -> None:
    files, manifest, matching, proven = _bundle(ITEMS)
    del files[f"evidence/{ITEMS[1][0]}.json"]
    matching.discard(f"evidence/{ITEMS[1][0]}.json")
    assert _problems(files, manifest, matching, proven) == [
        f"evidence/{ITEMS[1][0]}.json: missing (every evidence item has its metadata)"
    ]


def test_an_item_whose_content_does_not_hash_to_its_name_is_named() -> None:
    files, manifest, matching, proven = _bundle(ITEMS)
    path = f"evidence/{ITEMS[3][0]}"
    files[path] = b"swapped content"
    manifest["files"][path] = hashlib.sha256(b"swapped content").hexdigest()
    assert _problems(files, manifest, matching, proven) == [
        f"{path}: content does not hash to its name"
    ]


def test_a_manifest_no_proven_event_records_is_named() -> None:
    files, manifest, matching, proven = _bundle(ITEMS)
    proven.manifests.clear()
    assert _problems(files, manifest, matching, proven) == [
        "manifest.json: its SHA-256 is not recorded by any proven audit event"
    ]

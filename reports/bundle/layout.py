"""The auditor evidence bundle's fixed layout (one place both builder and verifier read).

::

    manifest.json             framework, window, generated_at, files: {path: sha256 hex}
    report.html, report.pdf
    oscal/assessment-results.json
    evidence/<sha256>         the raw artifact; evidence/<sha256>.json its metadata
    audit/events.jsonl        {"index", "canonical": base64, ...} one line per event
    audit/checkpoint.txt      C2SP signed note whose tree holds every listed event
    audit/proofs.json         {"tree_size": N, "proofs": {"<index>": [hex, ...]}}
    audit/public-key.txt      the verifier key (informative: the auditor brings their own)

Everything but the four ``audit/`` files is listed in the manifest; the manifest's SHA-256
is recorded in the log as the bundle's own event, which is among ``audit/events.jsonl``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

MANIFEST = "manifest.json"
EVENTS = "audit/events.jsonl"
CHECKPOINT = "audit/checkpoint.txt"
PROOFS = "audit/proofs.json"
PUBLIC_KEY = "audit/public-key.txt"
PROOF_FILES = frozenset({EVENTS, CHECKPOINT, PROOFS, PUBLIC_KEY})
EVIDENCE_DIR = "evidence/"
REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
ASSESSMENT_RESULTS = "oscal/assessment-results.json"

# what the bundle's own audit event carries (type report_generated)
BUNDLE_TARGET = "evidence_bundle"
MANIFEST_DIGEST_KEY = "manifest_sha256"
EVIDENCE_EVENT = "evidence_collected"
CONTROL_EVENT = "control_result"
BUNDLE_EVENT = "report_generated"


def json_bytes(document: Any) -> bytes:
    """Stable, readable JSON (sorted keys, two-space indent, trailing newline)."""
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def compact_json_bytes(document: Any) -> bytes:
    """Stable compact JSON (sorted keys, no spaces, trailing newline): per-item files, where
    the C encoder's speed matters (an indent makes ``json`` fall back to pure Python)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text + "\n").encode()


def evidence_path(sha256: str) -> str:
    return f"{EVIDENCE_DIR}{sha256}"


def evidence_meta_path(sha256: str) -> str:
    return f"{EVIDENCE_DIR}{sha256}.json"


def event_line(index: int, canonical: bytes) -> bytes:
    """One line of ``audit/events.jsonl`` in its one canonical spelling (what
    ``json.dumps(..., sort_keys=True, separators=(",", ":"))`` writes, built directly)."""
    return b'{"canonical":"%s","index":%d}\n' % (base64.b64encode(canonical), index)

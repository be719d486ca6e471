"""Auditor evidence bundles: the layout, the builder and the offline verifier."""

from reports.bundle.build import (
    BundleLog,
    BundleResult,
    EvidenceReader,
    EvidenceRecord,
    Selection,
    Window,
    select_evidence,
    write_bundle,
)
from reports.bundle.verify import BundleReport, Problem, parse_key, verify_bundle

__all__ = [
    "BundleLog",
    "BundleReport",
    "BundleResult",
    "EvidenceReader",
    "EvidenceRecord",
    "Problem",
    "Selection",
    "Window",
    "parse_key",
    "select_evidence",
    "verify_bundle",
    "write_bundle",
]

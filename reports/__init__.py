"""reports room (public API): framework reports, auditor evidence bundles, OSCAL, verifier."""

from reports.bundle import (
    BundleLog,
    BundleReport,
    BundleResult,
    EvidenceReader,
    EvidenceRecord,
    Problem,
    Selection,
    Window,
    parse_key,
    select_evidence,
    verify_bundle,
    write_bundle,
)
from reports.errors import (
    ArtifactIntegrityError,
    BundleFormatError,
    InvalidReportRequestError,
    OutOfScopeError,
    RendererUnavailableError,
    ReportNotFoundError,
    ReportsError,
)
from reports.proof import ProofCheck, verify_proof

__all__ = [
    "ArtifactIntegrityError",
    "BundleFormatError",
    "BundleLog",
    "BundleReport",
    "BundleResult",
    "EvidenceReader",
    "EvidenceRecord",
    "InvalidReportRequestError",
    "OutOfScopeError",
    "Problem",
    "ProofCheck",
    "RendererUnavailableError",
    "ReportNotFoundError",
    "ReportsError",
    "Selection",
    "Window",
    "parse_key",
    "select_evidence",
    "verify_bundle",
    "verify_proof",
    "write_bundle",
]

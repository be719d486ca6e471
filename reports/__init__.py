"""reports room (public API): framework reports, auditor evidence bundles, OSCAL, verifier."""

from reports.access import AccountRecord, KeyRecord, review_access, review_keys
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
    JobTakenOverError,
    OutOfScopeError,
    RendererUnavailableError,
    ReportNotFoundError,
    ReportsError,
)
from reports.framework.model import PrivacySummary
from reports.framework.pdf import ChromiumRenderer, PdfRenderer, WeasyPrintRenderer
from reports.framework.render import (
    render_access_review,
    render_key_inventory,
    render_privacy_performance,
)
from reports.jobs import Job, JobsRepository, JobState, ReportKind
from reports.privacy_performance import (
    BreachFigure,
    NotificationFigure,
    PrivacyPerformance,
    PrivacyRecords,
    RequestFigure,
    assess_privacy,
)
from reports.proof import ProofCheck, verify_proof
from reports.service import PageBuilder, ReportsService, Requester

__all__ = [
    "AccountRecord",
    "ArtifactIntegrityError",
    "BreachFigure",
    "BundleFormatError",
    "BundleLog",
    "BundleReport",
    "BundleResult",
    "ChromiumRenderer",
    "EvidenceReader",
    "EvidenceRecord",
    "InvalidReportRequestError",
    "Job",
    "JobState",
    "JobTakenOverError",
    "JobsRepository",
    "KeyRecord",
    "NotificationFigure",
    "OutOfScopeError",
    "PageBuilder",
    "PdfRenderer",
    "PrivacyPerformance",
    "PrivacyRecords",
    "PrivacySummary",
    "Problem",
    "ProofCheck",
    "RendererUnavailableError",
    "ReportKind",
    "ReportNotFoundError",
    "ReportsError",
    "ReportsService",
    "RequestFigure",
    "Requester",
    "Selection",
    "WeasyPrintRenderer",
    "Window",
    "assess_privacy",
    "parse_key",
    "render_access_review",
    "render_key_inventory",
    "render_privacy_performance",
    "review_access",
    "review_keys",
    "select_evidence",
    "verify_bundle",
    "verify_proof",
    "write_bundle",
]

"""audit: the tamper-evident log every room records into."""

from audit.archive import ArchiveStore, LocalDirArchiveStore
from audit.archive_s3 import S3ArchiveStore
from audit.errors import (
    AuditArchivedError,
    AuditError,
    AuditIntegrityError,
    AuditInvalidEventError,
    AuditInvalidQueryError,
    AuditNotFoundError,
    AuditRangeError,
    AuditUnavailableError,
)
from audit.events import (
    SYSTEM_ACTOR,
    Actor,
    AuditEventIn,
    EventType,
    Origin,
    Outcome,
    RecordedEvent,
    Target,
)
from audit.export import ExportReport, export_lines, verify_export
from audit.factory import DEFAULT_SENSITIVE_KEYS, build_audit_log
from audit.keys import load_or_create_hmac_key, load_or_create_signing_key
from audit.log import AuditLog
from audit.memory import InMemoryAuditLog
from audit.model import (
    Checkpoint,
    ConsistencyProof,
    EventFilter,
    EventPage,
    InclusionProof,
    LoggedEvent,
    VerificationReport,
)
from audit.note import NoteVerifier
from audit.pii import contains_personal_data, scrub_strings, scrub_text
from audit.ports import AuditRecorder
from audit.retention import RetentionReport, RetentionService

__all__ = [
    "DEFAULT_SENSITIVE_KEYS",
    "SYSTEM_ACTOR",
    "Actor",
    "ArchiveStore",
    "AuditArchivedError",
    "AuditError",
    "AuditEventIn",
    "AuditIntegrityError",
    "AuditInvalidEventError",
    "AuditInvalidQueryError",
    "AuditLog",
    "AuditNotFoundError",
    "AuditRangeError",
    "AuditRecorder",
    "AuditUnavailableError",
    "Checkpoint",
    "ConsistencyProof",
    "EventFilter",
    "EventPage",
    "EventType",
    "ExportReport",
    "InMemoryAuditLog",
    "InclusionProof",
    "LocalDirArchiveStore",
    "LoggedEvent",
    "NoteVerifier",
    "Origin",
    "Outcome",
    "RecordedEvent",
    "RetentionReport",
    "RetentionService",
    "S3ArchiveStore",
    "Target",
    "VerificationReport",
    "build_audit_log",
    "contains_personal_data",
    "export_lines",
    "load_or_create_hmac_key",
    "load_or_create_signing_key",
    "scrub_strings",
    "scrub_text",
    "verify_export",
]

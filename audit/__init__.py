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
    AuditUnconfirmedError,
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
from audit.merkle import leaf_hash, node_hash, verify_inclusion
from audit.model import (
    Checkpoint,
    ConsistencyProof,
    EventFilter,
    EventPage,
    InclusionProof,
    LoggedEvent,
    VerificationReport,
)
from audit.note import CheckpointBody, NoteSigner, NoteVerifier, open_checkpoint
from audit.pii import contains_personal_data, scrub_strings, scrub_text
from audit.ports import AuditRecorder, CheckpointSigner
from audit.private_file import (
    PrivateFileError,
    check_private,
    create_private,
    load_or_create_private,
    read_private,
    replace_private,
)
from audit.retention import RetentionReport, RetentionService
from audit.transit_signer import TransitNoteSigner, transit_client

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
    "AuditUnconfirmedError",
    "Checkpoint",
    "CheckpointBody",
    "CheckpointSigner",
    "ConsistencyProof",
    "EventFilter",
    "EventPage",
    "EventType",
    "ExportReport",
    "InMemoryAuditLog",
    "InclusionProof",
    "LocalDirArchiveStore",
    "LoggedEvent",
    "NoteSigner",
    "NoteVerifier",
    "Origin",
    "Outcome",
    "PrivateFileError",
    "RecordedEvent",
    "RetentionReport",
    "RetentionService",
    "S3ArchiveStore",
    "Target",
    "TransitNoteSigner",
    "VerificationReport",
    "build_audit_log",
    "check_private",
    "contains_personal_data",
    "create_private",
    "export_lines",
    "leaf_hash",
    "load_or_create_hmac_key",
    "load_or_create_private",
    "load_or_create_signing_key",
    "node_hash",
    "open_checkpoint",
    "read_private",
    "replace_private",
    "scrub_strings",
    "scrub_text",
    "transit_client",
    "verify_export",
    "verify_inclusion",
]

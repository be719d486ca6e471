"""policies room: the decision point (public API)."""

from policies.client import Guard
from policies.consent import LEDGER_UNAVAILABLE, ConsentSource, apply_ledger
from policies.data_path import query_for_path
from policies.decision_ids import AuditDecisionIds
from policies.decision_log import (
    DecisionLogEntry,
    DecisionLogger,
    LogReceipt,
    SubstituteCounter,
    audit_event,
)
from policies.decisions import (
    MAX_BATCH,
    BatchItem,
    DataResult,
    DecisionReceipt,
    DecisionService,
    EngineSource,
    Evaluated,
    PolicyDecider,
    StaticEngineSource,
    new_decision_id,
)
from policies.engines.port import (
    DECISION_QUERY,
    MASK_QUERY,
    TRUSTPLANE_QUERY,
    UNDEFINED,
    BatchEngine,
    Evaluation,
    PolicyEngine,
)
from policies.engines.regorus import RegorusEngine
from policies.errors import (
    AgentIdTakenError,
    BundleError,
    DecisionLogUnavailableError,
    EvaluationError,
    EvaluationTimeoutError,
    InvalidDataPathError,
    InvalidRequestError,
    PolicyError,
    PolicyTestFailedError,
    RevisionNotFoundError,
    UploadTooLargeError,
)
from policies.lifecycle import BundleService, PushResult
from policies.masking import apply_mask
from policies.metrics import (
    CountingMetrics,
    DecisionMetrics,
    NullMetrics,
    PrometheusDecisionMetrics,
)
from policies.models import (
    DECISION_LOG_UNAVAILABLE,
    POLICY_EVALUATION_FAILED,
    AuthorizationRequest,
    Decision,
    DecisionOut,
    validate_request,
)
from policies.opa.bundle import BundleSigner, build_bundle, files_from_bundle, verify_bundle
from policies.opa.control import IngestReport, Uploader
from policies.opa.engine import OpaEngine
from policies.requests import access_request
from policies.room import UNLOGGED_GATE_ALLOWS, PolicyRoom, build_policy_room
from policies.source import DEFAULT_BUNDLE_DIR, BundleFiles, load_bundle_dir, revision_of
from policies.store import BundleStore
from policies.testing import COVERAGE_FLOOR, RegoTestReport, RegoTestResult, run_rego_tests

__all__ = [
    "COVERAGE_FLOOR",
    "DECISION_LOG_UNAVAILABLE",
    "DECISION_QUERY",
    "DEFAULT_BUNDLE_DIR",
    "LEDGER_UNAVAILABLE",
    "MASK_QUERY",
    "MAX_BATCH",
    "POLICY_EVALUATION_FAILED",
    "TRUSTPLANE_QUERY",
    "UNDEFINED",
    "UNLOGGED_GATE_ALLOWS",
    "AgentIdTakenError",
    "AuditDecisionIds",
    "AuthorizationRequest",
    "BatchEngine",
    "BatchItem",
    "BundleError",
    "BundleFiles",
    "BundleService",
    "BundleSigner",
    "BundleStore",
    "ConsentSource",
    "CountingMetrics",
    "DataResult",
    "Decision",
    "DecisionLogEntry",
    "DecisionLogUnavailableError",
    "DecisionLogger",
    "DecisionMetrics",
    "DecisionOut",
    "DecisionReceipt",
    "DecisionService",
    "EngineSource",
    "Evaluated",
    "Evaluation",
    "EvaluationError",
    "EvaluationTimeoutError",
    "Guard",
    "IngestReport",
    "InvalidDataPathError",
    "InvalidRequestError",
    "LogReceipt",
    "NullMetrics",
    "OpaEngine",
    "PolicyDecider",
    "PolicyEngine",
    "PolicyError",
    "PolicyRoom",
    "PolicyTestFailedError",
    "PrometheusDecisionMetrics",
    "PushResult",
    "RegoTestReport",
    "RegoTestResult",
    "RegorusEngine",
    "RevisionNotFoundError",
    "StaticEngineSource",
    "SubstituteCounter",
    "UploadTooLargeError",
    "Uploader",
    "access_request",
    "apply_ledger",
    "apply_mask",
    "audit_event",
    "build_bundle",
    "build_policy_room",
    "files_from_bundle",
    "load_bundle_dir",
    "new_decision_id",
    "query_for_path",
    "revision_of",
    "run_rego_tests",
    "validate_request",
    "verify_bundle",
]

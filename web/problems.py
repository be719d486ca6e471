"""RFC 9457 problem details: every non-2xx answer, and the one map from room errors to HTTP.

Rooms raise their own exceptions; this module alone decides which status and problem type
each becomes. Add a row to ``PROBLEM_MAP`` when a room adds an error class; the most
specific class wins (the map is searched along the exception's MRO).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from audit import (
    AuditArchivedError,
    AuditError,
    AuditIntegrityError,
    AuditInvalidEventError,
    AuditInvalidQueryError,
    AuditNotFoundError,
    AuditRangeError,
    AuditUnavailableError,
)
from controls import (
    AttestationError,
    CatalogError,
    CollectorError,
    ControlsError,
    EvidenceError,
    EvidenceIntegrityError,
    EvidenceNotFoundError,
    GateUsageError,
    UnknownCheckError,
    UnknownCollectorError,
    UnknownControlError,
    UnknownFrameworkError,
)
from identity import (
    AccountLockedError,
    AuthenticationError,
    ConflictError,
    CsrfError,
    IdentityError,
    InvalidClientError,
    InvalidInputError,
    InvalidScopeError,
    NotFoundError,
    OAuthRequestError,
    UnknownRoleError,
    UnsupportedGrantTypeError,
)
from policies import (
    AgentIdTakenError,
    BundleError,
    DecisionIdsInFlightError,
    DecisionLogUnavailableError,
    EvaluationError,
    InvalidDataPathError,
    InvalidRequestError,
    PolicyError,
    PolicyTestFailedError,
    RevisionNotFoundError,
    UploadTooLargeError,
)
from privacy import (
    BreachNotFoundError,
    ConnectorError,
    ConsentNotGivenError,
    DataMapError,
    DataMapMissingError,
    DsrNotFoundError,
    DuplicateRequestError,
    GrievanceNotFoundError,
    IllegalTransitionError,
    InvalidBreachError,
    InvalidConsentError,
    InvalidDsrError,
    InvalidGrievanceError,
    NoticeNotFoundError,
    PackageLinkError,
    PrivacyError,
    VerificationError,
)
from reports import (
    ArtifactIntegrityError,
    BundleFormatError,
    InvalidReportRequestError,
    OutOfScopeError,
    RendererUnavailableError,
    ReportNotFoundError,
    ReportsError,
)
from vault import VaultError
from web.errors import (
    ForbiddenError,
    NotAuthenticatedError,
    PayloadTooLargeError,
    RateLimitedError,
    WebError,
)
from web.middleware import with_response_headers

PROBLEM_BASE = "https://trustplane.finsolve.example/problems/"
PROBLEM_JSON = "application/problem+json"

log = structlog.get_logger("trustplane.web")


@dataclass(frozen=True)
class ProblemKind:
    status: int
    slug: str
    title: str


PROBLEM_MAP: dict[type[BaseException], ProblemKind] = {
    # web
    NotAuthenticatedError: ProblemKind(401, "unauthenticated", "Authentication required"),
    ForbiddenError: ProblemKind(403, "forbidden", "Not allowed"),
    RateLimitedError: ProblemKind(429, "rate-limited", "Too many requests"),
    PayloadTooLargeError: ProblemKind(413, "payload-too-large", "Request body too large"),
    WebError: ProblemKind(400, "bad-request", "Bad request"),
    # identity
    InvalidClientError: ProblemKind(401, "invalid-client", "Client authentication failed"),
    AccountLockedError: ProblemKind(401, "account-locked", "Account temporarily locked"),
    AuthenticationError: ProblemKind(401, "unauthenticated", "Authentication failed"),
    CsrfError: ProblemKind(403, "csrf", "CSRF token missing or invalid"),
    ConflictError: ProblemKind(409, "conflict", "Already exists"),
    UnknownRoleError: ProblemKind(422, "unknown-role", "Unknown role"),
    InvalidInputError: ProblemKind(422, "invalid-input", "Invalid account data"),
    NotFoundError: ProblemKind(404, "not-found", "Not found"),
    UnsupportedGrantTypeError: ProblemKind(400, "unsupported-grant-type", "Unsupported grant type"),
    InvalidScopeError: ProblemKind(400, "invalid-scope", "Invalid scope"),
    OAuthRequestError: ProblemKind(400, "invalid-request", "Invalid token request"),
    IdentityError: ProblemKind(400, "identity-error", "Identity error"),
    # audit
    AuditUnavailableError: ProblemKind(503, "audit-unavailable", "Audit log unavailable"),
    AuditArchivedError: ProblemKind(410, "audit-archived", "Event archived"),
    AuditNotFoundError: ProblemKind(404, "not-found", "Not found"),
    AuditRangeError: ProblemKind(422, "audit-range", "Index or tree size out of range"),
    AuditInvalidEventError: ProblemKind(422, "invalid-audit-event", "Invalid audit event"),
    AuditInvalidQueryError: ProblemKind(422, "invalid-audit-query", "Invalid audit query"),
    AuditIntegrityError: ProblemKind(500, "audit-integrity", "Audit log integrity failure"),
    AuditError: ProblemKind(500, "audit-error", "Audit error"),
    # policies
    UploadTooLargeError: ProblemKind(413, "upload-too-large", "Upload too large"),
    DecisionIdsInFlightError: ProblemKind(
        503, "decision-ids-in-flight", "Decision ids being recorded by another upload"
    ),
    AgentIdTakenError: ProblemKind(409, "agent-id-taken", "Agent id reported by another account"),
    InvalidDataPathError: ProblemKind(400, "invalid-data-path", "Invalid data path"),
    InvalidRequestError: ProblemKind(422, "invalid-decision-request", "Invalid decision request"),
    PolicyTestFailedError: ProblemKind(422, "policy-tests-failed", "Policy tests failed"),
    BundleError: ProblemKind(422, "invalid-bundle", "Invalid policy bundle"),
    RevisionNotFoundError: ProblemKind(404, "not-found", "Not found"),
    DecisionLogUnavailableError: ProblemKind(
        503, "decision-log-unavailable", "Decision log unavailable"
    ),
    EvaluationError: ProblemKind(503, "policy-unavailable", "Policy evaluation failed"),
    PolicyError: ProblemKind(500, "policy-error", "Policy error"),
    # controls
    UnknownFrameworkError: ProblemKind(404, "unknown-framework", "Unknown framework"),
    UnknownControlError: ProblemKind(404, "unknown-control", "Unknown control"),
    UnknownCheckError: ProblemKind(404, "unknown-check", "Unknown check"),
    UnknownCollectorError: ProblemKind(422, "unknown-collector", "Unknown collector"),
    AttestationError: ProblemKind(422, "invalid-attestation", "Invalid attestation"),
    GateUsageError: ProblemKind(400, "gate-usage", "Invalid gate request"),
    EvidenceNotFoundError: ProblemKind(404, "evidence-not-found", "Evidence not found"),
    EvidenceIntegrityError: ProblemKind(500, "evidence-integrity", "Evidence integrity failure"),
    EvidenceError: ProblemKind(503, "evidence-unavailable", "Evidence store unavailable"),
    CollectorError: ProblemKind(502, "collector-error", "Collector failed"),
    CatalogError: ProblemKind(500, "catalog-error", "Control catalog invalid"),
    ControlsError: ProblemKind(500, "controls-error", "Controls error"),
    # privacy
    DataMapError: ProblemKind(422, "invalid-datamap", "Invalid data map"),
    DataMapMissingError: ProblemKind(404, "no-datamap", "No data map loaded"),
    InvalidDsrError: ProblemKind(422, "invalid-dsr", "Invalid data subject request"),
    DsrNotFoundError: ProblemKind(404, "not-found", "Not found"),
    IllegalTransitionError: ProblemKind(409, "dsr-state", "Not allowed in this state"),
    DuplicateRequestError: ProblemKind(409, "dsr-duplicate", "Request already open"),
    VerificationError: ProblemKind(422, "dsr-verification", "Verification failed"),
    PackageLinkError: ProblemKind(403, "package-link", "Invalid or expired link"),
    ConnectorError: ProblemKind(502, "connector-error", "A data system failed"),
    InvalidConsentError: ProblemKind(422, "invalid-consent", "Invalid consent change"),
    ConsentNotGivenError: ProblemKind(409, "consent-not-given", "No consent in force"),
    NoticeNotFoundError: ProblemKind(404, "notice-not-found", "Notice not found"),
    InvalidBreachError: ProblemKind(422, "invalid-breach", "Invalid breach"),
    BreachNotFoundError: ProblemKind(404, "not-found", "Not found"),
    InvalidGrievanceError: ProblemKind(422, "invalid-grievance", "Invalid grievance or nomination"),
    GrievanceNotFoundError: ProblemKind(404, "not-found", "Not found"),
    PrivacyError: ProblemKind(500, "privacy-error", "Privacy error"),
    # reports
    InvalidReportRequestError: ProblemKind(422, "invalid-report-request", "Invalid report request"),
    OutOfScopeError: ProblemKind(403, "outside-engagement", "Outside the auditor's engagement"),
    ReportNotFoundError: ProblemKind(404, "not-found", "Not found"),
    RendererUnavailableError: ProblemKind(503, "renderer-unavailable", "PDF renderer unavailable"),
    BundleFormatError: ProblemKind(422, "invalid-bundle-file", "Invalid evidence bundle"),
    ArtifactIntegrityError: ProblemKind(500, "report-integrity", "Stored report altered"),
    ReportsError: ProblemKind(500, "reports-error", "Reports error"),
}

INTERNAL = ProblemKind(500, "internal", "Internal server error")


def _register_vault_errors() -> None:
    """Vault errors carry their own status/slug/title: one row per class of the tree."""
    pending: list[type[VaultError]] = [VaultError]
    while pending:
        cls = pending.pop()
        PROBLEM_MAP[cls] = ProblemKind(cls.status, cls.code, cls.title)
        pending.extend(cls.__subclasses__())


_register_vault_errors()


def kind_for(exc: BaseException) -> ProblemKind:
    for cls in type(exc).__mro__:
        kind = PROBLEM_MAP.get(cls)
        if kind is not None:
            return kind
    return INTERNAL


def problem_response(
    request: Request,
    kind: ProblemKind,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind.slug,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": request.url.path,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    if extra:
        body.update(extra)
    response = JSONResponse(body, status_code=kind.status, headers=headers, media_type=PROBLEM_JSON)
    if kind.status >= 500 and request_id:
        # An unhandled error's answer is sent by Starlette's outermost error middleware,
        # past the request-context middleware: it carries the id and headers itself.
        raw = with_response_headers(list(response.raw_headers), str(request_id))
        response.raw_headers = raw
    return response


def _room_error(request: Request, exc: Exception) -> JSONResponse:
    kind = kind_for(exc)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
    if isinstance(exc, AccountLockedError):
        headers["Retry-After"] = str(exc.retry_after)
    if kind.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="trustplane"'
    headers.update(getattr(exc, "problem_headers", {}))  # e.g. a Basic challenge (RFC 6749)
    if isinstance(exc, ForbiddenError) and exc.reasons:
        extra["reasons"] = exc.reasons
    for key, value in getattr(exc, "problem_extra", {}).items():
        extra[key] = value
    if kind.status >= 500:
        log.error("request_failed", error_type=type(exc).__name__, status=kind.status)
        detail = kind.title if kind is INTERNAL else str(exc)
    else:
        detail = str(exc) or kind.title
    return problem_response(request, kind, detail, headers=headers or None, extra=extra or None)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    slug = phrase.lower().replace(" ", "-").replace("'", "")
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(request, ProblemKind(status, slug, phrase), detail, headers=headers)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [str(part) for part in err.get("loc", ())],
            "msg": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]
    kind = ProblemKind(422, "validation", "Request validation failed")
    summary = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
    return problem_response(request, kind, summary or kind.title, extra={"errors": errors})


def _too_deep(request: Request, exc: Exception) -> JSONResponse:
    """Input nested deeper than the parser's recursion allows (a hostile body): the
    caller's fault, said plainly, never a 500."""
    kind = ProblemKind(422, "input-too-deep", "Input nested too deeply")
    return problem_response(request, kind, "the request body is nested too deeply to parse")


def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error", error_type=type(exc).__name__)
    return problem_response(request, INTERNAL, INTERNAL.title)


def install_problem_handlers(
    app: FastAPI, more: Mapping[type[Exception], ProblemKind] | None = None
) -> None:
    """Every handler of the app; ``more`` maps error roots the web layer cannot import (the
    composition root's own, e.g. ``TrustplaneError``) the same way as the rooms' rows."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    roots = (
        WebError,
        IdentityError,
        AuditError,
        PolicyError,
        VaultError,
        ControlsError,
        PrivacyError,
        ReportsError,
    )
    for error_root, kind in (more or {}).items():
        PROBLEM_MAP[error_root] = kind
        app.add_exception_handler(error_root, _room_error)
    for error_root in roots:
        app.add_exception_handler(error_root, _room_error)
    app.add_exception_handler(RecursionError, _too_deep)
    app.add_exception_handler(Exception, _unhandled)

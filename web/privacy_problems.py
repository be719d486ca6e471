"""RFC 9457 rows for the privacy room's errors (added to ``web.problems.PROBLEM_MAP``)."""

from __future__ import annotations

from privacy import (
    ConnectorError,
    DataMapError,
    DataMapMissingError,
    DsrNotFoundError,
    DuplicateRequestError,
    IllegalTransitionError,
    InvalidDsrError,
    PackageLinkError,
    PrivacyError,
    VerificationError,
)
from web.problems import PROBLEM_MAP, ProblemKind

PRIVACY_PROBLEMS: dict[type[BaseException], ProblemKind] = {
    DataMapError: ProblemKind(422, "invalid-datamap", "Invalid data map"),
    DataMapMissingError: ProblemKind(404, "no-datamap", "No data map loaded"),
    InvalidDsrError: ProblemKind(422, "invalid-dsr", "Invalid data subject request"),
    DsrNotFoundError: ProblemKind(404, "not-found", "Not found"),
    IllegalTransitionError: ProblemKind(409, "dsr-state", "Not allowed in this state"),
    DuplicateRequestError: ProblemKind(409, "dsr-duplicate", "Request already open"),
    VerificationError: ProblemKind(422, "dsr-verification", "Verification failed"),
    PackageLinkError: ProblemKind(403, "package-link", "Invalid or expired link"),
    ConnectorError: ProblemKind(502, "connector-error", "A data system failed"),
    PrivacyError: ProblemKind(500, "privacy-error", "Privacy error"),
}


# Statuses the privacy routes answer beyond the common ones (documented in OpenAPI).
PRIVACY_RESPONSES: dict[int | str, dict[str, str]] = {
    403: {"description": "Not allowed, or an invalid or expired package link"},
    404: {"description": "No such request, task or data map"},
    409: {"description": "Not allowed in the request's state, or a request already open"},
    502: {"description": "A data system failed (the step stays failed and retryable)"},
}


def register_privacy_problems() -> None:
    PROBLEM_MAP.update(PRIVACY_PROBLEMS)

"""The problem statuses the privacy routes document in OpenAPI (their rows live in
``web.problems.PROBLEM_MAP`` with every other room's)."""

from __future__ import annotations

# Statuses the privacy routes answer beyond the common ones (documented in OpenAPI).
PRIVACY_RESPONSES: dict[int | str, dict[str, str]] = {
    403: {"description": "Not allowed, or an invalid or expired package link"},
    404: {"description": "No such request, task or data map"},
    409: {"description": "Not allowed in the request's state, or a request already open"},
    502: {"description": "A data system failed (the step stays failed and retryable)"},
}

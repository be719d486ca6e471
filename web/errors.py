"""Exception tree of the web room (HTTP-level failures not owned by another room)."""


class WebError(Exception):
    """Root of every error raised by the web room."""


class NotAuthenticatedError(WebError):
    """No credentials were presented. Maps to 401."""


class ForbiddenError(WebError):
    """The caller is authenticated but not allowed. Maps to 403."""

    def __init__(self, message: str, reasons: list[str] | None = None) -> None:
        super().__init__(message)
        self.reasons = reasons or []


class RateLimitedError(WebError):
    """The caller exceeded its request budget. Maps to 429 with Retry-After."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("rate limit exceeded")
        self.retry_after = retry_after


class PayloadTooLargeError(WebError):
    """The request body exceeds the configured limit. Maps to 413."""

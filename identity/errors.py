"""Exception tree of the identity room."""


class IdentityError(Exception):
    """Root of every error raised by the identity room."""


class AuthenticationError(IdentityError):
    """The caller could not be authenticated (who are you?). Maps to 401."""


class InvalidClientError(AuthenticationError):
    """OAuth client authentication failed (RFC 6749 invalid_client)."""


class AccountLockedError(AuthenticationError):
    """Too many failed logins; the account is locked until ``retry_after`` seconds pass."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CsrfError(IdentityError):
    """A cookie-authenticated state change lacked a valid CSRF token. Maps to 403."""


class ConflictError(IdentityError):
    """The user or service account already exists. Maps to 409."""


class UnknownRoleError(IdentityError):
    """A role outside trustplane's and FinSolve's role sets. Maps to 422."""

"""Exception tree of the identity room.

``web/problems.py`` maps these classes to RFC 9457 problems in one place. Errors raised by
the OAuth token endpoint carry ``oauth_error`` (the RFC 6749 section 5.2 error code) so the
problem document can also carry the ``error`` / ``error_description`` members.
"""

from __future__ import annotations

from typing import ClassVar


class IdentityError(Exception):
    """Root of every error raised by the identity room."""

    oauth_error: ClassVar[str | None] = None

    @property
    def problem_extra(self) -> dict[str, str]:
        """Extra problem members: RFC 6749 ``error`` / ``error_description`` for OAuth."""
        if self.oauth_error is None:
            return {}
        return {"error": self.oauth_error, "error_description": str(self)}


class AuthenticationError(IdentityError):
    """The caller could not be authenticated (who are you?). Maps to 401."""


class InvalidClientError(AuthenticationError):
    """OAuth client authentication failed (RFC 6749 invalid_client). Maps to 401.

    ``challenge`` names the scheme the client tried (``Basic``) so the answer's
    ``WWW-Authenticate`` matches it, as RFC 6749 section 5.2 asks.
    """

    oauth_error = "invalid_client"

    def __init__(self, message: str, challenge: str | None = None) -> None:
        super().__init__(message)
        self.challenge = challenge

    @property
    def problem_headers(self) -> dict[str, str]:
        if self.challenge is None:
            return {}
        return {"WWW-Authenticate": f'{self.challenge} realm="trustplane"'}


class AccountLockedError(AuthenticationError):
    """Too many failed logins; the account is locked until ``retry_after`` seconds pass."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CsrfError(IdentityError):
    """A cookie-authenticated state change lacked a valid CSRF token. Maps to 403."""


class ConflictError(IdentityError):
    """The user or service account already exists. Maps to 409."""


class InvalidInputError(IdentityError):
    """Account data that cannot be accepted (malformed email, no role...). Maps to 422."""


class UnknownRoleError(InvalidInputError):
    """A role outside trustplane's and FinSolve's role sets. Maps to 422."""


class NotFoundError(IdentityError):
    """The user or service account does not exist. Maps to 404."""


class OAuthRequestError(IdentityError):
    """A malformed token request (RFC 6749 section 5.2). Maps to 400."""

    oauth_error = "invalid_request"


class UnsupportedGrantTypeError(OAuthRequestError):
    """Only ``client_credentials`` is supported. Maps to 400."""

    oauth_error = "unsupported_grant_type"


class InvalidScopeError(OAuthRequestError):
    """The requested scope names a role the client does not hold. Maps to 400."""

    oauth_error = "invalid_scope"


class PasswordRefusedError(InvalidInputError):
    """A new password the policy refuses, or a wrong current password. Maps to 422."""

"""identity: who is calling (users, service accounts, tokens, sessions)."""

from identity.caller import (
    FINSOLVE_ROLES,
    KNOWN_ROLES,
    TRUSTPLANE_ROLES,
    AuthMethod,
    Caller,
    CallerKind,
)
from identity.errors import (
    AccountLockedError,
    AuthenticationError,
    ConflictError,
    CsrfError,
    IdentityError,
    InvalidClientError,
    UnknownRoleError,
)

__all__ = [
    "FINSOLVE_ROLES",
    "KNOWN_ROLES",
    "TRUSTPLANE_ROLES",
    "AccountLockedError",
    "AuthMethod",
    "AuthenticationError",
    "Caller",
    "CallerKind",
    "ConflictError",
    "CsrfError",
    "IdentityError",
    "InvalidClientError",
    "UnknownRoleError",
]

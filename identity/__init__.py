"""identity: who is calling (users, service accounts, tokens, sessions)."""

from identity.accounts import NewServiceAccount, NewUser, RotatedSecret
from identity.auditing import actor_of
from identity.caller import (
    FINSOLVE_ROLES,
    KNOWN_ROLES,
    TRUSTPLANE_ROLES,
    AuthMethod,
    Caller,
    CallerKind,
)
from identity.clock import Clock, utc_now
from identity.config import IdentityConfig, TrustedIssuer
from identity.engagement import parse_engagement, rfc3339_z
from identity.errors import (
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
    PasswordRefusedError,
    UnknownRoleError,
    UnsupportedGrantTypeError,
)
from identity.keys import KeySet, SigningKey, VerificationKey, new_signing_key_pem
from identity.oidc import ExternalIssuers, HttpJwksFetcher, JwksCache, JwksFetcher
from identity.password_policy import MIN_LENGTH as PASSWORD_MIN_LENGTH
from identity.password_policy import password_problem
from identity.passwords import Argon2Params, SecretHasher
from identity.secretbox import SecretBox, new_box_key
from identity.service import IdentityService
from identity.sessions import LoginResult
from identity.tokens import IssuedToken

__all__ = [
    "FINSOLVE_ROLES",
    "KNOWN_ROLES",
    "PASSWORD_MIN_LENGTH",
    "TRUSTPLANE_ROLES",
    "AccountLockedError",
    "Argon2Params",
    "AuthMethod",
    "AuthenticationError",
    "Caller",
    "CallerKind",
    "Clock",
    "ConflictError",
    "CsrfError",
    "ExternalIssuers",
    "HttpJwksFetcher",
    "IdentityConfig",
    "IdentityError",
    "IdentityService",
    "InvalidClientError",
    "InvalidInputError",
    "InvalidScopeError",
    "IssuedToken",
    "JwksCache",
    "JwksFetcher",
    "KeySet",
    "LoginResult",
    "NewServiceAccount",
    "NewUser",
    "NotFoundError",
    "OAuthRequestError",
    "PasswordRefusedError",
    "RotatedSecret",
    "SecretBox",
    "SecretHasher",
    "SigningKey",
    "TrustedIssuer",
    "UnknownRoleError",
    "UnsupportedGrantTypeError",
    "VerificationKey",
    "actor_of",
    "new_box_key",
    "new_signing_key_pem",
    "parse_engagement",
    "password_problem",
    "rfc3339_z",
    "utc_now",
]

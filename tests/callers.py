"""Callers that satisfy trustplane.authz, for tests that inject callers directly.

The engine-backed route gate applies ACCESS-MODEL.md to trustplane's own API: an auditor needs
an engagement that has not expired (rule 11); an admin needs MFA within 900 s and a request from
the admin network (rule 9, default 10.0.0.0/8). Use ``ADMIN_NETWORK_CLIENT`` as the TestClient's
``client`` so requests come from inside the allowlist.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from identity import Caller, CallerKind

ADMIN_NETWORK_CLIENT = ("10.20.30.40", 50000)


def engagement_until(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def service(caller_id: str = "svc:payments", *roles: str) -> Caller:
    """A service account holding ``service`` (trustplane's API) plus ``roles``."""
    return Caller(caller_id, CallerKind.SERVICE, frozenset({"service", *roles}))


def dpo(caller_id: str = "u-dpo", *, mfa_age_seconds: int = 30) -> Caller:
    """A DPO user who passed MFA ``mfa_age_seconds`` ago (crypto-shredding needs it fresh)."""
    attributes = {"mfa_age_seconds": mfa_age_seconds}
    return Caller(caller_id, CallerKind.USER, frozenset({"dpo"}), attributes=attributes)


def auditor(caller_id: str = "u-aud", *, expires_in_days: int = 30) -> Caller:
    attributes = {"engagement_expires_at": engagement_until(expires_in_days)}
    return Caller(caller_id, CallerKind.USER, frozenset({"auditor"}), attributes=attributes)


def admin(caller_id: str = "u-admin", *, mfa_age_seconds: int = 30) -> Caller:
    attributes = {"mfa_age_seconds": mfa_age_seconds}
    return Caller(caller_id, CallerKind.USER, frozenset({"admin"}), attributes=attributes)


def user(caller_id: str, *roles: str) -> Caller:
    return Caller(caller_id, CallerKind.USER, frozenset(roles))

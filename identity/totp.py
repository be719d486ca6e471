"""Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s steps, +-1 step)."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

STEP_SECONDS = 30
DRIFT_STEPS = 1


def new_totp_secret() -> str:
    return str(pyotp.random_base32())


def provisioning_uri(secret: str, account_name: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app scans."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer))


def code_at(secret: str, moment: datetime) -> str:
    return str(pyotp.TOTP(secret).at(moment))


def matching_step(secret: str, code: str, moment: datetime) -> int | None:
    """The time step whose code equals ``code`` (within the drift window), else None.

    Callers remember the last accepted step and refuse it again (no replay).
    """
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(moment.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        expected = str(totp.generate_otp(step))
        if hmac.compare_digest(expected.encode(), code.encode()):
            return step
    return None

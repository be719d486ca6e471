"""Failed password attempts on an account: ``lockout_threshold`` consecutive failures lock
it for ``lockout_seconds`` (sign-in and password change count on the same counter)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from identity.config import IdentityConfig
from identity.tables import IdentityUser


def count_failure(db: Session, user: IdentityUser, now: datetime, config: IdentityConfig) -> bool:
    """Count one failed attempt and commit it (the count survives even if the audit log is
    down); True when this attempt locked the account."""
    user.failed_logins += 1
    locked = user.failed_logins >= config.lockout_threshold
    if locked:
        user.failed_logins = 0
        user.locked_until = now + timedelta(seconds=config.lockout_seconds)
    db.add(user)
    db.commit()
    return locked

"""A user changes their own password: the current one, then a new one the policy accepts.

The new password is hashed with argon2id; the ``must_change_password`` flag (set on
accounts created with a one-time password) is cleared; every other live session of the
user is revoked, so a session opened with the old password does not outlive it. The change
is audited in the same transaction: without the audit event, nothing changes. A wrong
current password counts as a failed login (the lockout protects a stolen session from
guessing the password through this form).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from audit import Actor, AuditRecorder, EventType, Origin, Outcome, Target
from identity.auditing import record
from identity.clock import Clock, as_utc, utc_now
from identity.config import IdentityConfig
from identity.errors import AccountLockedError, NotFoundError, PasswordRefusedError
from identity.lockout import count_failure
from identity.password_policy import password_problem
from identity.passwords import SecretHasher
from identity.tables import IdentitySession, IdentityUser

WRONG_CURRENT = "the current password is not right"


class PasswordChanger:
    def __init__(
        self,
        engine: Engine,
        audit: AuditRecorder,
        hasher: SecretHasher,
        config: IdentityConfig,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._hasher = hasher
        self._config = config
        self._clock = clock

    def change(
        self,
        user_id: str,
        current: str,
        new: str,
        *,
        keep_session_id: str | None = None,
        origin: Origin | None = None,
    ) -> int:
        """Change the password; returns how many other sessions were revoked."""
        now = self._clock()
        with Session(self._engine, expire_on_commit=False) as db:
            query = select(IdentityUser).where(IdentityUser.id == user_id)
            user = db.exec(query.with_for_update()).first()
            if user is None or user.disabled:
                raise NotFoundError("no such user")
            if user.locked_until is not None and as_utc(user.locked_until) > now:
                retry_after = int((as_utc(user.locked_until) - now).total_seconds()) + 1
                raise AccountLockedError("account temporarily locked", retry_after)
            if not self._hasher.verify(user.password_hash, current):
                self._count_failure(db, user, now, origin)
            problem = password_problem(new, current, user.email)
            if problem is not None:
                raise PasswordRefusedError(problem)
            user.password_hash = self._hasher.hash(new)
            user.must_change_password = False
            user.failed_logins = 0
            db.add(user)
            revoked = self._revoke_others(db, user.id, keep_session_id, now)
            record(
                self._audit,
                EventType.ADMIN_ACTION,
                actor=Actor(id=user.id, kind="user"),
                target=Target(type="user", id=user.id),
                origin=origin,
                action="user.change_password",
                sessions_revoked=revoked,
            )
            db.commit()  # only an audited change is kept
        return revoked

    @staticmethod
    def _revoke_others(db: Session, user_id: str, keep: str | None, now: datetime) -> int:
        statement = (
            update(IdentitySession)
            .where(col(IdentitySession.user_id) == user_id)
            .where(col(IdentitySession.revoked_at).is_(None))
        )
        if keep is not None:
            statement = statement.where(col(IdentitySession.id) != keep)
        result = db.exec(statement.values(revoked_at=now))
        return int(result.rowcount or 0)

    def _count_failure(
        self, db: Session, user: IdentityUser, now: datetime, origin: Origin | None
    ) -> None:
        locked = count_failure(db, user, now, self._config)
        record(
            self._audit,
            EventType.LOGIN_FAILED,
            actor=Actor(id=user.id, kind="user"),
            target=Target(type="user", id=user.id),
            origin=origin,
            outcome=Outcome.FAILURE,
            method="password_change",
            reason="bad_current_password",
            locked=locked,
        )
        if locked:
            raise AccountLockedError("account temporarily locked", self._config.lockout_seconds)
        raise PasswordRefusedError(WRONG_CURRENT)

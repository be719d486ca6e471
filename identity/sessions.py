"""Human sign-in: email + password + TOTP gives a server-side session (cookie token).

Only the SHA-256 of the session token is stored. A session ends at the first of: logout,
``absolute`` seconds after login, ``idle`` seconds without a request. Repeated failures lock
the account (``lockout_threshold`` consecutive failures lock it for ``lockout_seconds``).
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from audit import Actor, AuditRecorder, EventType, Origin, Outcome, Target
from identity.accounts import normalized_email
from identity.auditing import ANONYMOUS, record
from identity.caller import AuthMethod, Caller, CallerKind
from identity.clock import Clock, as_utc, utc_now
from identity.config import IdentityConfig
from identity.engagement import engagement_attributes
from identity.errors import AccountLockedError, AuthenticationError, InvalidInputError
from identity.lockout import count_failure
from identity.passwords import SecretHasher, new_opaque_token
from identity.phantoms import PhantomLockout
from identity.roles import load_roles
from identity.secretbox import SecretBox
from identity.tables import IdentitySession, IdentityUser
from identity.totp import matching_step

INVALID_CREDENTIALS = "invalid email, password or one-time code"
MAX_TOUCH_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class LoginResult:
    """Returned once: the session token goes into the cookie and nowhere else."""

    session_token: str
    csrf_token: str
    session_id: str
    user_id: str
    expires_at: datetime
    idle_expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionService:
    def __init__(
        self,
        engine: Engine,
        audit: AuditRecorder,
        hasher: SecretHasher,
        box: SecretBox,
        config: IdentityConfig,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._hasher = hasher
        self._box = box
        self._config = config
        self._clock = clock
        self._phantoms = PhantomLockout(config.lockout_threshold, config.lockout_seconds)
        self._idle = timedelta(seconds=config.session_idle_seconds)
        self._absolute = timedelta(seconds=config.session_absolute_seconds)
        self._touch_every = timedelta(
            seconds=min(MAX_TOUCH_INTERVAL_SECONDS, config.session_idle_seconds / 10)
        )

    # --- login ------------------------------------------------------------------------

    def login(
        self, email: str, password: str, totp_code: str, origin: Origin | None = None
    ) -> LoginResult:
        try:
            address = normalized_email(email)
        except InvalidInputError:
            address = None
        now = self._clock()
        with Session(self._engine, expire_on_commit=False) as db:
            user = None
            if address is not None:
                query = select(IdentityUser).where(IdentityUser.email == address)
                user = db.exec(query.with_for_update()).first()
            if user is None or user.disabled:
                self._refuse_unknown(address or email, password, now, origin)
            self._refuse_if_locked(user, now, origin)
            password_ok = self._hasher.verify(user.password_hash, password)
            step = self._totp_step(user, totp_code, now)
            if not password_ok or step is None:
                self._count_failure(db, user, now, origin)
            return self._open_session(db, user, step, password=password, now=now, origin=origin)

    def _refuse_unknown(
        self, key: str, password: str, now: datetime, origin: Origin | None
    ) -> NoReturn:
        """The answers a real account would give: invalid, then locked after the threshold
        (so "locked" does not tell which addresses have accounts)."""
        retry_after = self._phantoms.locked_for(key, now)
        if retry_after is not None:
            self._failed(None, origin, "locked")
            raise AccountLockedError("account temporarily locked", retry_after)
        self._hasher.verify(None, password)  # same cost as a real check
        locked = self._phantoms.fail(key, now)
        self._failed(None, origin, "unknown_account")
        if locked:
            raise AccountLockedError("account temporarily locked", self._config.lockout_seconds)
        raise AuthenticationError(INVALID_CREDENTIALS)

    def _refuse_if_locked(self, user: IdentityUser, now: datetime, origin: Origin | None) -> None:
        if user.locked_until is None or as_utc(user.locked_until) <= now:
            return
        retry_after = math.ceil((as_utc(user.locked_until) - now).total_seconds())
        self._failed(user, origin, "locked")
        raise AccountLockedError("account temporarily locked", retry_after)

    def _totp_step(self, user: IdentityUser, code: str, now: datetime) -> int | None:
        secret = self._box.open(user.totp_secret_sealed, user.id)
        step = matching_step(secret, code.strip(), now)
        if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
            return None  # wrong, or a code already used (replay)
        return step

    def _count_failure(
        self, db: Session, user: IdentityUser, now: datetime, origin: Origin | None
    ) -> None:
        locked = count_failure(db, user, now, self._config)
        self._failed(user, origin, "bad_credentials", locked=locked)
        if locked:
            raise AccountLockedError("account temporarily locked", self._config.lockout_seconds)
        raise AuthenticationError(INVALID_CREDENTIALS)

    def _failed(
        self, user: IdentityUser | None, origin: Origin | None, reason: str, **details: object
    ) -> None:
        actor = ANONYMOUS if user is None else Actor(id=user.id, kind="user")
        record(
            self._audit,
            EventType.LOGIN_FAILED,
            actor=actor,
            target=Target(type="user", id=user.id if user else None),
            origin=origin,
            outcome=Outcome.FAILURE,
            method="password+totp",
            reason=reason,
            **details,
        )

    def _open_session(
        self,
        db: Session,
        user: IdentityUser,
        step: int | None,
        *,
        password: str,
        now: datetime,
        origin: Origin | None,
    ) -> LoginResult:
        session_token, csrf_token = new_opaque_token(), new_opaque_token()
        row = IdentitySession(
            id=str(uuid.uuid4()),
            token_hash=token_hash(session_token),
            user_id=user.id,
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
            absolute_expires_at=now + self._absolute,
        )
        user.failed_logins, user.locked_until, user.totp_last_step = 0, None, step
        if self._hasher.needs_rehash(user.password_hash):
            user.password_hash = self._hasher.hash(password)
        db.add(user)
        db.add(row)
        db.flush()
        record(
            self._audit,
            EventType.LOGIN,
            actor=Actor(id=user.id, kind="user", roles=tuple(sorted(load_roles(user.roles)))),
            target=Target(type="session", id=row.id),
            origin=origin,
            method="password+totp",
        )
        db.commit()  # only an audited session exists
        return LoginResult(
            session_token,
            csrf_token,
            row.id,
            user.id,
            row.absolute_expires_at,
            now + self._idle,
        )

    # --- requests ---------------------------------------------------------------------

    def authenticate(self, session_token: str) -> Caller:
        now = self._clock()
        with Session(self._engine, expire_on_commit=False) as db:
            query = (
                select(IdentitySession, IdentityUser)
                .join(IdentityUser, IdentityUser.id == IdentitySession.user_id)  # type: ignore[arg-type]
                .where(IdentitySession.token_hash == token_hash(session_token))
            )
            found = db.exec(query).first()
            if found is None:
                raise AuthenticationError("session unknown or ended")
            session, user = found
            if not self._is_live(session, now) or user.disabled:
                raise AuthenticationError("session unknown or ended")
            if now - as_utc(session.last_seen_at) >= self._touch_every:
                session.last_seen_at = now
                db.add(session)
                db.commit()
        created = as_utc(session.created_at)
        engagement = user.engagement_expires_at
        return Caller(
            id=user.id,
            kind=CallerKind.USER,
            roles=load_roles(user.roles),
            auth_method=AuthMethod.SESSION,
            attributes={
                "session_id": session.id,
                "mfa_age_seconds": int((now - created).total_seconds()),
                **engagement_attributes(as_utc(engagement) if engagement else None),
            },
            csrf_token=session.csrf_token,
            must_change_password=user.must_change_password,
        )

    def _is_live(self, session: IdentitySession, now: datetime) -> bool:
        if session.revoked_at is not None:
            return False
        if now >= as_utc(session.absolute_expires_at):
            return False
        return now < as_utc(session.last_seen_at) + self._idle

    # --- logout -----------------------------------------------------------------------

    def logout(self, session_token: str, origin: Origin | None = None) -> None:
        """End the session the token names (idempotent for an already ended session)."""
        now = self._clock()
        with Session(self._engine, expire_on_commit=False) as db:
            query = select(IdentitySession).where(
                IdentitySession.token_hash == token_hash(session_token)
            )
            session = db.exec(query).first()
            if session is None or session.revoked_at is not None:
                return
            session.revoked_at = now
            db.add(session)
            db.flush()
            record(
                self._audit,
                EventType.LOGOUT,
                actor=Actor(id=session.user_id, kind="user"),
                target=Target(type="session", id=session.id),
                origin=origin,
            )
            db.commit()

    def purge_expired(self) -> int:
        """Delete sessions past their absolute expiry or revoked; returns how many."""
        now = self._clock()
        with Session(self._engine, expire_on_commit=False) as db:
            rows = db.exec(select(IdentitySession)).all()
            ended = [row for row in rows if not self._is_live(row, now)]
            for row in ended:
                db.delete(row)
            db.commit()
        return len(ended)

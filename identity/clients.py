"""OAuth 2.0 client credentials grant (RFC 6749 section 4.4) for service accounts."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from audit import Actor, AuditRecorder, EventType, Origin, Outcome, Target
from identity.auditing import ANONYMOUS, record
from identity.clock import Clock, as_utc, utc_now
from identity.errors import InvalidClientError, InvalidScopeError
from identity.passwords import SecretHasher
from identity.roles import load_roles
from identity.tables import IdentityServiceAccount
from identity.tokens import IssuedToken, TokenService


class ClientCredentials:
    """Authenticates a client by id and secret and issues it an access token."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditRecorder,
        hasher: SecretHasher,
        tokens: TokenService,
        clock: Clock = utc_now,
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._hasher = hasher
        self._tokens = tokens
        self._clock = clock

    def issue_token(
        self,
        client_id: str,
        client_secret: str,
        scope: str | None = None,
        origin: Origin | None = None,
    ) -> IssuedToken:
        with Session(self._engine, expire_on_commit=False) as db:
            query = select(IdentityServiceAccount).where(
                IdentityServiceAccount.client_id == client_id
            )
            account = db.exec(query).first()
        if account is None or account.disabled or not self._secret_matches(account, client_secret):
            actor = Actor(id=client_id, kind="service") if account else ANONYMOUS
            record(
                self._audit,
                EventType.LOGIN_FAILED,
                actor=actor,
                target=Target(type="service_account", id=account.client_id if account else None),
                origin=origin,
                outcome=Outcome.FAILURE,
                method="client_credentials",
            )
            raise InvalidClientError("client authentication failed")
        roles = self._granted_roles(load_roles(account.roles), scope)
        engagement = account.engagement_expires_at
        issued = self._tokens.issue(
            account.client_id, roles, as_utc(engagement) if engagement else None
        )
        record(
            self._audit,
            EventType.TOKEN_ISSUED,
            actor=Actor(id=account.client_id, kind="service", roles=tuple(sorted(roles))),
            target=Target(type="access_token", id=issued.jti),
            origin=origin,
            expires_at=issued.expires_at.isoformat(),
            roles=sorted(roles),
        )
        return issued

    def _secret_matches(self, account: IdentityServiceAccount, secret: str) -> bool:
        if self._hasher.verify(account.secret_hash, secret):
            return True
        grace_until = account.previous_secret_expires_at
        if account.previous_secret_hash is None or grace_until is None:
            return False
        if as_utc(grace_until) <= self._clock():
            return False
        return self._hasher.verify(account.previous_secret_hash, secret)

    @staticmethod
    def _granted_roles(held: frozenset[str], scope: str | None) -> frozenset[str]:
        """No scope: every role the account holds; a scope narrows it to those roles."""
        if scope is None or not scope.strip():
            return held
        requested = frozenset(scope.split())
        if not requested <= held:
            raise InvalidScopeError("the requested scope names roles the client does not hold")
        return requested

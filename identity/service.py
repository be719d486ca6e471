"""The identity room's facade: what the composition root builds and the web layer calls."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from audit import Actor, AuditRecorder, Origin
from identity.accounts import AccountAdmin, NewServiceAccount, NewUser, RotatedSecret
from identity.caller import AuthMethod, Caller, CallerKind
from identity.clients import ClientCredentials
from identity.clock import Clock, utc_now
from identity.config import IdentityConfig
from identity.errors import AuthenticationError
from identity.keys import KeySet
from identity.oidc import ExternalIssuers
from identity.password_change import PasswordChanger
from identity.passwords import SecretHasher
from identity.secretbox import SecretBox
from identity.sessions import LoginResult, SessionService
from identity.tokens import IssuedToken, TokenService, unverified_header


class IdentityService:
    """Implements ``web.deps.CallerAuthenticator`` and the account, token and login flows.

    ``hasher`` hashes passwords; ``client_hasher`` (default: the same) hashes client secrets,
    which are 256-bit random and may use a cheaper argon2id profile (ADR 0502).
    """

    def __init__(
        self,
        engine: Engine,
        audit: AuditRecorder,
        keys: KeySet,
        box: SecretBox,
        config: IdentityConfig | None = None,
        *,
        hasher: SecretHasher | None = None,
        client_hasher: SecretHasher | None = None,
        external: ExternalIssuers | None = None,
        clock: Clock = utc_now,
    ) -> None:
        config = config or IdentityConfig()
        hasher = hasher or SecretHasher()
        client_hasher = client_hasher or hasher
        self.config = config
        self.tokens = TokenService(
            keys,
            issuer=config.issuer,
            audience=config.audience,
            ttl_seconds=config.token_ttl_seconds,
            leeway_seconds=config.leeway_seconds,
            clock=clock,
        )
        self.accounts = AccountAdmin(
            engine,
            audit,
            hasher,
            client_hasher,
            box,
            totp_issuer=config.totp_issuer,
            rotation_grace_seconds=config.secret_rotation_grace_seconds,
            clock=clock,
        )
        self.clients = ClientCredentials(engine, audit, client_hasher, self.tokens, clock)
        self.sessions = SessionService(engine, audit, hasher, box, config, clock=clock)
        self.passwords = PasswordChanger(engine, audit, hasher, config, clock=clock)
        self._external = external

    # --- web.deps.CallerAuthenticator ---------------------------------------------------

    def authenticate_bearer(self, token: str) -> Caller:
        header = unverified_header(token)
        if self.tokens.owns(header) or not self._external:
            return self.tokens.verify(token, header)
        return self._external.verify(token, header)

    def bearer_needs_io(self, token: str) -> bool:
        """Our own tokens verify offline (CPU only); an external issuer's may need its JWKS."""
        if not self._external:
            return False
        try:
            return not self.tokens.owns(unverified_header(token))
        except AuthenticationError:
            return False  # malformed: refused without any I/O

    def authenticate_session(self, session_token: str) -> Caller:
        return self.sessions.authenticate(session_token)

    # --- flows --------------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        return self.tokens.keys.jwks()

    def issue_token(
        self,
        client_id: str,
        client_secret: str,
        scope: str | None = None,
        origin: Origin | None = None,
    ) -> IssuedToken:
        return self.clients.issue_token(client_id, client_secret, scope, origin)

    def login(
        self, email: str, password: str, totp_code: str, origin: Origin | None = None
    ) -> LoginResult:
        return self.sessions.login(email, password, totp_code, origin)

    def logout(self, session_token: str, origin: Origin | None = None) -> None:
        self.sessions.logout(session_token, origin)

    def change_password(
        self,
        caller: Caller,
        current: str,
        new: str,
        origin: Origin | None = None,
    ) -> int:
        """A signed-in user's own change; the caller's session stays, the others end.

        Only a person signed in with a session changes a password here (a bearer token is
        refused: it names a service account or an external issuer's user).
        """
        if caller.auth_method is not AuthMethod.SESSION or caller.kind is not CallerKind.USER:
            raise AuthenticationError("a password is changed from a signed-in session")
        session_id = caller.attributes.get("session_id")
        return self.passwords.change(
            caller.id,
            current,
            new,
            keep_session_id=session_id if isinstance(session_id, str) else None,
            origin=origin,
        )

    def change_password_of(
        self, email: str, current: str, new: str, origin: Origin | None = None
    ) -> int:
        """The operator's CLI: the same check (the current password is needed); every
        session of the user ends."""
        return self.passwords.change(self.accounts.user_id_of(email), current, new, origin=origin)

    def create_user(
        self,
        email: str,
        roles: Iterable[str],
        actor: Actor,
        origin: Origin | None = None,
        engagement_expires_at: datetime | None = None,
    ) -> NewUser:
        return self.accounts.create_user(email, roles, actor, origin, engagement_expires_at)

    def create_service_account(
        self,
        name: str,
        roles: Iterable[str],
        actor: Actor,
        origin: Origin | None = None,
        engagement_expires_at: datetime | None = None,
    ) -> NewServiceAccount:
        return self.accounts.create_service_account(
            name, roles, actor, origin, engagement_expires_at
        )

    def rotate_secret(
        self,
        client_id: str,
        actor: Actor,
        origin: Origin | None = None,
        grace_seconds: int | None = None,
    ) -> RotatedSecret:
        return self.accounts.rotate_secret(client_id, actor, origin, grace_seconds)

    def set_engagement(
        self, account: str, expires_at: datetime, actor: Actor, origin: Origin | None = None
    ) -> datetime:
        """``account``: a user's email or a service account's client id."""
        return self.accounts.set_engagement(account, expires_at, actor, origin)

"""Administration of accounts: create users and service accounts, rotate client secrets."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar
from ulid import ULID

from audit import Actor, AuditRecorder, EventType, Origin, Target
from identity.auditing import record
from identity.clock import Clock, utc_now
from identity.engagement import rfc3339_z, validated_engagement
from identity.errors import ConflictError, InvalidInputError, NotFoundError
from identity.passwords import SecretHasher, new_client_secret, new_password
from identity.roles import dump_roles, validated_roles
from identity.secretbox import SecretBox
from identity.tables import IdentityServiceAccount, IdentityUser
from identity.totp import new_totp_secret, provisioning_uri

SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
MAX_GRACE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class NewUser:
    """Returned once: the one-time password and TOTP URI are never stored in the clear."""

    user_id: str
    email: str
    roles: frozenset[str]
    password: str
    totp_uri: str
    engagement_expires_at: datetime | None = None


@dataclass(frozen=True)
class NewServiceAccount:
    """Returned once: the client secret is stored only as an argon2 hash."""

    id: str
    name: str
    client_id: str
    client_secret: str
    roles: frozenset[str]
    engagement_expires_at: datetime | None = None


@dataclass(frozen=True)
class RotatedSecret:
    client_id: str
    client_secret: str
    previous_secret_valid_until: datetime | None


def normalized_email(email: str) -> str:
    try:
        return str(validate_email(email.strip(), check_deliverability=False).normalized).lower()
    except EmailNotValidError as exc:
        raise InvalidInputError("not a valid email address") from exc


def new_client_id() -> str:
    return "tpc_" + str(ULID()).lower()


class AccountAdmin:
    """Creates accounts and rotates secrets; every change is an audited admin action."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditRecorder,
        hasher: SecretHasher,
        client_hasher: SecretHasher,
        box: SecretBox,
        *,
        totp_issuer: str,
        rotation_grace_seconds: int = 0,
        clock: Clock = utc_now,
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._hasher = hasher
        self._client_hasher = client_hasher
        self._box = box
        self._totp_issuer = totp_issuer
        self._grace_seconds = rotation_grace_seconds
        self._clock = clock

    def create_user(
        self,
        email: str,
        roles: Iterable[str],
        actor: Actor,
        origin: Origin | None = None,
        engagement_expires_at: datetime | None = None,
    ) -> NewUser:
        address = normalized_email(email)
        role_set = validated_roles(roles)
        engagement = validated_engagement(role_set, engagement_expires_at, self._clock())
        user_id = str(uuid.uuid4())
        password, totp_secret = new_password(), new_totp_secret()
        row = IdentityUser(
            id=user_id,
            email=address,
            roles=dump_roles(role_set),
            password_hash=self._hasher.hash(password),
            totp_secret_sealed=self._box.seal(totp_secret, user_id),
            created_at=self._clock(),
            engagement_expires_at=engagement,
            must_change_password=True,  # the one-time password is changed at first sign-in
        )
        self._create_audited(
            row,
            select(IdentityUser.id).where(IdentityUser.email == address),
            "a user with this email already exists",
            target=Target(type="user", id=user_id),
            action="user.create",
            role_set=role_set,
            engagement=engagement,
            actor=actor,
            origin=origin,
        )
        uri = provisioning_uri(totp_secret, address, self._totp_issuer)
        return NewUser(user_id, address, role_set, password, uri, engagement)

    def create_service_account(
        self,
        name: str,
        roles: Iterable[str],
        actor: Actor,
        origin: Origin | None = None,
        engagement_expires_at: datetime | None = None,
    ) -> NewServiceAccount:
        if not SERVICE_NAME.match(name):
            raise InvalidInputError(
                "service account names are 1-200 characters of letters, digits and ._:-"
            )
        role_set = validated_roles(roles)
        now = self._clock()
        engagement = validated_engagement(role_set, engagement_expires_at, now)
        secret, client_id = new_client_secret(), new_client_id()
        row = IdentityServiceAccount(
            id=str(uuid.uuid4()),
            client_id=client_id,
            name=name,
            roles=dump_roles(role_set),
            secret_hash=self._client_hasher.hash(secret),
            secret_rotated_at=now,
            created_at=now,
            engagement_expires_at=engagement,
        )
        self._create_audited(
            row,
            select(IdentityServiceAccount.id).where(IdentityServiceAccount.name == name),
            "a service account with this name already exists",
            target=Target(type="service_account", id=client_id),
            action="service_account.create",
            role_set=role_set,
            engagement=engagement,
            actor=actor,
            origin=origin,
        )
        return NewServiceAccount(row.id, name, client_id, secret, role_set, engagement)

    def rotate_secret(
        self,
        client_id: str,
        actor: Actor,
        origin: Origin | None = None,
        grace_seconds: int | None = None,
    ) -> RotatedSecret:
        """A new secret replaces the old one; the old one works ``grace_seconds`` longer."""
        grace = self._grace_seconds if grace_seconds is None else grace_seconds
        if not 0 <= grace <= MAX_GRACE_SECONDS:
            raise InvalidInputError(f"grace_seconds must be between 0 and {MAX_GRACE_SECONDS}")
        secret, now = new_client_secret(), self._clock()
        with Session(self._engine, expire_on_commit=False) as db:
            query = select(IdentityServiceAccount).where(
                IdentityServiceAccount.client_id == client_id
            )
            account = db.exec(query.with_for_update()).first()
            if account is None:
                raise NotFoundError("no such service account")
            valid_until = now + timedelta(seconds=grace) if grace else None
            account.previous_secret_hash = account.secret_hash if grace else None
            account.previous_secret_expires_at = valid_until
            account.secret_hash = self._client_hasher.hash(secret)
            account.secret_rotated_at = now
            db.add(account)
            record(
                self._audit,
                EventType.ADMIN_ACTION,
                actor=actor,
                target=Target(type="service_account", id=client_id),
                origin=origin,
                action="service_account.rotate_secret",
                grace_seconds=grace,
            )
            db.commit()
        return RotatedSecret(client_id, secret, valid_until)

    def set_engagement(
        self,
        account: str,
        expires_at: datetime,
        actor: Actor,
        origin: Origin | None = None,
    ) -> datetime:
        """Extend or shorten an engagement; ``account`` is a user's email or a client id.

        Shortening to a past time ends the engagement at once for sessions, and for access
        tokens at their expiry at the latest (ADR 0504).
        """
        if expires_at.tzinfo is None:
            raise InvalidInputError("engagement expiry needs a UTC offset (e.g. Z)")
        moment = expires_at.astimezone(UTC).replace(microsecond=0)
        with Session(self._engine, expire_on_commit=False) as db:
            row, target = self._account_row(db, account)
            row.engagement_expires_at = moment
            db.add(row)
            record(
                self._audit,
                EventType.ADMIN_ACTION,
                actor=actor,
                target=target,
                origin=origin,
                action="engagement.set",
                engagement_expires_at=rfc3339_z(moment),
            )
            db.commit()
        return moment

    def user_id_of(self, email: str) -> str:
        with Session(self._engine) as db:
            query = select(IdentityUser.id).where(IdentityUser.email == normalized_email(email))
            found = db.exec(query).first()
        if found is None:
            raise NotFoundError("no such user")
        return found

    @staticmethod
    def _account_row(
        db: Session, account: str
    ) -> tuple[IdentityUser | IdentityServiceAccount, Target]:
        if "@" in account:
            user = db.exec(
                select(IdentityUser).where(IdentityUser.email == normalized_email(account))
            ).first()
            if user is None:
                raise NotFoundError("no such user")
            return user, Target(type="user", id=user.id)
        query = select(IdentityServiceAccount).where(IdentityServiceAccount.client_id == account)
        service = db.exec(query).first()
        if service is None:
            raise NotFoundError("no such service account")
        return service, Target(type="service_account", id=service.client_id)

    def _create_audited(
        self,
        row: IdentityUser | IdentityServiceAccount,
        taken: SelectOfScalar[str],
        conflict: str,
        *,
        target: Target,
        action: str,
        role_set: frozenset[str],
        engagement: datetime | None,
        actor: Actor,
        origin: Origin | None,
    ) -> None:
        """Insert a new account unless ``taken`` finds one; audited in the same transaction."""
        with Session(self._engine, expire_on_commit=False) as db:
            if db.exec(taken).first():
                raise ConflictError(conflict)
            db.add(row)
            self._flush_unique(db, conflict)
            record(
                self._audit,
                EventType.ADMIN_ACTION,
                actor=actor,
                target=target,
                origin=origin,
                action=action,
                roles=sorted(role_set),
                engagement_expires_at=rfc3339_z(engagement) if engagement else None,
            )
            db.commit()

    @staticmethod
    def _flush_unique(db: Session, message: str) -> None:
        try:
            db.flush()
        except IntegrityError as exc:  # a concurrent create won the race
            db.rollback()
            raise ConflictError(message) from exc

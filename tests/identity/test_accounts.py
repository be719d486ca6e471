"""Account administration on both backends: hashes only, validation, audit without PII."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from audit import SYSTEM_ACTOR, EventType, InMemoryAuditLog
from identity import (
    ConflictError,
    IdentityService,
    InvalidInputError,
    NotFoundError,
    UnknownRoleError,
)
from identity.engagement import parse_engagement, rfc3339_z
from tests.identity.conftest import FakeClock, Human


def all_stored_text(engine: Engine, table: str) -> str:
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table}")).all()
    return " ".join(str(value) for row in rows for value in row)


def test_user_gets_one_time_password_and_totp_uri(human: Human) -> None:
    account = human.account
    assert account.email == "priya@finsolve.example"
    assert account.roles == {"security"}
    assert len(account.password) >= 16
    assert account.totp_uri.startswith("otpauth://totp/trustplane:priya%40finsolve.example?")
    assert "issuer=trustplane" in account.totp_uri


def test_only_argon2_hashes_are_stored(engine: Engine, human: Human) -> None:
    stored = all_stored_text(engine, "identity_users")
    assert human.account.password not in stored
    assert human.totp_secret not in stored  # sealed, not in the clear
    with engine.connect() as connection:
        password_hash = connection.execute(text("SELECT password_hash FROM identity_users")).one()
    assert password_hash[0].startswith("$argon2id$")


def test_service_account_secret_is_stored_as_argon2(
    engine: Engine, service: IdentityService
) -> None:
    created = service.create_service_account("payments-api", ["svc:payments"], SYSTEM_ACTOR)
    assert created.client_id.startswith("tpc_")
    assert created.client_secret.startswith("tps_")
    stored = all_stored_text(engine, "identity_service_accounts")
    assert created.client_secret not in stored
    assert created.client_secret[4:] not in stored
    with engine.connect() as connection:
        (secret_hash,) = connection.execute(
            text("SELECT secret_hash FROM identity_service_accounts")
        ).one()
    assert secret_hash.startswith("$argon2id$")


def test_duplicate_email_conflicts_case_insensitively(service: IdentityService) -> None:
    service.create_user("dpo@finsolve.example", ["dpo"], SYSTEM_ACTOR)
    with pytest.raises(ConflictError):
        service.create_user("DPO@FinSolve.example", ["dpo"], SYSTEM_ACTOR)


def test_duplicate_service_account_name_conflicts(service: IdentityService) -> None:
    service.create_service_account("wealth", ["svc:wealth"], SYSTEM_ACTOR)
    with pytest.raises(ConflictError):
        service.create_service_account("wealth", ["svc:wealth"], SYSTEM_ACTOR)


@pytest.mark.parametrize("roles", [["superuser"], ["admin", "root"]])
def test_unknown_roles_are_refused(service: IdentityService, roles: list[str]) -> None:
    with pytest.raises(UnknownRoleError):
        service.create_user("x@finsolve.example", roles, SYSTEM_ACTOR)
    with pytest.raises(UnknownRoleError):
        service.create_service_account("svc-x", roles, SYSTEM_ACTOR)


def test_bad_input_is_refused_and_changes_nothing(engine: Engine, service: IdentityService) -> None:
    with pytest.raises(InvalidInputError):
        service.create_user("not-an-email", ["dpo"], SYSTEM_ACTOR)
    with pytest.raises(InvalidInputError):
        service.create_user("ok@finsolve.example", [], SYSTEM_ACTOR)
    with pytest.raises(InvalidInputError):
        service.create_service_account("has spaces", ["service"], SYSTEM_ACTOR)
    assert all_stored_text(engine, "identity_users") == ""
    assert all_stored_text(engine, "identity_service_accounts") == ""


def test_admin_actions_are_audited_without_email_or_secrets(
    service: IdentityService, audit_log: InMemoryAuditLog
) -> None:
    until = datetime(2027, 1, 31, tzinfo=UTC)
    user = service.create_user(
        "auditor@finsolve.example", ["auditor"], SYSTEM_ACTOR, engagement_expires_at=until
    )
    account = service.create_service_account(
        "grc-tool", ["auditor"], SYSTEM_ACTOR, engagement_expires_at=until
    )
    rotated = service.rotate_secret(account.client_id, SYSTEM_ACTOR)
    assert [event.type for event in audit_log.events] == [EventType.ADMIN_ACTION] * 3
    assert [event.details["action"] for event in audit_log.events] == [
        "user.create",
        "service_account.create",
        "service_account.rotate_secret",
    ]
    assert audit_log.events[0].target.id == user.user_id
    dumped = " ".join(event.model_dump_json() for event in audit_log.events)
    for secret in (user.email, user.password, account.client_secret, rotated.client_secret):
        assert secret not in dumped


def test_rotating_an_unknown_client_is_not_found(service: IdentityService) -> None:
    with pytest.raises(NotFoundError):
        service.rotate_secret("tpc_nope", SYSTEM_ACTOR)


def test_rotation_grace_is_bounded(service: IdentityService) -> None:
    account = service.create_service_account("svc-a", ["service"], SYSTEM_ACTOR)
    with pytest.raises(InvalidInputError):
        service.rotate_secret(account.client_id, SYSTEM_ACTOR, grace_seconds=-1)


# --- auditor engagements (ACCESS-MODEL rule 11, ADR 0504) --------------------------------


def test_auditor_accounts_need_a_future_engagement(
    service: IdentityService, clock: FakeClock
) -> None:
    with pytest.raises(InvalidInputError, match="engagement"):
        service.create_user("a@finsolve.example", ["auditor", "dpo"], SYSTEM_ACTOR)
    with pytest.raises(InvalidInputError, match="engagement"):
        service.create_service_account("grc", ["auditor"], SYSTEM_ACTOR)
    with pytest.raises(InvalidInputError, match="future"):
        service.create_service_account(
            "grc", ["auditor"], SYSTEM_ACTOR, engagement_expires_at=clock()
        )
    naive = datetime(2099, 1, 1)
    with pytest.raises(InvalidInputError, match="offset"):
        service.create_service_account(
            "grc", ["auditor"], SYSTEM_ACTOR, engagement_expires_at=naive
        )


def test_engagement_reaches_token_and_session_callers(
    service: IdentityService, clock: FakeClock
) -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    until = datetime(2027, 1, 31, 5, 30, 0, 123456, tzinfo=ist)
    account = service.create_service_account(
        "grc", ["auditor", "security"], SYSTEM_ACTOR, engagement_expires_at=until
    )
    assert account.engagement_expires_at == datetime(2027, 1, 31, tzinfo=UTC)
    token = service.issue_token(account.client_id, account.client_secret, scope="security")
    attributes = service.authenticate_bearer(token.access_token).attributes
    assert attributes["engagement_expires_at"] == "2027-01-31T00:00:00Z"
    plain = service.create_service_account("svc", ["service"], SYSTEM_ACTOR)
    plain_token = service.issue_token(plain.client_id, plain.client_secret)
    assert (
        "engagement_expires_at"
        not in service.authenticate_bearer(plain_token.access_token).attributes
    )
    user = service.create_user(
        "aud@bigfour.example", ["auditor"], SYSTEM_ACTOR, engagement_expires_at=until
    )
    from identity.totp import code_at
    from tests.identity.conftest import totp_secret_of

    code = code_at(totp_secret_of(user.totp_uri), clock())
    login = service.login(user.email, user.password, code)
    caller = service.authenticate_session(login.session_token)
    assert caller.attributes["engagement_expires_at"] == "2027-01-31T00:00:00Z"
    assert caller.attributes["mfa_age_seconds"] == 0


def test_other_roles_may_carry_an_engagement(service: IdentityService, clock: FakeClock) -> None:
    later = clock() + timedelta(days=1)
    account = service.create_service_account(
        "sec", ["security"], SYSTEM_ACTOR, engagement_expires_at=later
    )
    assert account.engagement_expires_at == later.replace(microsecond=0)


@pytest.mark.parametrize(
    ("text_value", "expected"),
    [
        ("2027-01-31", "2027-02-01T00:00:00Z"),
        ("2027-01-31T10:00:00Z", "2027-01-31T10:00:00Z"),
        ("2027-01-31T10:00:00z", "2027-01-31T10:00:00Z"),
        ("2027-01-31T15:30:00+05:30", "2027-01-31T10:00:00Z"),
    ],
)
def test_engagement_text_forms(text_value: str, expected: str) -> None:
    assert rfc3339_z(parse_engagement(text_value)) == expected


@pytest.mark.parametrize("bad", ["", "31/01/2027", "2027-01-31T10:00:00", "2027-13-01"])
def test_engagement_text_refusals(bad: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_engagement(bad)


def test_engagements_can_be_extended_or_ended(
    service: IdentityService, clock: FakeClock, audit_log: InMemoryAuditLog
) -> None:
    start = clock() + timedelta(days=1)
    account = service.create_service_account(
        "grc", ["auditor"], SYSTEM_ACTOR, engagement_expires_at=start
    )
    user = service.create_user(
        "aud@bigfour.example", ["auditor"], SYSTEM_ACTOR, engagement_expires_at=start
    )
    later = datetime(2027, 6, 30, 12, 0, 0, 999, tzinfo=UTC)
    assert service.set_engagement(account.client_id, later, SYSTEM_ACTOR) == later.replace(
        microsecond=0
    )
    token = service.issue_token(account.client_id, account.client_secret)
    attributes = service.authenticate_bearer(token.access_token).attributes
    assert attributes["engagement_expires_at"] == "2027-06-30T12:00:00Z"
    from identity.totp import code_at
    from tests.identity.conftest import totp_secret_of

    login = service.login(
        user.email, user.password, code_at(totp_secret_of(user.totp_uri), clock())
    )
    ended = clock() - timedelta(seconds=1)
    service.set_engagement("AUD@bigfour.example", ended, SYSTEM_ACTOR)  # ends it at once
    caller = service.authenticate_session(login.session_token)
    assert caller.attributes["engagement_expires_at"] == rfc3339_z(ended)
    assert audit_log.events[-1].details["action"] == "engagement.set"
    with pytest.raises(NotFoundError):
        service.set_engagement("tpc_nope", later, SYSTEM_ACTOR)
    with pytest.raises(NotFoundError):
        service.set_engagement("nobody@finsolve.example", later, SYSTEM_ACTOR)
    with pytest.raises(InvalidInputError):
        service.set_engagement(account.client_id, datetime(2027, 1, 1), SYSTEM_ACTOR)

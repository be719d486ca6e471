"""Human sign-in on both backends: TOTP, lockout, idle and absolute expiry, logout."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from audit import SYSTEM_ACTOR, EventType, InMemoryAuditLog
from identity import (
    AccountLockedError,
    AuthenticationError,
    AuthMethod,
    CallerKind,
    IdentityService,
)
from identity.sessions import token_hash
from tests.identity.conftest import FakeClock, Human


def login(service: IdentityService, human: Human, clock: FakeClock, **overrides: str):  # type: ignore[no-untyped-def]
    values = {
        "email": human.account.email,
        "password": human.account.password,
        "totp_code": human.code(clock),
    }
    values.update(overrides)
    return service.login(values["email"], values["password"], values["totp_code"])


def test_login_gives_a_session_caller_with_csrf(
    service: IdentityService, human: Human, clock: FakeClock
) -> None:
    result = login(service, human, clock)
    caller = service.authenticate_session(result.session_token)
    assert caller.id == human.account.user_id
    assert caller.kind is CallerKind.USER
    assert caller.auth_method is AuthMethod.SESSION
    assert caller.roles == {"security"}
    assert caller.csrf_token == result.csrf_token
    assert caller.attributes["session_id"] == result.session_id
    clock.advance(100)
    assert service.authenticate_session(result.session_token).attributes["mfa_age_seconds"] == 100


def test_email_is_matched_case_insensitively(
    service: IdentityService, human: Human, clock: FakeClock
) -> None:
    assert login(service, human, clock, email="Priya@FINSOLVE.example").session_token


def test_only_the_session_token_hash_is_stored(
    engine: Engine, service: IdentityService, human: Human, clock: FakeClock
) -> None:
    result = login(service, human, clock)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM identity_sessions")).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert result.session_token not in stored
    assert token_hash(result.session_token) in stored


@pytest.mark.parametrize(
    "field",
    ["totp_code", "password", "email"],
)
def test_wrong_factor_is_refused(
    service: IdentityService, human: Human, clock: FakeClock, field: str
) -> None:
    wrong = {"totp_code": "000000", "password": "not-the-password", "email": "x@finsolve.example"}
    if field == "totp_code" and human.code(clock) == "000000":
        wrong["totp_code"] = "111111"
    with pytest.raises(AuthenticationError) as caught:
        login(service, human, clock, **{field: wrong[field]})
    assert not isinstance(caught.value, AccountLockedError)
    assert str(caught.value) == "invalid email, password or one-time code"


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567"])
def test_malformed_totp_is_refused(
    service: IdentityService, human: Human, clock: FakeClock, code: str
) -> None:
    with pytest.raises(AuthenticationError):
        login(service, human, clock, totp_code=code)


def test_totp_from_the_neighbouring_step_is_accepted(
    service: IdentityService, human: Human, clock: FakeClock
) -> None:
    assert login(service, human, clock, totp_code=human.code(clock, -1)).session_token


def test_totp_two_steps_away_is_refused(
    service: IdentityService, human: Human, clock: FakeClock
) -> None:
    with pytest.raises(AuthenticationError):
        login(service, human, clock, totp_code=human.code(clock, -3))


def test_a_used_totp_code_cannot_be_replayed(
    service: IdentityService, human: Human, clock: FakeClock
) -> None:
    code = human.code(clock)
    login(service, human, clock, totp_code=code)
    with pytest.raises(AuthenticationError):
        login(service, human, clock, totp_code=code)


def test_lockout_engages_after_threshold_and_lifts_after_its_time(
    service: IdentityService, human: Human, clock: FakeClock, audit_log: InMemoryAuditLog
) -> None:
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            login(service, human, clock, password="wrong")
    with pytest.raises(AccountLockedError) as locked:
        login(service, human, clock, password="wrong")
    assert locked.value.retry_after == 300
    clock.advance(100)
    with pytest.raises(AccountLockedError) as still:  # even the right credentials
        login(service, human, clock)
    assert still.value.retry_after == 200
    clock.advance(200)
    assert login(service, human, clock).session_token
    failed = [e for e in audit_log.events if e.type is EventType.LOGIN_FAILED]
    assert [e.details["reason"] for e in failed] == ["bad_credentials"] * 3 + ["locked"]
    assert failed[2].details["locked"] is True


def test_success_resets_the_failure_count(
    service: IdentityService, human: Human, clock: FakeClock
) -> None:
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            login(service, human, clock, password="wrong")
    login(service, human, clock)
    clock.advance(30)
    for _ in range(2):
        with pytest.raises(AuthenticationError) as caught:
            login(service, human, clock, password="wrong")
        assert not isinstance(caught.value, AccountLockedError)


def test_idle_session_expires(service: IdentityService, human: Human, clock: FakeClock) -> None:
    result = login(service, human, clock)
    clock.advance(599)
    assert service.authenticate_session(result.session_token)
    clock.advance(599)  # activity moved the idle deadline
    assert service.authenticate_session(result.session_token)
    clock.advance(600)
    with pytest.raises(AuthenticationError):
        service.authenticate_session(result.session_token)


def test_absolute_timeout_ends_even_an_active_session(
    service: IdentityService, human: Human, clock: FakeClock
) -> None:
    result = login(service, human, clock)
    for _ in range(7):
        clock.advance(500)
        assert service.authenticate_session(result.session_token)
    clock.advance(100)  # 3600 s after login
    with pytest.raises(AuthenticationError):
        service.authenticate_session(result.session_token)
    assert service.sessions.purge_expired() == 1


def test_logout_ends_the_session(
    service: IdentityService, human: Human, clock: FakeClock, audit_log: InMemoryAuditLog
) -> None:
    result = login(service, human, clock)
    service.logout(result.session_token)
    service.logout(result.session_token)  # idempotent
    with pytest.raises(AuthenticationError):
        service.authenticate_session(result.session_token)
    types = [e.type for e in audit_log.events]
    assert types.count(EventType.LOGIN) == 1
    assert types.count(EventType.LOGOUT) == 1


def test_unknown_session_token_is_refused(service: IdentityService) -> None:
    with pytest.raises(AuthenticationError):
        service.authenticate_session("not-a-session")


def test_login_audit_holds_ids_not_pii(
    service: IdentityService, human: Human, clock: FakeClock, audit_log: InMemoryAuditLog
) -> None:
    with pytest.raises(AuthenticationError):
        login(service, human, clock, password="wrong-password-xyz")
    result = login(service, human, clock)
    dumped = " ".join(event.model_dump_json() for event in audit_log.events)
    for sensitive in (
        human.account.email,
        human.account.password,
        "wrong-password-xyz",
        result.session_token,
        result.csrf_token,
    ):
        assert sensitive not in dumped
    login_event = next(e for e in audit_log.events if e.type is EventType.LOGIN)
    assert login_event.actor.id == human.account.user_id


def test_audit_outage_leaves_no_session(
    engine: Engine,
    service: IdentityService,
    human: Human,
    clock: FakeClock,
    audit_log: InMemoryAuditLog,
) -> None:
    from audit import AuditUnavailableError

    audit_log.fail = True
    with pytest.raises(AuditUnavailableError):
        login(service, human, clock)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM identity_sessions")).scalar() == 0


def test_disabled_user_cannot_log_in(
    engine: Engine, service: IdentityService, human: Human, clock: FakeClock
) -> None:
    result = login(service, human, clock)
    with engine.begin() as connection:
        connection.execute(text("UPDATE identity_users SET disabled = :yes"), {"yes": True})
    with pytest.raises(AuthenticationError):
        service.authenticate_session(result.session_token)
    clock.advance(30)
    with pytest.raises(AuthenticationError):
        login(service, human, clock)


def test_second_user_sessions_are_separate(
    service: IdentityService, human: Human, clock: FakeClock
) -> None:
    other = service.create_user("dpo@finsolve.example", ["dpo"], SYSTEM_ACTOR)
    assert other.user_id != human.account.user_id
    first = login(service, human, clock)
    assert service.authenticate_session(first.session_token).roles == {"security"}

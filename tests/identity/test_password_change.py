"""A user changes the one-time password: policy, argon2, audit, other sessions revoked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine

from audit import AuditUnavailableError, EventType, InMemoryAuditLog
from identity import (
    AccountLockedError,
    AuthenticationError,
    Caller,
    CallerKind,
    IdentityService,
    PasswordRefusedError,
    password_problem,
)
from tests.identity.conftest import FakeClock, Human

NEW = "correct horse battery staple"


def signed_in(service: IdentityService, human: Human, clock: FakeClock, password: str) -> str:
    clock.advance(30)  # a TOTP code is accepted once: each sign-in uses the next step
    return service.login(human.account.email, password, human.code(clock)).session_token


def caller_of(service: IdentityService, token: str) -> Caller:
    return service.authenticate_session(token)


def test_a_new_account_must_change_its_one_time_password(
    service: IdentityService, human: Human, clock: FakeClock
) -> None:
    token = signed_in(service, human, clock, human.account.password)
    assert caller_of(service, token).must_change_password


def test_the_change_clears_the_flag_keeps_this_session_and_ends_the_others(
    engine: Engine,
    service: IdentityService,
    human: Human,
    clock: FakeClock,
    audit_log: InMemoryAuditLog,
) -> None:
    other = signed_in(service, human, clock, human.account.password)
    this = signed_in(service, human, clock, human.account.password)
    revoked = service.change_password(caller_of(service, this), human.account.password, NEW)
    assert revoked == 1
    assert not caller_of(service, this).must_change_password
    with pytest.raises(AuthenticationError):
        caller_of(service, other)
    with pytest.raises(AuthenticationError):  # the old password no longer signs in
        signed_in(service, human, clock, human.account.password)
    assert signed_in(service, human, clock, NEW)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM identity_users")).scalar()
    assert isinstance(stored, str)
    assert stored.startswith("$argon2id$")
    assert NEW not in stored
    event = next(e for e in audit_log.events if e.details.get("action") == "user.change_password")
    assert event.type is EventType.ADMIN_ACTION
    assert event.actor.id == human.account.user_id
    assert event.details["sessions_revoked"] == 1
    assert NEW not in str(event.model_dump())
    assert human.account.password not in str(event.model_dump())


@pytest.mark.parametrize(
    ("new", "why"),
    [
        ("short-pass1", "at least 12"),
        ("PRIYA@finsolve.example", "email"),
        ("priya@finsolve.example", "email"),
        ("Priya", "at least 12"),
        ("x" * 1025, "at most 1024"),
        (" " * 12, "only spaces"),
    ],
)
def test_a_new_password_the_policy_refuses_changes_nothing(
    service: IdentityService, human: Human, clock: FakeClock, new: str, why: str
) -> None:
    token = signed_in(service, human, clock, human.account.password)
    with pytest.raises(PasswordRefusedError, match=why):
        service.change_password(caller_of(service, token), human.account.password, new)
    assert caller_of(service, token).must_change_password
    assert signed_in(service, human, clock, human.account.password)


def test_the_same_password_again_is_refused(
    service: IdentityService, human: Human, clock: FakeClock
) -> None:
    token = signed_in(service, human, clock, human.account.password)
    service.change_password(caller_of(service, token), human.account.password, NEW)
    with pytest.raises(PasswordRefusedError, match="differ"):
        service.change_password(caller_of(service, token), NEW, NEW)


def test_a_wrong_current_password_is_refused_counted_and_locks(
    service: IdentityService, human: Human, clock: FakeClock, audit_log: InMemoryAuditLog
) -> None:
    """A stolen session cannot guess the password through the change: threshold 3."""
    token = signed_in(service, human, clock, human.account.password)
    caller = caller_of(service, token)
    for _ in range(2):
        with pytest.raises(PasswordRefusedError, match="current password"):
            service.change_password(caller, "not the password", NEW)
    with pytest.raises(AccountLockedError):
        service.change_password(caller, "still not it", NEW)
    with pytest.raises(AccountLockedError):  # even the right one, while locked
        service.change_password(caller, human.account.password, NEW)
    failures = [e for e in audit_log.events if e.details.get("method") == "password_change"]
    assert len(failures) == 3
    assert caller_of(service, token).must_change_password


def test_an_audit_outage_changes_nothing(
    service: IdentityService, human: Human, clock: FakeClock, audit_log: InMemoryAuditLog
) -> None:
    other = signed_in(service, human, clock, human.account.password)
    this = signed_in(service, human, clock, human.account.password)
    audit_log.fail = True
    with pytest.raises(AuditUnavailableError):
        service.change_password(caller_of(service, this), human.account.password, NEW)
    audit_log.fail = False
    assert caller_of(service, this).must_change_password
    assert caller_of(service, other)  # not revoked
    assert signed_in(service, human, clock, human.account.password)


def test_a_bearer_caller_cannot_change_a_password(service: IdentityService, human: Human) -> None:
    bearer = Caller(id=human.account.user_id, kind=CallerKind.USER, roles=frozenset({"dpo"}))
    with pytest.raises(AuthenticationError):
        service.change_password(bearer, human.account.password, NEW)


def test_the_operators_change_by_email_ends_every_session(
    service: IdentityService, human: Human, clock: FakeClock
) -> None:
    token = signed_in(service, human, clock, human.account.password)
    assert service.change_password_of("Priya@finsolve.example", human.account.password, NEW) == 1
    with pytest.raises(AuthenticationError):
        caller_of(service, token)


@given(st.text(min_size=12, max_size=64))
def test_the_policy_never_accepts_the_current_password_or_the_email(new: str) -> None:
    assert password_problem(new, new, "a@b.example") is not None
    assert password_problem("a@b.example", new, "A@B.example") is not None

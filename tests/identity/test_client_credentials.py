"""Client credentials grant on both backends, secret rotation with and without grace."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from audit import SYSTEM_ACTOR, EventType, InMemoryAuditLog, Outcome
from identity import (
    CallerKind,
    IdentityService,
    InvalidClientError,
    InvalidScopeError,
)
from tests.identity.conftest import FakeClock


def test_valid_secret_gets_a_verifiable_token(
    service: IdentityService, audit_log: InMemoryAuditLog
) -> None:
    account = service.create_service_account("payments", ["svc:payments", "service"], SYSTEM_ACTOR)
    issued = service.issue_token(account.client_id, account.client_secret)
    caller = service.authenticate_bearer(issued.access_token)
    assert caller.id == account.client_id
    assert caller.kind is CallerKind.SERVICE
    assert caller.roles == {"svc:payments", "service"}
    event = audit_log.events[-1]
    assert event.type is EventType.TOKEN_ISSUED
    assert event.actor.id == account.client_id
    assert issued.access_token not in event.model_dump_json()


def test_wrong_secret_and_unknown_client_are_invalid_client(
    service: IdentityService, audit_log: InMemoryAuditLog
) -> None:
    account = service.create_service_account("payments", ["service"], SYSTEM_ACTOR)
    with pytest.raises(InvalidClientError):
        service.issue_token(account.client_id, account.client_secret + "x")
    with pytest.raises(InvalidClientError):
        service.issue_token("tpc_unknown", account.client_secret)
    failures = [e for e in audit_log.events if e.type is EventType.LOGIN_FAILED]
    assert [e.outcome for e in failures] == [Outcome.FAILURE, Outcome.FAILURE]
    assert failures[0].actor.id == account.client_id
    assert failures[1].actor.id == "anonymous"
    assert account.client_secret not in " ".join(e.model_dump_json() for e in failures)


def test_rotated_secret_replaces_the_old_one(service: IdentityService) -> None:
    account = service.create_service_account("wealth", ["svc:wealth"], SYSTEM_ACTOR)
    rotated = service.rotate_secret(account.client_id, SYSTEM_ACTOR)
    assert rotated.client_secret != account.client_secret
    assert rotated.previous_secret_valid_until is None
    with pytest.raises(InvalidClientError):
        service.issue_token(account.client_id, account.client_secret)
    assert service.issue_token(account.client_id, rotated.client_secret).access_token


def test_rotation_grace_keeps_the_old_secret_for_a_while(
    service: IdentityService, clock: FakeClock
) -> None:
    account = service.create_service_account("analytics", ["svc:analytics"], SYSTEM_ACTOR)
    rotated = service.rotate_secret(account.client_id, SYSTEM_ACTOR, grace_seconds=120)
    assert rotated.previous_secret_valid_until is not None
    assert service.issue_token(account.client_id, account.client_secret).access_token
    assert service.issue_token(account.client_id, rotated.client_secret).access_token
    clock.advance(121)
    with pytest.raises(InvalidClientError):
        service.issue_token(account.client_id, account.client_secret)
    assert service.issue_token(account.client_id, rotated.client_secret).access_token


def test_a_second_rotation_ends_the_first_grace(service: IdentityService) -> None:
    account = service.create_service_account("notify", ["svc:notification"], SYSTEM_ACTOR)
    first = service.rotate_secret(account.client_id, SYSTEM_ACTOR, grace_seconds=600)
    second = service.rotate_secret(account.client_id, SYSTEM_ACTOR, grace_seconds=600)
    with pytest.raises(InvalidClientError):
        service.issue_token(account.client_id, account.client_secret)
    assert service.issue_token(account.client_id, first.client_secret).access_token
    assert service.issue_token(account.client_id, second.client_secret).access_token


def test_scope_narrows_roles_and_cannot_widen_them(service: IdentityService) -> None:
    account = service.create_service_account(
        "grc",
        ["auditor", "security"],
        SYSTEM_ACTOR,
        engagement_expires_at=datetime(2099, 1, 1, tzinfo=UTC),
    )
    narrowed = service.issue_token(account.client_id, account.client_secret, scope="auditor")
    assert service.authenticate_bearer(narrowed.access_token).roles == {"auditor"}
    with pytest.raises(InvalidScopeError):
        service.issue_token(account.client_id, account.client_secret, scope="auditor admin")


def test_audit_outage_fails_token_issuance_closed(
    service: IdentityService, audit_log: InMemoryAuditLog
) -> None:
    from audit import AuditUnavailableError

    account = service.create_service_account("payments", ["service"], SYSTEM_ACTOR)
    audit_log.fail = True
    with pytest.raises(AuditUnavailableError):
        service.issue_token(account.client_id, account.client_secret)

"""Input limits of the audit API found by schemathesis: an index beyond the signed 64-bit
sequence column and control characters in text filters are client errors (4xx), never a 500
or a 503 "audit unavailable", on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from audit import (
    Actor,
    AuditInvalidEventError,
    AuditInvalidQueryError,
    AuditLog,
    AuditNotFoundError,
    EventFilter,
    Origin,
    Target,
)
from identity import AuthenticationError, Caller, IdentityService
from tests.audit.conftest import event
from tests.callers import ADMIN_NETWORK_CLIENT, auditor
from trustplane.app import create_app
from trustplane.container import build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import AuditSettings, Settings

PROBLEM = "application/problem+json"
AUDITOR = {"Authorization": "Bearer auditor"}


def _bearer(token: str) -> Caller:
    if token == "auditor":
        return auditor("u-aud")
    raise AuthenticationError("invalid token")


@pytest.fixture
def client(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=db_url,
        audit=AuditSettings(checkpoint_every_events=1000, record_timeout_seconds=1.0),
    )
    container = build_container(settings)
    upgrade(container.engine)
    identity = container.authenticator
    assert isinstance(identity, IdentityService)
    monkeypatch.setattr(identity, "authenticate_bearer", _bearer)
    app = create_app(settings, container)
    with TestClient(app, client=ADMIN_NETWORK_CLIENT, raise_server_exceptions=False) as test:
        yield test


def assert_problem(response: Any, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"].endswith("/" + slug), response.json()


@pytest.mark.parametrize("index", ["956973357761620344832", str(2**63)])
def test_an_index_beyond_int64_is_422(client: TestClient, index: str) -> None:
    response = client.get(f"/v1/audit/events/{index}", headers=AUDITOR)
    assert_problem(response, 422, "validation")


def test_the_largest_int64_index_is_not_found(client: TestClient) -> None:
    response = client.get(f"/v1/audit/events/{2**63 - 1}", headers=AUDITOR)
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize("name", ["actor_id", "target_type", "target_id", "request_id"])
@pytest.mark.parametrize("value", ["\x00", "a\x00b", "x\ny", "\x1f", "\x7f"])
def test_control_characters_in_a_filter_are_422(client: TestClient, name: str, value: str) -> None:
    response = client.get("/v1/audit/events", params={name: value}, headers=AUDITOR)
    assert_problem(response, 422, "validation")


def test_ordinary_filters_still_work(client: TestClient) -> None:
    response = client.get(
        "/v1/audit/events", params={"actor_id": "svc:payments é"}, headers=AUDITOR
    )
    assert response.status_code == 200, response.text


def test_the_store_does_not_call_a_refused_value_an_outage(audit_log: AuditLog) -> None:
    audit_log.record(event(1))
    where = EventFilter(actor_id="a\x00b")
    if audit_log.store.engine.dialect.name == "postgresql":
        with pytest.raises(AuditInvalidQueryError):
            audit_log.events(where)
    else:  # SQLite stores and compares NUL like any character
        assert audit_log.events(where).events == []
    # the log still works afterwards
    assert len(audit_log.events().events) == 1


@pytest.mark.parametrize("index", [2**63, 2**70, -(2**64)])
def test_the_log_has_no_event_beyond_int64(audit_log: AuditLog, index: int) -> None:
    with pytest.raises(AuditNotFoundError):
        audit_log.event(index)


@pytest.mark.parametrize("field", ["actor", "target_type", "target_id", "request_id"])
def test_a_nul_in_an_indexed_column_is_an_invalid_event_not_an_outage(
    audit_log: AuditLog, field: str
) -> None:
    """PostgreSQL refuses NUL in text; refused up front, the same on both backends, before
    the event could fail a group commit shared with other callers."""
    bad = event(2)
    updates: dict[str, dict[str, Any]] = {
        "actor": {"actor": Actor(id="a\x00b")},
        "target_type": {"target": Target(type="t\x00")},
        "target_id": {"target": Target(type="customer", id="\x00")},
        "request_id": {"origin": Origin(request_id="r\x00")},
    }
    update = updates[field]
    with pytest.raises(AuditInvalidEventError):
        audit_log.record_many([event(1), bad.model_copy(update=update)])
    assert audit_log.events().events == []  # nothing of the refused batch was stored
    audit_log.record(event(3))
    assert len(audit_log.events().events) == 1

"""Grievances (90-day clock, DSR states) and nominations (a nominee may act for the
principal; a stranger may not), through the real app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from privacy.grievances import GRIEVANCE
from tests import callers
from tests.privacy.test_http import TokenAuthenticator, auth
from trustplane.app import create_app
from trustplane.container import Container, build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Container]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("grievance"))
    container = build_container(settings)
    upgrade(container.engine)
    container = replace(container, authenticator=TokenAuthenticator())
    with TestClient(create_app(settings, container), client=callers.ADMIN_NETWORK_CLIENT) as c:
        yield c, container


def file(client: TestClient, **extra: Any) -> Any:
    body = {"principal": "C0000001", "summary": "marketing mails after withdrawal",
            "channel": "email"}  # fmt: skip
    return client.post("/v1/grievances", json={**body, **extra}, headers=auth("dpo"))


def grievance_rows(container: Container) -> int:
    with container.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(GRIEVANCE)).scalar_one())


def test_a_grievance_runs_the_90_day_clock_and_dsr_states(
    served: tuple[TestClient, Container],
) -> None:
    client, _ = served
    created = file(client)
    assert created.status_code == 201, created.text
    body = created.json()
    received = datetime.fromisoformat(body["received_at"])
    assert datetime.fromisoformat(body["due_at"]) - received == timedelta(days=90)
    assert (body["state"], body["overdue"], body["by_nominee"]) == ("received", False, False)
    gid = body["id"]

    def move(action: str, resolution: str = "") -> Any:
        return client.post(
            f"/v1/grievances/{gid}/transition",
            json={"action": action, "resolution": resolution},
            headers=auth("dpo"),
        )

    assert move("complete", "done").status_code == 409  # not from received
    assert move("verify").json()["state"] == "verified"
    assert move("start").json()["state"] == "in_progress"
    assert move("complete").status_code == 422  # a resolution is required
    done = move("complete", "suppressed the address; apology sent")
    assert done.json()["state"] == "completed"
    assert done.json()["closed_at"] is not None
    listed = client.get("/v1/grievances", params={"open": "true"}, headers=auth("auditor"))
    assert gid not in {g["id"] for g in listed.json()}


def test_only_a_live_nominee_files_on_the_principals_behalf(
    served: tuple[TestClient, Container],
) -> None:
    client, container = served
    before = grievance_rows(container)
    stranger = file(client, principal="C0000002", filed_by="C0000099")
    assert stranger.status_code == 422
    assert "nomination" in stranger.json()["detail"]
    assert grievance_rows(container) == before
    nominated = client.post(
        "/v1/nominations",
        json={"principal": "C0000002", "nominee": "C0000099", "relationship": "spouse"},
        headers=auth("dpo"),
    )
    assert nominated.status_code == 201, nominated.text
    by_nominee = file(client, principal="C0000002", filed_by="C0000099")
    assert by_nominee.status_code == 201
    assert by_nominee.json()["by_nominee"] is True
    nomination_id = nominated.json()["id"]
    revoked = client.post(f"/v1/nominations/{nomination_id}/revoke", headers=auth("dpo"))
    assert revoked.json()["revoked_at"] is not None
    assert file(client, principal="C0000002", filed_by="C0000099").status_code == 422
    listed = client.get("/v1/nominations", params={"principal": "C0000002"}, headers=auth("dpo"))
    assert [n["nominee"] for n in listed.json()] == ["C0000099"]
    again = client.post(f"/v1/nominations/{nomination_id}/revoke", headers=auth("dpo"))
    assert again.status_code == 422


def test_overdue_after_90_days_and_permissions(served: tuple[TestClient, Container]) -> None:
    client, container = served
    desk = container.grievances
    created = file(client).json()
    stored = desk.get(created["id"])
    assert stored.overdue(stored.due_at + timedelta(seconds=1)) is True
    assert stored.overdue(stored.due_at) is False
    assert client.post("/v1/grievances", json={}, headers=auth("auditor")).status_code == 403
    assert client.get("/v1/grievances", headers=auth("service")).status_code == 403
    assert file(client, channel="pigeon").status_code == 422
    assert file(client, summary="  ").status_code == 422

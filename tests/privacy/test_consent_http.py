"""The consent ledger through the real app: grants, withdrawals, notices, problems, and the
decision point reading the ledger on every entry point (``/v1/authorize``, AuthZEN, the OPA
Data API)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from privacy.consent_ledger import CONSENT
from tests import callers
from tests.authzen import authzen_body
from tests.privacy.test_http import TokenAuthenticator, auth
from trustplane.app import create_app
from trustplane.container import Container, build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings

NOTICE = "finsolve-privacy"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Container]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("consent"))
    container = build_container(settings)
    upgrade(container.engine)
    container = replace(container, authenticator=TokenAuthenticator())
    app = create_app(settings, container)
    with TestClient(app, client=callers.ADMIN_NETWORK_CLIENT) as test_client:
        yield test_client, container


@pytest.fixture
def client(served: tuple[TestClient, Container]) -> TestClient:
    return served[0]


def grant(client: TestClient, principal: str, purpose: str, **extra: Any) -> Any:
    body = {"principal": principal, "purpose": purpose, "channel": "app", "notice_id": NOTICE}
    return client.post("/v1/consents", json={**body, **extra}, headers=auth("dpo"))


def withdraw(client: TestClient, principal: str, purpose: str) -> Any:
    body = {"principal": principal, "purpose": purpose, "channel": "app"}
    return client.post("/v1/consents/withdraw", json=body, headers=auth("dpo"))


def analytics_request(owner: str, consents: list[str] | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"purpose": "analytics"}
    if consents is not None:
        context["consents"] = consents
    return {
        "subject": {"id": "svc-analytics", "type": "service", "roles": ["svc:analytics"]},
        "action": {"name": "read"},
        "resource": {
            "type": "customer_profile",
            "id": owner,
            "owner_id": owner,
            "classification": 3,
            "fields": ["name", "email"],
        },
        "context": context,
    }


def via_authorize(client: TestClient, request: dict[str, Any]) -> tuple[bool, list[str]]:
    response = client.post("/v1/authorize", json=request, headers=auth("service"))
    assert response.status_code == 200, response.text
    body = response.json()
    return body["allow"], body["reasons"]


def via_authzen(client: TestClient, request: dict[str, Any]) -> tuple[bool, list[str]]:
    body = authzen_body(request)
    response = client.post("/access/v1/evaluation", json=body, headers=auth("service"))
    assert response.status_code == 200, response.text
    answer = response.json()
    return answer["decision"], answer["context"]["reasons"]


def via_data_api(client: TestClient, request: dict[str, Any]) -> tuple[bool, list[str]]:
    response = client.post(
        "/v1/data/finsolve/authz/decision", json={"input": request}, headers=auth("service")
    )
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    return result["allow"], result["reasons"]


def rows(container: Container) -> int:
    with container.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(CONSENT)).scalar_one())


@pytest.mark.parametrize("entry", [via_authorize, via_authzen, via_data_api])
def test_a_withdrawal_flips_the_very_next_decision(client: TestClient, entry: Any) -> None:
    owner = f"c-flip-{entry.__name__}"
    assert entry(client, analytics_request(owner))[0] is False  # never consented
    assert grant(client, owner, "analytics").status_code == 201
    assert entry(client, analytics_request(owner))[0] is True  # filled from the ledger
    assert entry(client, analytics_request(owner))[0] is True  # (now cached)
    assert withdraw(client, owner, "analytics").status_code == 201
    allow, reasons = entry(client, analytics_request(owner))
    assert allow is False
    assert any("consent" in reason for reason in reasons)


def test_the_ledger_wins_over_the_callers_consents(client: TestClient) -> None:
    owner = "c-contradicted"
    allow, reasons = via_authorize(client, analytics_request(owner, ["analytics"]))
    assert allow is False
    assert any("consent ledger overrides the caller" in reason for reason in reasons)
    assert grant(client, owner, "analytics").status_code == 201
    allow, reasons = via_authorize(client, analytics_request(owner, []))
    assert allow is True
    assert any("consent ledger overrides the caller" in r and "is granted" in r for r in reasons)
    allow, reasons = via_authorize(client, analytics_request(owner, ["analytics"]))
    assert allow is True
    assert not any("ledger" in reason for reason in reasons)  # agreeing: nothing to say


def test_state_and_history_cite_notice_and_audit_events(
    served: tuple[TestClient, Container],
) -> None:
    client, container = served
    owner = "c-history"
    first = grant(client, owner, "marketing", consent_manager_id="cm-1", channel="consent_manager")
    assert first.status_code == 201, first.text
    assert grant(client, owner, "analytics").status_code == 201
    assert withdraw(client, owner, "marketing").status_code == 201
    response = client.get("/v1/consents", params={"principal": owner}, headers=auth("auditor"))
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["granted"] == ["analytics"]
    assert [(e["purpose"], e["action"]) for e in state["history"]] == [
        ("marketing", "grant"),
        ("analytics", "grant"),
        ("marketing", "withdraw"),
    ]
    assert {e["notice_id"] for e in state["history"]} == {NOTICE}
    assert all(e["notice_version"] == 1 for e in state["history"])
    assert state["history"][0]["consent_manager_id"] == "cm-1"
    for event in state["history"]:  # each change is an audit event with the principal redacted
        recorded = container.audit.event(event["audit_seq"]).document
        assert recorded["type"] == "consent_change"
        assert recorded["details"]["purpose"] == event["purpose"]
        assert recorded["details"]["principal_id"].startswith("hmac-sha256:")
        assert owner not in str(recorded)


@pytest.mark.parametrize(
    ("call", "status", "slug"),
    [
        (lambda c: grant(c, "c-bad", "astrology"), 422, "invalid-consent"),
        (lambda c: grant(c, "c-bad", "analytics", notice_version=9), 422, "invalid-consent"),
        (lambda c: grant(c, "c-bad", "analytics", notice_id="nope"), 422, "invalid-consent"),
        (lambda c: grant(c, "c-bad", "analytics", channel="pigeon"), 422, "invalid-consent"),
        (lambda c: grant(c, "a@b.example", "analytics"), 422, "validation"),
        (lambda c: withdraw(c, "c-bad", "analytics"), 409, "consent-not-given"),
        (lambda c: withdraw(c, "c-bad", "astrology"), 422, "invalid-consent"),
    ],
)
def test_bad_input_is_a_problem_and_changes_nothing(
    served: tuple[TestClient, Container], call: Any, status: int, slug: str
) -> None:
    client, container = served
    before_rows, before_log = rows(container), container.audit.tree_size()
    response = call(client)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/" + slug)
    assert rows(container) == before_rows
    new_events = range(before_log, container.audit.tree_size())  # the route gate logs its allow
    assert all(container.audit.event(i).document["type"] != "consent_change" for i in new_events)


def test_only_the_dpo_changes_consent_and_auditors_read(client: TestClient) -> None:
    body = {"principal": "c-x", "purpose": "analytics", "channel": "app", "notice_id": NOTICE}
    for role in ("service", "auditor", "security"):
        assert client.post("/v1/consents", json=body, headers=auth(role)).status_code == 403
    assert client.get("/v1/consents?principal=c-x", headers=auth("service")).status_code == 403
    assert client.get("/v1/consents?principal=c-x", headers=auth("security")).status_code == 200


def test_notices_in_english_and_hindi(client: TestClient) -> None:
    english = client.get(f"/v1/notices/{NOTICE}")
    assert english.status_code == 200
    assert "credit_bureau_sharing" in english.text
    assert "Data Protection Board of India" in english.text
    hindi = client.get(f"/v1/notices/{NOTICE}", params={"lang": "hi"})
    assert hindi.status_code == 200
    assert hindi.headers["content-type"].startswith("text/plain; charset=utf-8")
    assert "गोपनीयता सूचना" in hindi.text  # Devanagari intact over the wire
    assert "भारतीय डेटा संरक्षण बोर्ड" in hindi.text
    assert client.get(f"/v1/notices/{NOTICE}", params={"lang": "fr"}).status_code == 404
    assert client.get(f"/v1/notices/{NOTICE}", params={"version": 7}).status_code == 404
    assert client.get("/v1/notices/unknown").status_code == 404


def test_the_withdrawal_link_withdraws_in_one_public_call(
    served: tuple[TestClient, Container],
) -> None:
    client, container = served
    owner = "c-public"
    granted = grant(client, owner, "marketing")
    token = granted.json()["withdraw_token"]
    assert token
    assert owner not in token
    assert "marketing" not in token
    head, _, mac = token.partition(".")
    forged = f"{head}.{'0' * len(mac)}"
    before = rows(container)
    refused = client.post("/v1/public/consents/withdraw", json={"token": forged})
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("/invalid-consent")
    assert rows(container) == before
    done = client.post("/v1/public/consents/withdraw", json={"token": token})  # no credentials
    assert done.status_code == 201, done.text
    assert (done.json()["action"], done.json()["channel"]) == ("withdraw", "web")
    assert container.consents.consents_of(owner) == frozenset()
    again = client.post("/v1/public/consents/withdraw", json={"token": token})
    assert again.status_code == 409
    # a token of one grant never withdraws a later grant of the same purpose
    assert grant(client, owner, "marketing").status_code == 201
    assert client.post("/v1/public/consents/withdraw", json={"token": token}).status_code == 409
    assert container.consents.consents_of(owner) == {"marketing"}

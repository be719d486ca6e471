"""A withdrawal is announced to a subscribed domain service (a real FastAPI server) by a
webhook signed like the DSR connectors'; a grant is not; a wrong secret is refused there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from privacy import WebhookAnnouncer
from tests import callers
from tests.privacy.domain_service import LoyaltyState, loyalty_app
from tests.privacy.test_http import TokenAuthenticator, auth
from trustplane.app import create_app
from trustplane.container import Container, build_container
from trustplane.migrations.runner import upgrade
from trustplane.server import BackgroundServer
from trustplane.settings import Settings

SECRET = "consent-webhook-secret-for-tests"


@pytest.fixture
def loyalty() -> Iterator[tuple[str, LoyaltyState]]:
    state = LoyaltyState()
    server = BackgroundServer(loyalty_app(SECRET.encode(), state)).start()
    assert server.wait_ready()
    yield server.url, state
    server.stop()


def served(tmp_path: Path, url: str) -> tuple[TestClient, Container]:
    settings = Settings.model_validate(
        {
            "data_dir": tmp_path,
            "privacy": {
                "consent_webhooks": [
                    {"name": "loyalty", "url": f"{url}/consent", "secret_env": "LOYALTY_HOOK"}
                ]
            },
        }
    )
    container = build_container(settings)
    upgrade(container.engine)
    container = replace(container, authenticator=TokenAuthenticator())
    return TestClient(create_app(settings, container), client=callers.ADMIN_NETWORK_CLIENT), (
        container
    )


def test_a_withdrawal_is_announced_signed_and_a_grant_is_not(
    tmp_path: Path, loyalty: tuple[str, LoyaltyState], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, state = loyalty
    monkeypatch.setenv("LOYALTY_HOOK", SECRET)
    client, _ = served(tmp_path, url)
    with client:
        body = {"principal": "c-77", "purpose": "marketing", "channel": "app"}
        granted = client.post(
            "/v1/consents", json={**body, "notice_id": "finsolve-privacy"}, headers=auth("dpo")
        )
        assert granted.status_code == 201
        assert state.consent_events == []
        withdrawn = client.post("/v1/consents/withdraw", json=body, headers=auth("dpo"))
        assert withdrawn.status_code == 201
    (event,) = state.consent_events  # verified by privacy.webhook.WebhookVerifier there
    assert event["event"] == "consent.withdrawn"
    assert (event["principal_id"], event["purpose"]) == ("c-77", "marketing")
    assert event["ledger_event_id"] == withdrawn.json()["id"]
    assert event["audit_seq"] == withdrawn.json()["audit_seq"]


def test_a_wrongly_signed_announcement_is_refused_by_the_receiver(
    tmp_path: Path, loyalty: tuple[str, LoyaltyState], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, state = loyalty
    monkeypatch.setenv("LOYALTY_HOOK", "not-the-shared-secret")
    client, container = served(tmp_path, url)
    with client:
        body = {"principal": "c-78", "purpose": "marketing", "channel": "app"}
        client.post(
            "/v1/consents", json={**body, "notice_id": "finsolve-privacy"}, headers=auth("dpo")
        )
        withdrawn = client.post("/v1/consents/withdraw", json=body, headers=auth("dpo"))
        assert withdrawn.status_code == 201  # the ledger holds it whatever the receiver says
    assert state.consent_events == []
    assert state.refused == 1
    (announcer,) = [h for h in container.consents.listeners if isinstance(h, WebhookAnnouncer)]
    assert announcer.failures == 1

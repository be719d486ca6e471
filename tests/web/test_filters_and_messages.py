"""What a new user trips over in the API: filters that look applied but are ignored, and
error messages that blame the wrong thing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.web.realapp import PROBLEM, RealApp, build_real_app
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> RealApp:
    tmp_path = tmp_path_factory.mktemp("filters")
    engine = make_engine(f"sqlite:///{tmp_path / 'trustplane.db'}")
    upgrade(engine)
    return build_real_app(tmp_path, engine)


@pytest.fixture(scope="module")
def client(real: RealApp) -> Iterator[TestClient]:
    with real.client() as test_client:
        yield test_client


@pytest.fixture(scope="module")
def admin(real: RealApp, client: TestClient) -> dict[str, str]:
    return real.admin_login(client)


def test_controls_status_filter_filters(client: TestClient, admin: dict[str, str]) -> None:
    every = client.get("/v1/controls", headers=admin).json()
    assert len(every) > 5
    assert {c["status"] for c in every} == {"no_evidence"}  # nothing collected yet
    assert client.get("/v1/controls?status=fail", headers=admin).json() == []
    assert client.get("/v1/controls?status=no_evidence", headers=admin).json() == every


@pytest.mark.parametrize("query", ["status=failing", "state=fail", "framework=dpdp"])
def test_controls_unknown_filters_are_refused(
    client: TestClient, admin: dict[str, str], query: str
) -> None:
    response = client.get(f"/v1/controls?{query}", headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert query.partition("=")[0] in response.json()["detail"]


def test_token_request_as_json_says_it_must_be_form_encoded(
    real: RealApp, client: TestClient
) -> None:
    response = client.post(
        "/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": real.service.client_id,
            "client_secret": real.service.client_secret,
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert "form-encoded" in body["error_description"]
    assert "grant_type is required" not in body["error_description"]


def test_an_attestation_changes_posture_at_once(client: TestClient, admin: dict[str, str]) -> None:
    before = client.get("/v1/controls/TP-TRN-01", headers=admin).json()
    assert before["posture"]["status"] == "no_evidence"
    attested = client.post(
        "/v1/attestations",
        headers=admin,
        json={
            "kind": "security_training",
            "title": "Q4 training",
            "attested_by": "ciso",
            "expires_at": "2099-01-01T00:00:00Z",
        },
    )
    assert attested.status_code == 201, attested.text
    after = client.get("/v1/controls/TP-TRN-01", headers=admin).json()
    assert after["posture"]["status"] == "fail"  # training attested, phishing simulation not

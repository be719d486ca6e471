"""The fields/keys API through the real app factory (authenticator stands in for identity)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from identity import AuthenticationError, Caller
from tests.callers import ADMIN_NETWORK_CLIENT, admin, auditor, dpo, service
from trustplane.app import create_app
from trustplane.container import build_container
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings

TOKENS = {
    "admin": admin(),
    "stale-admin": admin("u-admin2", mfa_age_seconds=3600),
    "dpo": dpo(),
    "stale-dpo": dpo("u-dpo2", mfa_age_seconds=3600),
    "auditor": auditor(),
    "expired-auditor": auditor("u-aud2", expires_in_days=-1),
    # svc:payments may read its own resource types (ACCESS-MODEL rule 7)
    "service": service("svc:payments", "svc:payments"),
}


class TokenAuthenticator:
    def bearer_needs_io(self, token: str) -> bool:
        return False  # an in-memory table

    def authenticate_bearer(self, token: str) -> Caller:
        if token not in TOKENS:
            raise AuthenticationError("invalid token")
        return TOKENS[token]

    def authenticate_session(self, session_token: str) -> Caller:
        raise AuthenticationError("no sessions here")


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(db_url)
    upgrade(engine)
    # A generous decision timeout: these tests are about the API, not about the decision
    # point failing closed when 2 shared cores make one evaluation slower than 50 ms.
    settings = Settings(data_dir=tmp_path, database_url=db_url, policy={"timeout_ms": 2000})
    container = build_container(settings, engine)
    container = replace(container, authenticator=TokenAuthenticator())
    app = create_app(settings, container)
    with TestClient(app, raise_server_exceptions=False, client=ADMIN_NETWORK_CLIENT) as test_client:
        yield test_client


def _auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {role}"}


def _ctx(field: str, owner: str = "c-9") -> dict[str, Any]:
    return {"resource_type": "payment_account", "field": field, "owner_id": owner}


def test_encrypt_decrypt_round_trip_with_per_item_errors(client: TestClient) -> None:
    fields = [{"value": f"user{i}@example.com", "context": _ctx("email")} for i in range(3)]
    response = client.post("/v1/fields/encrypt", json={"fields": fields}, headers=_auth("service"))
    assert response.status_code == 200, response.text
    ciphertexts = response.json()["ciphertexts"]
    assert all(c.startswith("tpe1.") for c in ciphertexts)
    items = [{"ciphertext": c, "context": _ctx("email")} for c in ciphertexts]
    items.append({"ciphertext": "not base64 !", "context": _ctx("email")})
    items.append({"ciphertext": "tpe1.!!", "context": _ctx("email")})
    items.append({"ciphertext": ciphertexts[0], "context": _ctx("email", "c-10")})
    response = client.post(
        "/v1/fields/decrypt",
        json={"purpose": "payment_processing", "fields": items},
        headers=_auth("service"),
    )
    assert response.status_code == 200, response.text
    values = response.json()["values"]
    assert [v["value"] for v in values[:3]] == [f"user{i}@example.com" for i in range(3)]
    assert values[3]["error"]["type"].endswith("ciphertext-unsupported-format")
    assert values[4]["error"]["type"].endswith("ciphertext-not-base64")
    assert values[5]["error"]["type"].endswith("ciphertext-wrong-context")
    assert values[5]["value"] is None
    assert values[5]["error"]["index"] == 5
    assert "example.com" not in str(values[3:])


def test_batch_limit_and_validation_are_problems(client: TestClient) -> None:
    too_many = [{"value": "x", "context": _ctx("name")}] * 1001
    response = client.post(
        "/v1/fields/encrypt", json={"fields": too_many}, headers=_auth("service")
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    bad = client.post(
        "/v1/fields/encrypt",
        json={"fields": [{"value": "x", "context": {"field": "name"}}]},
        headers=_auth("service"),
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_thousand_field_batch(client: TestClient) -> None:
    fields = [
        {"value": f"{i:064d}", "context": _ctx("account_number", f"c-{i}")} for i in range(1000)
    ]
    response = client.post("/v1/fields/encrypt", json={"fields": fields}, headers=_auth("service"))
    assert response.status_code == 200
    ciphertexts = response.json()["ciphertexts"]
    assert len(ciphertexts) == 1000
    items = [
        {"ciphertext": c, "context": _ctx("account_number", f"c-{i}")}
        for i, c in enumerate(ciphertexts)
    ]
    values = client.post(
        "/v1/fields/decrypt", json={"purpose": "x", "fields": items}, headers=_auth("service")
    ).json()["values"]
    errors = [v["error"] for v in values if v["error"]]
    assert not errors, errors[:2]
    assert [v["value"] for v in values] == [f"{i:064d}" for i in range(1000)]


def test_blind_index_endpoint(client: TestClient) -> None:
    response = client.post(
        "/v1/fields/blind-index",
        json={
            "fields": [
                {"value": "+91 98765 43210", "context": _ctx("phone")},
                {"value": "09876543210", "context": _ctx("phone", "c-2")},
                {"value": "not a phone", "context": _ctx("phone")},
            ]
        },
        headers=_auth("service"),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["indexes"][0] == body["indexes"][1]
    assert body["indexes"][2] is None
    assert body["errors"][2]["type"].endswith("invalid-field-value")


def test_shred_then_decrypt_fails_for_that_principal_only(client: TestClient) -> None:
    fields = [
        {"value": "alice@example.com", "context": _ctx("email", "alice")},
        {"value": "bob@example.com", "context": _ctx("email", "bob")},
    ]
    alice, bob = client.post(
        "/v1/fields/encrypt", json={"fields": fields}, headers=_auth("service")
    ).json()["ciphertexts"]
    assert client.post("/v1/subjects/alice/shred", headers=_auth("service")).status_code == 403
    shred = client.post("/v1/subjects/alice/shred", headers=_auth("dpo"))
    assert shred.status_code == 200, shred.text
    assert shred.json()["keys_destroyed"] == 1
    values = client.post(
        "/v1/fields/decrypt",
        json={
            "purpose": "support",
            "fields": [
                {"ciphertext": alice, "context": _ctx("email", "alice")},
                {"ciphertext": bob, "context": _ctx("email", "bob")},
            ],
        },
        headers=_auth("service"),
    ).json()["values"]
    stale = client.post("/v1/subjects/bob/shred", headers=_auth("stale-dpo"))
    assert stale.status_code == 403
    assert stale.headers["content-type"].startswith("application/problem+json")
    # a human act: an admin's wildcard does not reach it (issue 15, item 3)
    assert client.post("/v1/subjects/bob/shred", headers=_auth("admin")).status_code == 403
    assert values[0]["error"]["title"] == "key destroyed"
    assert values[0]["error"]["status"] == 410
    assert values[1]["value"] == "bob@example.com"


def test_shredding_a_subject_with_no_keys_is_refused_unless_forced(client: TestClient) -> None:
    """A typo must not block an id for ever (issue 16, item 7): refused, nothing changes."""
    refused = client.post("/v1/subjects/nobody-typo/shred", headers=_auth("dpo"))
    assert refused.status_code == 404, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("subject-has-no-keys")
    field = {"value": "typo@example.com", "context": _ctx("email", "nobody-typo")}
    encrypted = client.post(
        "/v1/fields/encrypt", json={"fields": [field]}, headers=_auth("service")
    )
    assert encrypted.status_code == 200, encrypted.text  # the id is not blocked
    assert encrypted.json()["errors"] == [None]
    forced = client.post("/v1/subjects/ghost/shred?force=true", headers=_auth("dpo"))
    assert forced.status_code == 200, forced.text
    assert forced.json()["keys_destroyed"] == 0
    blocked = {"value": "ghost@example.com", "context": _ctx("email", "ghost")}
    answer = client.post("/v1/fields/encrypt", json={"fields": [blocked]}, headers=_auth("service"))
    assert answer.json()["errors"][0] is not None  # forced: the id is blocked from now on


def test_keys_inventory_and_rotation(client: TestClient) -> None:
    assert client.get("/v1/keys", headers=_auth("service")).status_code == 403
    assert client.get("/v1/keys", headers=_auth("expired-auditor")).status_code == 403
    keys = client.get("/v1/keys", headers=_auth("auditor"))
    assert keys.status_code == 200
    (entry,) = keys.json()["keys"]
    assert entry["name"] == "fields"
    assert entry["provider"] == "local"
    assert entry["version"] == 1
    assert client.post("/v1/keys/fields/rotate", headers=_auth("dpo")).status_code == 403
    rotated = client.post("/v1/keys/fields/rotate", headers=_auth("admin"))
    assert rotated.status_code == 200
    assert rotated.json()["version"] == 2
    assert rotated.json()["last_rotated_at"] is not None
    stale = client.post("/v1/keys/fields/rotate", headers=_auth("stale-admin"))
    assert stale.status_code == 403
    assert any("MFA" in reason for reason in stale.json()["reasons"])
    missing = client.post("/v1/keys/nope/rotate", headers=_auth("admin"))
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_unauthenticated_requests_are_refused(client: TestClient) -> None:
    response = client.post("/v1/fields/encrypt", json={"fields": []})
    assert response.status_code == 401


def _b64(raw: bytes) -> str:
    return "tpe1." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_bad_ciphertexts_get_specific_problems(client: TestClient) -> None:
    (good,) = client.post(
        "/v1/fields/encrypt",
        json={"fields": [{"value": "4111111111111111", "context": _ctx("account_number")}]},
        headers=_auth("service"),
    ).json()["ciphertexts"]
    raw = base64.urlsafe_b64decode(good[len("tpe1.") :] + "==")
    flipped = bytearray(raw)
    flipped[-3] ^= 0x01  # inside the GCM tag
    other_key = bytearray(raw)
    other_key[2] ^= 0xFF  # another data key id
    newer = bytearray(raw)
    newer[18:22] = (99).to_bytes(4, "big")  # a key version that does not exist
    cases = {
        "ciphertext-tampered": _b64(bytes(flipped)),
        "ciphertext-truncated": _b64(raw[:30]),
        "unknown-data-key": _b64(bytes(other_key)),
        "unknown-key-version": _b64(bytes(newer)),
        "ciphertext-not-base64": "tpe1.@@@@",
        "ciphertext-unsupported-format": "tpe7.AAAA",
    }
    items = [{"ciphertext": c, "context": _ctx("account_number")} for c in cases.values()]
    items.append({"ciphertext": good, "context": _ctx("account_number")})
    response = client.post(
        "/v1/fields/decrypt",
        json={"purpose": "payment_processing", "fields": items},
        headers=_auth("service"),
    )
    assert response.status_code == 200, response.text
    values = response.json()["values"]
    for (code, _), value in zip(cases.items(), values, strict=False):
        assert value["value"] is None
        assert value["error"]["type"].endswith(code), (code, value["error"])
    assert values[-1]["value"] == "4111111111111111"
    assert "4111" not in json.dumps(values[:-1])

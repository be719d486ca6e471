"""A real ``trustplane serve --workers 2``: after a shred committed by another process (a
third replica on the same database), neither worker decrypts or encrypts for the subject,
whatever their warm caches hold; encrypting is refused with a clear problem."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.policies.harness import build_api_app, settings_for
from tests.policies.live_process import start_server

ROUNDS = 24  # a fresh connection each: both workers answer some of them


def ctx(owner: str) -> dict[str, Any]:
    return {
        "resource_type": "customer_profile",
        "field": "email",
        "owner_id": owner,
        "classification": 3,
    }


def fresh(url: str, token: str, path: str, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=30) as http:  # a new connection per call
        return http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def decrypt(url: str, token: str, ciphertext: str, owner: str) -> dict[str, Any]:
    body = {
        "purpose": "notification",
        "fields": [{"ciphertext": ciphertext, "context": ctx(owner)}],
    }
    answer = fresh(url, token, "/v1/fields/decrypt", body)
    assert answer.status_code == 200, answer.text
    value: dict[str, Any] = answer.json()["values"][0]
    return value


TRANSIENT = ("policy evaluation failed", "decision log unavailable")  # fail-closed, retryable


def decrypt_warm(url: str, token: str, ciphertext: str, owner: str) -> dict[str, Any]:
    """A decrypt before the shred: a fail-closed answer of a loaded machine (a decision
    that could not be made or logged in time) is retried as a client would; any other
    refusal is returned as it is, and fails the test."""
    value = decrypt(url, token, ciphertext, owner)
    for _ in range(10):
        reasons = (value.get("error") or {}).get("reasons", [])
        if value.get("value") is not None or not any(r in TRANSIENT for r in reasons):
            break
        time.sleep(0.5)
        value = decrypt(url, token, ciphertext, owner)
    return value


def test_two_workers_refuse_a_subject_shredded_elsewhere(tmp_path: Path) -> None:
    live = start_server(tmp_path, workers=2)
    try:
        token = live.token("service,svc:notification", "notify")
        encrypt = {"fields": [{"value": "asha@example.in", "context": ctx("c-1")}]}
        sealed = fresh(live.url, token, "/v1/fields/encrypt", encrypt).json()["ciphertexts"][0]
        kept_body = {"fields": [{"value": "ravi@example.in", "context": ctx("c-2")}]}
        kept = fresh(live.url, token, "/v1/fields/encrypt", kept_body).json()["ciphertexts"][0]
        for _ in range(ROUNDS):  # warm every worker's cache with the subject's data key
            warm = decrypt_warm(live.url, token, sealed, "c-1")
            assert warm["value"] == "asha@example.in", warm
            assert fresh(live.url, token, "/v1/fields/encrypt", encrypt).status_code == 200
        _app, replica = build_api_app(settings_for(tmp_path))
        try:
            services = replica.vault
            services.keys.shred("c-1", tenant=services.tenant)
        finally:
            replica.close()
        for _ in range(ROUNDS):
            refused = decrypt(live.url, token, sealed, "c-1")
            assert refused["value"] is None
            assert refused["error"]["status"] == 410, refused
            other = decrypt_warm(live.url, token, kept, "c-2")
            assert other["value"] == "ravi@example.in", other
            again = fresh(live.url, token, "/v1/fields/encrypt", encrypt)
            assert again.status_code == 200, again.text
            assert again.json()["ciphertexts"] == [None]  # nothing sealed under a dead key
            problem = again.json()["errors"][0]
            assert problem["type"].endswith("/subject-shredded"), problem
            assert problem["title"] == "key destroyed: the data principal was shredded"
    finally:
        live.stop()

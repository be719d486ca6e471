"""Two replicas on one PostgreSQL (issue 14, item 3): two separate ``trustplane serve``
processes (not two workers of one) on the same database and the same keys. Both warm their
caches with a subject's data key; a DPO shreds the subject through one of them over HTTP;
from then on neither replica decrypts (410) nor encrypts (a subject-shredded problem) for
that subject, while other subjects are untouched."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx

from identity.totp import code_at
from tests.policies.live_process import LiveProcess, cli, start_server
from tests.services import Postgres
from tests.vault.test_shred_two_workers import ROUNDS, ctx, decrypt, decrypt_warm, fresh

SHREDDED, KEPT = "c-1", "c-2"


def dpo_session(replica: LiveProcess) -> tuple[httpx.Client, dict[str, str]]:
    """A DPO user created with the CLI, signed in with password and TOTP (fresh MFA: a
    shred is a human act); the client carries the session cookie, plus the CSRF header."""
    created = json.loads(
        cli(
            replica.env,
            "users",
            "create",
            "--email",
            "dpo@finsolve.example",
            "--role",
            "dpo",
            "--json",
        )
    )
    secret = parse_qs(urlparse(created["totp_uri"]).query)["secret"][0]
    http = httpx.Client(base_url=replica.url, timeout=30)
    login = http.post(
        "/auth/login",
        json={
            "email": created["email"],
            "password": created["password"],
            "totp": code_at(secret, datetime.now(UTC)),
        },
    )
    assert login.status_code == 200, login.text
    return http, {"X-CSRF-Token": login.json()["csrf_token"]}


def encrypt(url: str, token: str, value: str, owner: str) -> httpx.Response:
    return fresh(
        url, token, "/v1/fields/encrypt", {"fields": [{"value": value, "context": ctx(owner)}]}
    )


def test_two_replicas_on_one_postgres_refuse_a_subject_shredded_through_either(
    tmp_path: Path, postgres: Postgres
) -> None:
    database = postgres.create_database("replicas")
    data_dir = tmp_path / "data"  # one data dir: the same key files for both replicas
    first = start_server(data_dir, TRUSTPLANE_DATABASE_URL=database)
    second: LiveProcess | None = None
    try:
        second = start_server(data_dir, TRUSTPLANE_DATABASE_URL=database)
        assert first.proc.pid != second.proc.pid
        token = first.token("service,svc:notification", "notify")
        sealed = encrypt(first.url, token, "asha@example.in", SHREDDED).json()["ciphertexts"][0]
        kept = encrypt(second.url, token, "ravi@example.in", KEPT).json()["ciphertexts"][0]
        replicas = (first, second)
        for replica in replicas:  # warm both caches: each decrypts and encrypts for c-1
            for _ in range(ROUNDS // 4):
                warm = decrypt_warm(replica.url, token, sealed, SHREDDED)
                assert warm["value"] == "asha@example.in", warm
                warmed = encrypt(replica.url, token, "asha@example.in", SHREDDED)
                assert warmed.status_code == 200, warmed.text
                assert warmed.json()["errors"] == [None]
        http, csrf = dpo_session(first)
        try:
            shred = http.post(f"/v1/subjects/{SHREDDED}/shred", headers=csrf)
        finally:
            http.close()
        assert shred.status_code == 200, shred.text
        assert shred.json()["keys_destroyed"] >= 1
        for replica in (second, first):  # the other replica first: it did not shred
            for _ in range(ROUNDS // 4):
                refused = decrypt(replica.url, token, sealed, SHREDDED)
                assert refused["value"] is None, refused
                assert refused["error"]["status"] == 410, refused
                again = encrypt(replica.url, token, "new@example.in", SHREDDED)
                assert again.status_code == 200, again.text
                assert again.json()["ciphertexts"] == [None]  # nothing sealed under a dead key
                problem = again.json()["errors"][0]
                assert problem["type"].endswith("/subject-shredded"), problem
                other = decrypt_warm(replica.url, token, kept, KEPT)
                assert other["value"] == "ravi@example.in", other
    finally:
        first.stop()
        if second is not None:
            second.stop()

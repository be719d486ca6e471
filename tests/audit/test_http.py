"""The audit API over HTTP on the real app, the real log and the engine-backed route gate.

Proofs fetched over HTTP are checked with the independent RFC 6962 verifier in
``tests/audit/reference.py`` and the checkpoint signature with ``cryptography`` directly.
"""

from __future__ import annotations

import base64
import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from audit import Actor, AuditEventIn, AuditLog, EventFilter, EventType, Target
from identity import AuthenticationError, Caller, IdentityService
from identity.tables import IdentityServiceAccount
from tests.audit import reference
from tests.audit.conftest import tamper
from tests.callers import ADMIN_NETWORK_CLIENT, admin, auditor, service, user
from trustplane.app import create_app
from trustplane.container import Container, build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import AuditSettings, Settings

PROBLEM = "application/problem+json"
CALLERS: dict[str, Caller] = {
    "auditor": auditor("u-aud"),
    "expired-auditor": auditor("u-old", expires_in_days=-1),
    "security": user("u-sec", "security"),
    "admin": admin("u-admin"),
    "service": service("svc:payments"),
}


def auth(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {name}"}


class Harness:
    def __init__(self, client: TestClient, container: Container) -> None:
        self.client = client
        self.container = container
        log = container.audit
        assert isinstance(log, AuditLog)
        self.log = log


def _bearer(token: str) -> Caller:
    try:
        return CALLERS[token]
    except KeyError:
        raise AuthenticationError("invalid token") from None


@pytest.fixture
def harness(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
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
    with TestClient(app, client=ADMIN_NETWORK_CLIENT, raise_server_exceptions=False) as client:
        yield Harness(client, container)


def seed(log: AuditLog, count: int) -> list[int]:
    receipts = log.record_many(
        [
            AuditEventIn(
                type=EventType.DECISION if i % 2 else EventType.FIELD_DECRYPT,
                actor=Actor(id="svc:payments", kind="service"),
                target=Target(type="customer", id=f"c-{i}"),
                details={"i": i, "phone": f"98765{i:05d}"},
            )
            for i in range(count)
        ]
    )
    return [receipt.seq for receipt in receipts]


def own_records(log: AuditLog) -> int:
    """Events the audit API itself records (the route gate's decisions are logged apart)."""
    return sum(
        len(log.events(EventFilter(type=kind.value), limit=1000).events)
        for kind in (EventType.AUDIT_READ, EventType.ADMIN_ACTION)
    )


def assert_problem(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if slug is not None:
        assert body["type"].endswith("/" + slug), body
    return body


def verify_note(note: str, verifier_key: str) -> tuple[str, int, bytes]:
    """Independent C2SP signed-note check: returns (origin, size, root)."""
    name, key_hex, key_b64 = verifier_key.strip().split("+", 2)
    raw = base64.b64decode(key_b64)
    assert raw[0] == 0x01
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    body, _, signatures = note.partition("\n\n")
    body += "\n"
    verified = False
    for line in signatures.splitlines():
        prefix = f"\u2014 {name} "
        if line.startswith(prefix):
            blob = base64.b64decode(line[len(prefix) :])
            assert blob[:4].hex() == key_hex
            public.verify(blob[4:], body.encode())
            verified = True
    assert verified, "no signature by the log's key"
    origin, size, root = body.splitlines()[:3]
    return origin, int(size), base64.b64decode(root)


def test_events_filters_cursor_and_reads_are_audited(harness: Harness) -> None:
    seqs = seed(harness.log, 7)
    client = harness.client
    seen: list[int] = []
    cursor = -1
    while True:
        page = client.get(
            "/v1/audit/events",
            params={"type": "decision", "actor_id": "svc:payments", "limit": 2, "cursor": cursor},
            headers=auth("auditor"),
        )
        assert page.status_code == 200, page.text
        body = page.json()
        assert all(e["event"]["type"] == "decision" for e in body["events"])
        seen += [e["index"] for e in body["events"]]
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    assert seen == [seqs[1], seqs[3], seqs[5]]
    one = client.get("/v1/audit/events", params={"target_id": "c-4"}, headers=auth("security"))
    assert [e["index"] for e in one.json()["events"]] == [seqs[4]]
    reads = client.get(
        "/v1/audit/events", params={"type": "audit_read"}, headers=auth("auditor")
    ).json()["events"]
    assert len(reads) == 3  # two pages + the target_id read (this read is recorded after)
    first = reads[0]["event"]
    assert first["actor"]["id"] == "u-aud"
    assert first["details"]["action"] == "events.list"
    assert first["details"]["filters"] == {"type": "decision", "actor_id": "svc:payments"}
    assert first["origin"]["request_id"]


def test_time_filters_honour_offsets(harness: Harness) -> None:
    seqs = seed(harness.log, 2)
    ist = timezone(timedelta(hours=5, minutes=30))
    before = (datetime.now(UTC) - timedelta(minutes=5)).astimezone(ist).isoformat()
    after = (datetime.now(UTC) + timedelta(minutes=5)).astimezone(ist).isoformat()
    naive_before = (datetime.now(UTC) - timedelta(minutes=5)).replace(tzinfo=None).isoformat()

    def found(**params: str) -> list[int]:
        query = {"actor_id": "svc:payments", **params}
        response = harness.client.get("/v1/audit/events", params=query, headers=auth("auditor"))
        assert response.status_code == 200, response.text
        return [e["index"] for e in response.json()["events"]]

    assert found(since=before) == seqs
    assert found(since=naive_before, until=after) == seqs
    assert found(since=after) == []
    assert found(until=before) == []


def test_event_and_proofs_verify_with_the_independent_verifier(harness: Harness) -> None:
    seed(harness.log, 5)
    client = harness.client
    key = client.get("/v1/audit/public-key", headers=auth("auditor"))
    assert key.headers["content-type"].startswith("text/plain")
    first_note = client.post("/v1/audit/checkpoint", headers=auth("security"))
    assert first_note.status_code == 200, first_note.text
    origin, first_size, first_root = verify_note(first_note.text, key.text)
    assert origin == harness.log.origin
    assert first_size == harness.log.checkpoints()[-1].tree_size
    seed(harness.log, 4)
    second_note = client.post("/v1/audit/checkpoint", headers=auth("admin")).text
    _, size, root = verify_note(second_note, key.text)
    assert client.get("/v1/audit/checkpoint", headers=auth("auditor")).text == second_note

    for index in sorted({0, 3, first_size - 1, size - 1}):
        stored = client.get(f"/v1/audit/events/{index}", headers=auth("auditor")).json()
        leaf = reference.h_leaf(base64.b64decode(stored["canonical"]))
        assert leaf.hex() == stored["leaf_hash"]
        proof = client.get(
            "/v1/audit/proof/inclusion",
            params={"index": index, "tree_size": size},
            headers=auth("auditor"),
        ).json()
        assert proof["leaf_index"] == index
        assert proof["tree_size"] == size
        hashes = [bytes.fromhex(h) for h in proof["hashes"]]
        assert reference.verify_inclusion(index, size, leaf, hashes, root)
        assert not reference.verify_inclusion(index, size, leaf, hashes, first_root)

    consistency = client.get(
        "/v1/audit/proof/consistency",
        params={"first": first_size, "second": size},
        headers=auth("auditor"),
    ).json()
    hashes = [bytes.fromhex(h) for h in consistency["hashes"]]
    assert reference.verify_consistency(first_size, size, first_root, root, hashes)
    assert not reference.verify_consistency(first_size, size, root, first_root, hashes)


def test_hash_finds_a_redacted_value(harness: Harness) -> None:
    seq = seed(harness.log, 3)[2]
    stored = harness.client.get(f"/v1/audit/events/{seq}", headers=auth("auditor")).json()
    assert stored["event"]["details"]["phone"].startswith("hmac-sha256:")
    assert "9876500002" not in base64.b64decode(stored["canonical"]).decode()
    hashed = harness.client.post(
        "/v1/audit/hash", json={"value": "9876500002"}, headers=auth("security")
    )
    assert hashed.status_code == 200
    assert hashed.json()["hash"] == stored["event"]["details"]["phone"]


GATE_CASES = [
    ("get", "/v1/audit/events", "service", 403),
    ("get", "/v1/audit/events", "expired-auditor", 403),
    ("get", "/v1/audit/proof/inclusion?index=0", "service", 403),
    ("post", "/v1/audit/checkpoint", "auditor", 403),
    ("post", "/v1/audit/checkpoint", "service", 403),
    ("post", "/v1/audit/hash", "service", 403),
    ("post", "/v1/audit/hash", "auditor", 403),  # audit:hash, not audit:read (ADR 0205)
    ("get", "/v1/audit/events", "nobody", 401),
]

BAD_INPUT = [
    ("get", "/v1/audit/events/99999", None, 404, "not-found"),
    ("get", "/v1/audit/events/-1", None, 404, "not-found"),
    ("get", "/v1/audit/events/abc", None, 422, "validation"),
    ("get", "/v1/audit/events?type=bogus", None, 422, "validation"),
    ("get", "/v1/audit/events?limit=0", None, 422, "validation"),
    ("get", "/v1/audit/events?cursor=-2", None, 422, "validation"),
    ("get", "/v1/audit/events?since=yesterday", None, 422, "validation"),
    ("get", "/v1/audit/proof/inclusion?index=3&tree_size=3", None, 422, "audit-range"),
    ("get", "/v1/audit/proof/inclusion?index=0&tree_size=99999", None, 422, "audit-range"),
    ("get", "/v1/audit/proof/inclusion?index=-1", None, 422, "validation"),
    ("get", "/v1/audit/proof/inclusion", None, 422, "validation"),
    ("get", "/v1/audit/proof/consistency?first=4&second=2", None, 422, "audit-range"),
    ("get", "/v1/audit/proof/consistency?first=1&second=99999", None, 422, "audit-range"),
    ("post", "/v1/audit/hash", {"value": "x", "extra": 1}, 422, "validation"),
    ("post", "/v1/audit/hash", {}, 422, "validation"),
]


def test_route_gate_refuses_and_records_no_read(harness: Harness) -> None:
    seed(harness.log, 1)
    before = own_records(harness.log)
    for method, path, who, status in GATE_CASES:
        response = getattr(harness.client, method)(path, headers=auth(who))
        assert_problem(response, status)
    assert own_records(harness.log) == before


def test_bad_input_is_a_problem_and_changes_nothing(harness: Harness) -> None:
    seed(harness.log, 3)
    before = own_records(harness.log)
    for method, path, json, status, slug in BAD_INPUT:
        kwargs: dict[str, Any] = {"headers": auth("security" if "hash" in path else "auditor")}
        if json is not None:
            kwargs["json"] = json
        assert_problem(getattr(harness.client, method)(path, **kwargs), status, slug)
    assert own_records(harness.log) == before


def _service_accounts(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(IdentityServiceAccount)).one()[0])


def warm_up(harness: Harness) -> None:
    """Load the gate's policy engine first (its first load is audited on its own)."""
    assert harness.client.get("/v1/audit/public-key", headers=auth("admin")).status_code == 200


def _decrypt_request(harness: Harness) -> dict[str, Any]:
    context = {"resource_type": "customer_profile", "field": "pan", "owner_id": "c-1"}
    encrypted = harness.client.post(
        "/v1/fields/encrypt",
        json={"fields": [{"value": "ABCDE1234F", "context": context}]},
        headers=auth("service"),
    )
    assert encrypted.status_code == 200, encrypted.text
    ciphertext = encrypted.json()["ciphertexts"][0]
    return {
        "purpose": "payment_processing",
        "fields": [{"ciphertext": ciphertext, "context": context}],
    }


def test_a_closed_log_fails_admin_actions_decrypts_and_reads_closed(harness: Harness) -> None:
    warm_up(harness)
    decrypt = _decrypt_request(harness)
    opened = harness.client.post("/v1/fields/decrypt", json=decrypt, headers=auth("service"))
    assert opened.status_code == 200, opened.text
    before = _service_accounts(harness.container)
    harness.log.close()
    created = harness.client.post(
        "/v1/service-accounts",
        json={"name": "etl-runner", "roles": ["service"]},
        headers=auth("admin"),
    )
    # the route gate's own durable decision is refused first (ADR 0208)
    body = assert_problem(created, 503, "decision-log-unavailable")
    assert "client_secret" not in body
    assert _service_accounts(harness.container) == before
    refused = harness.client.post("/v1/fields/decrypt", json=decrypt, headers=auth("service"))
    assert_problem(refused, 503, "decision-log-unavailable")
    assert "ABCDE1234F" not in refused.text
    assert_problem(harness.client.get("/v1/audit/events", headers=auth("auditor")), 503)
    hashed = harness.client.post("/v1/audit/hash", json={"value": 1}, headers=auth("security"))
    assert_problem(hashed, 503)


@contextlib.contextmanager
def locked_log(container: Container, tmp_path: Path) -> Iterator[None]:
    """Another session holds the log's write lock (what a stuck migration or a DBA does)."""
    if container.engine.dialect.name == "sqlite":
        holder = sqlite3.connect(tmp_path / "audit.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    with container.engine.connect() as conn:
        conn.execute(text("LOCK TABLE audit_head IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            conn.rollback()


def test_a_locked_log_fails_admin_actions_closed(harness: Harness, tmp_path: Path) -> None:
    warm_up(harness)
    before = _service_accounts(harness.container)
    with locked_log(harness.container, tmp_path):
        created = harness.client.post(
            "/v1/service-accounts",
            json={"name": "etl-runner", "roles": ["service"]},
            headers=auth("admin"),
        )
        assert_problem(created, 503, "decision-log-unavailable")
    assert _service_accounts(harness.container) == before
    ready = harness.client.get("/readyz")
    assert ready.status_code == 200, ready.text


def test_a_checkpoint_request_over_a_forged_tail_is_refused(harness: Harness) -> None:
    """Event bytes rewritten after the last checkpoint (tree rows left alone): the head
    still matches its signature, but the re-hash before signing does not (ADR 0107)."""
    seed(harness.log, 6)
    client = harness.client
    assert client.post("/v1/audit/checkpoint", headers=auth("security")).status_code == 200
    seed(harness.log, 6)
    size = harness.log.tree_size()
    engine = harness.log.store.engine
    with engine.connect() as conn:
        data = bytes(
            conn.execute(
                text("SELECT canonical FROM audit_event WHERE seq = :s"), {"s": size - 2}
            ).scalar_one()
        )
    forged = data.replace(b'"outcome":"success"', b'"outcome":"failure"')
    assert forged != data
    tamper(engine, "UPDATE audit_event SET canonical = :c WHERE seq = :s", c=forged, s=size - 2)
    refused = client.post("/v1/audit/checkpoint", headers=auth("admin"))
    assert_problem(refused, 500, "audit-integrity")
    assert harness.log.latest_checkpoint() is not None
    assert harness.log.latest_checkpoint().tree_size < size  # type: ignore[union-attr]

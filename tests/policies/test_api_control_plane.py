"""Bundle lifecycle and OPA control plane over HTTP, on SQLite and a real PostgreSQL."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.engine import Engine

from audit import SYSTEM_ACTOR, AuditUnavailableError, EventFilter, EventType, LoggedEvent
from policies import RegorusEngine, files_from_bundle
from policies.opa.control import MAX_EVENTS
from tests.policies.corpus import CASES
from tests.policies.harness import Api, running_api, settings_for, token_for
from trustplane.demo.policies import with_admin_cidrs


@pytest.fixture
def api(tmp_path: Path, engine: Engine) -> Iterator[Api]:
    with running_api(settings_for(tmp_path), engine) as harness:
        yield harness


def unpack(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive))) as tar:
        return {
            m.name.lstrip("/"): tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


def test_revisions_and_rollback_change_what_decides(api: Api) -> None:
    shipped = api.room.bundles.active_revision
    listed = api.client.get("/v1/policy/revisions", headers=api.auth("as-security")).json()
    assert listed["active"] == shipped
    assert [r["revision"] for r in listed["revisions"]] == [shipped]
    derived = with_admin_cidrs(api.room.bundles.active_files, ("198.51.100.0/24",))
    pushed = api.room.bundles.push(derived, actor="u-admin").revision
    assert api.post("/v1/authorize", CASES[0].request).json()["policy_revision"] == pushed
    listed = api.client.get("/v1/policy/revisions", headers=api.auth("as-admin")).json()
    assert listed["active"] == pushed
    assert len(listed["revisions"]) == 2

    assert api.post("/v1/policy/rollback", {"revision": shipped}).status_code == 403
    missing = api.post("/v1/policy/rollback", {"revision": "0" * 64}, token="as-admin")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    rolled = api.post("/v1/policy/rollback", {"revision": shipped}, token="as-admin")
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["active"] == shipped
    assert api.post("/v1/authorize", CASES[0].request).json()["policy_revision"] == shipped
    assert api.client.get("/v1/policy/revisions", headers=api.auth()).status_code == 403


def test_bundle_download_etag_and_load_into_regorus(api: Api) -> None:
    response = api.client.get("/bundles/finsolve", headers=api.auth())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/gzip"
    revision = api.room.bundles.active_revision
    assert response.headers["etag"] == f'"{revision}"'
    entries = unpack(response.content)
    manifest = json.loads(entries[".manifest"])
    assert manifest["revision"] == revision
    assert set(manifest["roots"]) >= {"finsolve", "trustplane", "system"}
    assert ".signatures.json" not in entries
    assert "finsolve/authz.rego" in entries
    engine = RegorusEngine(files_from_bundle(response.content))
    for case in CASES[:10]:
        assert engine.evaluate(case.query, case.request).value["allow"] is case.allow
    again = api.client.get(
        "/bundles/finsolve.tar.gz",
        headers={**api.auth(), "If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304
    assert not again.content
    assert api.client.get("/bundles/other", headers=api.auth()).status_code == 404
    assert api.client.get("/bundles/finsolve", headers=api.auth("as-dpo")).status_code == 403


def test_signed_bundle(tmp_path: Path, engine: Engine) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    key_path = tmp_path / "bundle-signing.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)  # a signing key others may read is refused (audit.private_file)
    settings = settings_for(tmp_path / "data", bundle_signing_key_path=key_path)
    with running_api(settings, engine) as api:
        archive = api.client.get("/bundles/finsolve", headers=api.auth()).content
    entries = unpack(archive)
    token = json.loads(entries.pop(".signatures.json"))["signatures"][0]
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    payload = jwt.decode(token, public_pem, algorithms=["ES256"])
    signed = {item["name"]: item["hash"] for item in payload["files"]}
    assert signed == {name: hashlib.sha256(body).hexdigest() for name, body in entries.items()}
    assert all(item["algorithm"] == "SHA-256" for item in payload["files"])
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    other_pem = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other_pem, algorithms=["ES256"])


def agent_token(api: Api, name: str = "sidecar") -> str:
    account = api.identity.create_service_account(name, ["opa-agent"], SYSTEM_ACTOR)
    return token_for(api.client, account.client_id, account.client_secret)


def upload(api: Api, events: list[dict[str, Any]], token: str) -> Any:
    body = gzip.compress(json.dumps(events).encode())
    return api.client.post(
        "/logs", content=body, headers={**api.auth(token), "Content-Encoding": "gzip"}
    )


def opa_events(api: Api, prefix: str, count: int = 5) -> list[dict[str, Any]]:
    return [
        {
            "decision_id": f"{prefix}-{index}",
            "path": "finsolve/authz/decision",
            "input": case.request,
            "result": {"allow": case.allow, "reasons": [], "obligations": []},
            "labels": {"id": "sidecar-payments-1", "version": "1.0.0"},
            "bundles": {"finsolve": {"revision": api.room.bundles.active_revision}},
            "timestamp": "2026-11-25T10:00:00Z",
            "metrics": {"timer_rego_query_eval_ns": 120000},
        }
        for index, case in enumerate(CASES[:count])
    ]


def reported_events(api: Api) -> dict[str, LoggedEvent]:
    page = api.audit.events(EventFilter(type=EventType.DECISION_REPORTED), limit=1000)
    return {event.document["target"]["id"]: event for event in page.events}


def test_opa_decision_log_upload_is_recorded_as_reported_by_the_agent(api: Api) -> None:
    token = agent_token(api)
    agent_id = api.identity.authenticate_bearer(token).id
    revision = api.room.bundles.active_revision
    response = upload(api, opa_events(api, "opa"), token)
    assert response.status_code == 200, response.text
    assert response.json() == {"recorded": 5, "refused": []}
    reported = reported_events(api)
    first_hand = {e.details["decision_id"] for e in api.decision_events()}
    for index, case in enumerate(CASES[:5]):
        document = reported[f"opa-{index}"].document
        assert f"opa-{index}" not in first_hand  # never a first-hand decision event
        assert document["actor"]["id"] == agent_id  # the uploader, not the claimed subject
        assert document["actor"]["roles"] == ["opa-agent"]
        assert document["origin"]["ip"].startswith("hmac-sha256:")  # the address, keyed HMAC
        assert document["origin"]["request_id"] == response.headers["x-request-id"]
        assert document["origin"]["service"] == "opa-agent:sidecar-payments-1"
        claims = document["details"]["reported"]
        assert claims["allow"] is case.allow
        assert claims["actor"]["id"] == api.audit.hash_value(case.request["subject"]["id"])
        assert claims["agent_id"] == "sidecar-payments-1"
        assert claims["policy_revision"] == revision
        assert "ip" not in claims["input"].get("context", {})  # masked like any decision


def test_only_agent_accounts_may_upload_logs_and_status(api: Api) -> None:
    """The attack of issue 14: an account that should not, claiming an admin's allow."""
    forged = [
        {
            "decision_id": "forged-1",
            "input": {"subject": {"id": "admin@finsolve.example", "roles": ["admin"]}},
            "result": {"allow": True},
        }
    ]
    for token in (None, "as-dpo", "as-security", "as-auditor", "as-admin"):
        refused = upload(api, forged, token)  # type: ignore[arg-type]
        assert refused.status_code == 403, (token, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        status = api.client.post(
            "/status", content=b'{"labels": {"id": "x"}}', headers=api.auth(token)
        )
        assert status.status_code == 403
    assert "forged-1" not in reported_events(api)
    # an agent account cannot decide or decrypt with its credentials
    decide = api.post("/v1/authorize", CASES[0].request, token=agent_token(api))
    assert decide.status_code == 403


def test_a_decision_id_already_in_the_log_is_refused_for_that_entry(api: Api) -> None:
    token = agent_token(api)
    real = api.post("/v1/authorize", CASES[0].request).json()["decision_id"]
    batch_ids = [
        d["decision_id"]
        for d in api.post("/v1/authorize/batch", {"requests": [CASES[1].request]}).json()[
            "decisions"
        ]
    ]
    assert upload(api, opa_events(api, "early", 1), token).json()["recorded"] == 1
    events = opa_events(api, "fresh", 2)
    replayed = [
        {**events[0], "decision_id": real},
        {**events[0], "decision_id": batch_ids[0]},
        {**events[0], "decision_id": "early-0"},
    ]
    response = upload(api, [*replayed, events[1]], token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["recorded"] == 1
    assert {r["decision_id"] for r in body["refused"]} == {real, batch_ids[0], "early-0"}
    reported = reported_events(api)
    assert "fresh-1" in reported
    assert real not in reported
    assert batch_ids[0] not in reported


def test_two_uploads_of_one_new_decision_id_racing_record_it_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both uploads ask the log before either has recorded (the claim's winner records only
    after the other has answered): the id's claim lets exactly one record it; the other is
    asked to send it again, and its retry finds it in the log."""
    token = agent_token(api)
    recorder = api.room.logger.recorder
    record_many = recorder.record_many
    one_answered = threading.Event()

    def slow(events: Any) -> Any:
        one_answered.wait(10)  # the claim's winner records only after the other has answered
        return record_many(events)

    def race() -> None:
        answers.append(upload(api, events, token))
        one_answered.set()

    monkeypatch.setattr(recorder, "record_many", slow)
    events = opa_events(api, "raced", 1)
    answers: list[Any] = []
    racers = [threading.Thread(target=race) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)
    winner = next(a for a in answers if a.status_code == 200)
    assert winner.json() == {"recorded": 1, "refused": []}
    # the other was answered before the winner's record landed: not a 2xx, which would tell
    # the agent its entry was delivered, but "send it again later"
    loser = next(a for a in answers if a is not winner)
    assert loser.status_code == 503, loser.text
    assert loser.headers["content-type"].startswith("application/problem+json")
    assert int(loser.headers["retry-after"]) > 0
    assert loser.json()["in_flight"] == ["raced-0"]
    again = upload(api, events, token)  # the agent's retry: the log holds it now
    assert again.json() == {
        "recorded": 0,
        "refused": [{"decision_id": "raced-0", "reason": "decision_id already in the audit log"}],
    }
    page = api.audit.events(EventFilter(type=EventType.DECISION_REPORTED), limit=1000)
    assert [e.document["target"]["id"] for e in page.events].count("raced-0") == 1


def test_an_upload_the_log_cannot_record_gives_its_ids_back(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = agent_token(api)
    recorder = api.room.logger.recorder
    record_many = recorder.record_many

    def down(events: Any) -> Any:
        raise AuditUnavailableError("audit log down")

    events = opa_events(api, "retry", 1)
    monkeypatch.setattr(recorder, "record_many", down)
    refused = upload(api, events, token)
    assert refused.status_code == 503, refused.text
    monkeypatch.setattr(recorder, "record_many", record_many)
    again = upload(api, events, token)
    assert again.json() == {"recorded": 1, "refused": []}


@pytest.mark.parametrize(
    "bad",
    [
        b"\x1f\x8bnot gzip",
        gzip.compress(b'{"not": "an array"}', mtime=0),  # stable test id across xdist workers
        json.dumps([{"decision_id": "ok-1"}, {"no_id": True}]).encode(),
        json.dumps([{"decision_id": "dup"}, {"decision_id": "dup"}]).encode(),
        json.dumps([{"decision_id": "ok-2"}, "not an object"]).encode(),
        json.dumps([{"decision_id": "ok-3", "input": "not an object"}]).encode(),
        json.dumps([{"decision_id": "x" * 129}]).encode(),
    ],
)
def test_malformed_uploads_are_refused_whole(api: Api, bad: bytes) -> None:
    token = agent_token(api)
    rejected = api.client.post("/logs", content=bad, headers=api.auth(token))
    assert rejected.status_code in (400, 422), rejected.text
    assert rejected.headers["content-type"].startswith("application/problem+json")
    assert not reported_events(api)  # nothing of it recorded


def test_oversized_upload_is_refused_with_413(api: Api) -> None:
    token = agent_token(api)
    events = [{"decision_id": f"big-{i}"} for i in range(MAX_EVENTS + 1)]
    rejected = upload(api, events, token)
    assert rejected.status_code == 413, rejected.text
    assert rejected.headers["content-type"].startswith("application/problem+json")
    assert not reported_events(api)


def test_status_reports_show_per_agent_with_their_reporter(api: Api) -> None:
    revision = api.room.bundles.active_revision
    token = agent_token(api)
    account = api.identity.authenticate_bearer(token).id
    for agent, encode in (("sidecar-a", True), ("sidecar-b", False)):
        report = {
            "labels": {"id": agent, "version": "1.0.0"},
            "bundles": {"finsolve": {"name": "finsolve", "active_revision": revision}},
            "reported_by": {"account_id": "someone-else"},  # a claim, overwritten
        }
        raw = json.dumps(report).encode()
        headers = api.auth(token)
        if encode:
            raw = gzip.compress(raw)
            headers["Content-Encoding"] = "gzip"
        assert api.client.post("/status", content=raw, headers=headers).status_code == 204
    listed = api.client.get("/v1/policy/agents", headers=api.auth("as-security")).json()
    by_id = {agent["agent_id"]: agent for agent in listed["agents"]}
    assert set(by_id) == {"sidecar-a", "sidecar-b"}
    assert by_id["sidecar-a"]["active_revision"] == revision
    assert by_id["sidecar-a"]["status"]["reported_by"]["account_id"] == account
    bad = api.client.post("/status", content=b'{"labels": {}}', headers=api.auth(token))
    assert bad.status_code in (400, 422)
    # another agent account cannot report as sidecar-a
    other = api.client.post(
        "/status",
        content=b'{"labels": {"id": "sidecar-a"}}',
        headers=api.auth(agent_token(api, "other-sidecar")),
    )
    assert other.status_code == 409
    assert other.headers["content-type"].startswith("application/problem+json")

"""Bundle lifecycle and OPA control plane over HTTP, on SQLite and a real PostgreSQL."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.engine import Engine

from policies import RegorusEngine, files_from_bundle
from tests.policies.corpus import CASES
from tests.policies.harness import Api, running_api, settings_for
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


def test_opa_decision_log_upload_lands_in_audit(api: Api) -> None:
    revision = api.room.bundles.active_revision
    events = [
        {
            "decision_id": f"opa-{index}",
            "path": "finsolve/authz/decision",
            "input": case.request,
            "result": {"allow": case.allow, "reasons": [], "obligations": []},
            "labels": {"id": "sidecar-payments-1", "version": "1.0.0"},
            "bundles": {"finsolve": {"revision": revision}},
            "timestamp": "2026-11-25T10:00:00Z",
            "metrics": {"timer_rego_query_eval_ns": 120000},
        }
        for index, case in enumerate(CASES[:5])
    ]
    body = gzip.compress(json.dumps(events).encode())
    response = api.client.post(
        "/logs", content=body, headers={**api.auth(), "Content-Encoding": "gzip"}
    )
    assert response.status_code == 204, response.text
    logged = {e.details["decision_id"]: e for e in api.decision_events()}
    for index, case in enumerate(CASES[:5]):
        event = logged[f"opa-{index}"]
        assert event.details["entry_point"] == "opa-decision-log"
        assert event.details["allow"] is case.allow
        assert event.details["agent_id"] == "sidecar-payments-1"
        assert event.details["policy_revision"] == revision
    for bad in (b"\x1f\x8bnot gzip", gzip.compress(b'{"not": "an array"}')):
        rejected = api.client.post("/logs", content=bad, headers=api.auth())
        assert rejected.status_code in (400, 422)
        assert rejected.headers["content-type"].startswith("application/problem+json")
    assert api.client.post("/logs", content=body, headers=api.auth("as-dpo")).status_code == 403


def test_status_reports_show_per_agent(api: Api) -> None:
    revision = api.room.bundles.active_revision
    for agent, encode in (("sidecar-a", True), ("sidecar-b", False)):
        report = {
            "labels": {"id": agent, "version": "1.0.0"},
            "bundles": {"finsolve": {"name": "finsolve", "active_revision": revision}},
        }
        raw = json.dumps(report).encode()
        headers = api.auth()
        if encode:
            raw = gzip.compress(raw)
            headers["Content-Encoding"] = "gzip"
        assert api.client.post("/status", content=raw, headers=headers).status_code == 204
    listed = api.client.get("/v1/policy/agents", headers=api.auth("as-security")).json()
    by_id = {agent["agent_id"]: agent for agent in listed["agents"]}
    assert set(by_id) == {"sidecar-a", "sidecar-b"}
    assert by_id["sidecar-a"]["active_revision"] == revision
    bad = api.client.post("/status", content=b'{"labels": {}}', headers=api.auth())
    assert bad.status_code in (400, 422)

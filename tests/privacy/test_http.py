"""The DPO's API through the real app: demo seeding, the workflow, problems, public intake,
DSR-bound decrypts and the SLA control."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from identity import AuthenticationError, Caller
from privacy.demo_store import customer_email
from tests import callers
from trustplane.app import create_app
from trustplane.cli.demo import seed_demo
from trustplane.container import build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings

CALLERS = {
    "dpo": callers.user("u-dpo", "dpo"),
    "auditor": callers.auditor(),
    "service": callers.service(),
    "security": callers.user("u-sec", "security"),
}


class TokenAuthenticator:
    def bearer_needs_io(self, token: str) -> bool:
        return False

    def authenticate_bearer(self, token: str) -> Caller:
        try:
            return CALLERS[token]
        except KeyError:
            raise AuthenticationError("invalid token") from None

    def authenticate_session(self, session_token: str) -> Caller:
        raise AuthenticationError("no sessions here")


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {role}"}


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("TRUSTPLANE_PRIVACY__DEMO_CUSTOMERS", "60")
    monkeypatch.setenv("TRUSTPLANE_PRIVACY__INTAKE_PER_MINUTE", "3")
    settings = Settings(data_dir=tmp_path)
    container = build_container(settings)
    upgrade(container.engine)
    seed_demo(container)
    container = replace(container, authenticator=TokenAuthenticator())
    app = create_app(settings, container)
    with TestClient(app, client=callers.ADMIN_NETWORK_CLIENT) as test_client:
        yield test_client


def newest_code(data_dir: Path, dsr_id: str) -> str:
    for path in sorted((data_dir / "outbox").glob("*.eml"), reverse=True):
        message = message_from_bytes(path.read_bytes())
        if dsr_id in str(message["Subject"]):
            body = message.get_payload(decode=True)
            assert isinstance(body, bytes)
            found = re.search(r"code is (\d{6})", body.decode())
            assert found is not None
            return found.group(1)
    raise AssertionError("no code mailed for this request")


def _problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/" + slug)
    return body


def test_demo_seeds_two_open_requests_and_the_datamap(client: TestClient) -> None:
    listing = client.get("/v1/dsr", headers=auth("auditor"))
    assert listing.status_code == 200
    items = listing.json()["items"]
    assert sorted((i["type"], i["state"]) for i in items) == [
        ("access", "received"),
        ("erasure", "verified"),
    ]
    assert all(i["days_left"] >= 29 for i in items)
    datamap = client.get("/v1/datamap", headers=auth("dpo")).json()
    assert len(datamap["sha256"]) == 64
    assert client.get("/v1/dsr", headers=auth("service")).status_code == 403
    assert client.post("/v1/dsr", json={}, headers=auth("auditor")).status_code == 403


def test_access_request_end_to_end(client: TestClient, tmp_path: Path) -> None:
    created = client.post(
        "/v1/dsr",
        json={"type": "access", "identifier": {"email": customer_email(9)}, "regime": "gdpr"},
        headers=auth("dpo"),
    )
    assert created.status_code == 201, created.text
    dsr = created.json()
    assert dsr["state"] == "received"
    assert dsr["due_at"]
    dsr_id = dsr["id"]
    wrong = client.post(
        f"/v1/dsr/{dsr_id}/verify", json={"method": "code", "code": "99999x"}, headers=auth("dpo")
    )
    _problem(wrong, 422, "dsr-verification")
    code = newest_code(tmp_path, dsr_id)
    verified = client.post(
        f"/v1/dsr/{dsr_id}/verify", json={"method": "code", "code": code}, headers=auth("dpo")
    )
    assert verified.json()["state"] == "verified"
    done = client.post(f"/v1/dsr/{dsr_id}/execute", headers=auth("dpo")).json()
    assert done["state"] == "completed"
    package = client.get(f"/v1/dsr/{dsr_id}/package", headers=auth("dpo"))
    assert package.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(package.content))
    data = archive.read("data.json").decode()
    assert customer_email(9) in data
    assert "not decrypted" not in data  # the DPO's decision allowed the PAN
    assert re.search(r'"pan": "[A-Z]{5}[0-9]{4}[A-Z]"', data)
    assert client.get(f"/v1/dsr/{dsr_id}/package", headers=auth("auditor")).status_code == 403
    link = client.post(f"/v1/dsr/{dsr_id}/package-link", headers=auth("dpo")).json()
    path = link["url"].split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).content == package.content
    forged = client.get("/" + path.replace("signature=", "signature=A"))
    _problem(forged, 403, "package-link")
    events = client.get(f"/v1/dsr/{dsr_id}", headers=auth("auditor")).json()["audit_seqs"]
    assert len(events) >= 7


def test_erasure_needs_approval_then_certificate(client: TestClient) -> None:
    items = client.get("/v1/dsr?type=erasure", headers=auth("dpo")).json()["items"]
    dsr_id = items[0]["id"]
    planned = client.post(f"/v1/dsr/{dsr_id}/execute", headers=auth("dpo")).json()
    assert planned["state"] == "awaiting_approval"
    early = client.get(f"/v1/dsr/{dsr_id}/certificate", headers=auth("dpo"))
    _problem(early, 409, "dsr-state")
    client.post(f"/v1/dsr/{dsr_id}/approve", headers=auth("dpo"))
    ran = client.post(f"/v1/dsr/{dsr_id}/execute", headers=auth("dpo")).json()
    task = next(s for s in ran["steps"] if s["action"] == "task")
    closed = client.post(
        f"/v1/dsr/{dsr_id}/tasks/{task['id']}/close",
        json={"note": "helpdesk tickets deleted", "deleted": ["ticket 17"]},
        headers=auth("dpo"),
    ).json()
    assert closed["state"] == "completed"
    certificate = client.get(f"/v1/dsr/{dsr_id}/certificate", headers=auth("auditor")).json()
    actions = {(f["table"], f["field"]): f["action"] for f in certificate["fields"]}
    assert actions[("customers", "pan")] == "shred"
    assert actions[("transactions", "amount")] == "retain"
    assert certificate["shredded"]["keys_destroyed"] >= 1
    html = client.get(f"/v1/dsr/{dsr_id}/certificate?format=html", headers=auth("dpo"))
    assert "RBI KYC" in html.text


def test_bad_input_is_a_problem_and_changes_nothing(client: TestClient) -> None:
    before = client.get("/v1/dsr?format=csv", headers=auth("dpo")).text
    unknown = client.post(
        "/v1/dsr", json={"type": "access", "identifier": {"ssn": "1"}}, headers=auth("dpo")
    )
    _problem(unknown, 422, "invalid-dsr")
    sqlish = client.post(
        "/v1/dsr",
        json={"type": "access", "identifier": {"email": "a'; DROP TABLE customers;--@x.in"}},
        headers=auth("dpo"),
    )
    _problem(sqlish, 422, "invalid-dsr")
    duplicate = client.post(
        "/v1/dsr",
        json={"type": "access", "identifier": {"email": customer_email(42)}},
        headers=auth("dpo"),
    )
    _problem(duplicate, 409, "dsr-duplicate")
    received = client.get("/v1/dsr?state=received", headers=auth("dpo")).json()["items"][0]
    illegal = client.post(f"/v1/dsr/{received['id']}/approve", headers=auth("dpo"))
    _problem(illegal, 409, "dsr-state")
    no_reason = client.post(
        f"/v1/dsr/{received['id']}/reject", json={"reason": ""}, headers=auth("dpo")
    )
    assert no_reason.status_code == 422
    bad_map = client.put(
        "/v1/datamap",
        content=b"systems:\n  - name: x\n    kind: sql\n    url: sqlite:///x.db\n    tables:\n"
        b"      - name: customers\n        key: {column: email, identifier: email}\n"
        b"        fields: [{column: email, category: gossip, classification: 3}]\n",
        headers=auth("dpo"),
    )
    body = _problem(bad_map, 422, "invalid-datamap")
    assert body["errors"][0].startswith("line 8, systems[0].tables[0].fields[0].category")
    assert client.get("/v1/dsr?format=csv", headers=auth("dpo")).text == before
    rejected = client.post(
        f"/v1/dsr/{received['id']}/reject",
        json={"reason": "not a customer of ours"},
        headers=auth("dpo"),
    ).json()
    assert rejected["state"] == "rejected"
    assert rejected["reason"] == "not a customer of ours"
    verified = client.get("/v1/dsr?state=verified", headers=auth("dpo")).json()["items"][0]
    formula = client.post(
        f"/v1/dsr/{verified['id']}/reject",
        json={"reason": '=HYPERLINK("http://evil")'},
        headers=auth("dpo"),
    )
    assert formula.status_code == 200
    register = client.get("/v1/dsr?format=csv", headers=auth("auditor")).text
    assert "'=HYPERLINK" in register  # a spreadsheet shows it, never runs it


def test_register_pagination_and_csv(client: TestClient) -> None:
    for index in range(100, 105):
        client.post(
            "/v1/dsr",
            json={"type": "access", "identifier": {"email": customer_email(index)}},
            headers=auth("dpo"),
        )
    seen: list[str] = []
    cursor = None
    while True:
        url = "/v1/dsr?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=auth("auditor")).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    rows = list(
        csv.DictReader(io.StringIO(client.get("/v1/dsr?format=csv", headers=auth("auditor")).text))
    )
    assert sorted(r["id"] for r in rows) == sorted(seen)
    assert "identifier_sealed" not in rows[0]
    assert client.get("/v1/dsr?overdue=true", headers=auth("dpo")).json()["items"] == []


def test_public_intake_answers_the_same_and_is_rate_limited(
    client: TestClient, tmp_path: Path
) -> None:
    known = client.post(
        "/v1/public/dsr", json={"type": "access", "identifier": {"email": customer_email(5)}}
    )
    unknown = client.post(
        "/v1/public/dsr", json={"type": "access", "identifier": {"email": "nobody@nowhere.in"}}
    )
    again = client.post(
        "/v1/public/dsr", json={"type": "access", "identifier": {"email": customer_email(5)}}
    )
    assert known.status_code == unknown.status_code == again.status_code == 202
    assert known.json() == unknown.json() == again.json()
    limited = client.post(
        "/v1/public/dsr", json={"type": "access", "identifier": {"email": customer_email(6)}}
    )
    _problem(limited, 429, "rate-limited")


def test_dsr_decrypts_are_bound_to_a_live_request(client: TestClient) -> None:
    container = client.app.state.services  # type: ignore[attr-defined]
    vault = container.vault
    from vault import FieldContext

    context: dict[str, Any] = {"resource_type": "customers", "field": "pan",
                               "owner_id": "C0000003", "classification": 3}  # fmt: skip
    ciphertext = vault.cipher.encrypt("ABCDE1234F", FieldContext("customers", "pan", "C0000003", 3))

    def decrypt(dsr_id: str) -> dict[str, Any]:
        response = client.post(
            "/v1/fields/decrypt",
            json={"purpose": "dsr", "context": {"dsr_id": dsr_id},
                  "fields": [{"ciphertext": ciphertext, "context": context}]},
            headers=auth("dpo"),
        )  # fmt: skip
        assert response.status_code == 200, response.text
        value: dict[str, Any] = response.json()["values"][0]
        return value

    unknown = decrypt("not-a-request")
    assert unknown["value"] is None
    assert "unknown data subject request" in str(unknown["error"])
    received = client.get("/v1/dsr?state=received", headers=auth("dpo")).json()["items"][0]
    not_live = decrypt(received["id"])
    assert "not verified and in progress" in str(not_live["error"])


def test_an_overdue_request_fails_the_sla_control(client: TestClient) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from privacy.repository import DSR

    container = client.app.state.services  # type: ignore[attr-defined]
    received = client.get("/v1/dsr?state=received", headers=auth("dpo")).json()["items"][0]
    with container.engine.begin() as connection:
        connection.execute(
            update(DSR)
            .where(DSR.c.id == received["id"])
            .values(due_at=datetime.now(UTC) - timedelta(days=1))
        )
    overdue = client.get("/v1/dsr?overdue=true", headers=auth("dpo")).json()["items"]
    assert [i["id"] for i in overdue] == [received["id"]]
    assert overdue[0]["days_left"] < 0
    report = container.controls.collect(["platform"], trigger="test")
    findings = {
        f.resource: f.status.value
        for c in report.collections
        for f in c.findings
        if f.check_id == "platform.dsr_sla"
    }
    assert findings[f"platform:dsr/{received['id']}"] == "fail"
    assert sorted(findings.values()) == ["fail", "pass"]


def test_public_verify_with_the_mailed_code(client: TestClient, tmp_path: Path) -> None:
    answer = client.post(
        "/v1/public/dsr", json={"type": "erasure", "identifier": {"email": customer_email(77)}}
    )
    assert answer.status_code == 202
    mailed = [
        message_from_bytes(p.read_bytes()) for p in sorted((tmp_path / "outbox").glob("*.eml"))
    ]
    subject = next(str(m["Subject"]) for m in mailed if m["To"] == customer_email(77))
    found = re.search(r"request ([0-9a-f-]{36})", subject)
    assert found is not None
    dsr_id = found.group(1)
    wrong = client.post(f"/v1/public/dsr/{dsr_id}/verify", json={"code": "00000000"})
    _problem(wrong, 422, "dsr-verification")
    code = newest_code(tmp_path, dsr_id)
    verified = client.post(f"/v1/public/dsr/{dsr_id}/verify", json={"code": code})
    assert verified.status_code == 200
    assert verified.json()["state"] == "verified"
    shown = client.get(f"/v1/dsr/{dsr_id}", headers=auth("dpo")).json()
    assert shown["verified_method"] == "code"

"""Decrypts over HTTP, authorized per field by the real decision point (ACCESS-MODEL.md).

The shipped bundle grants ``fields:decrypt`` on trustplane's API to services and the DPO; FinSolve
lets its support agents, customers and DPO call the endpoint by editing the bundle's data
(never Python), which is what the fixture does on a copy of the shipped bundle.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from audit import (
    SYSTEM_ACTOR,
    AuditEventIn,
    AuditRecorder,
    AuditUnavailableError,
    EventType,
    RecordedEvent,
)
from identity import AuthenticationError, Caller
from policies import DEFAULT_BUNDLE_DIR
from tests.callers import ADMIN_NETWORK_CLIENT, dpo, service, user
from tests.privacy.live_dsr import open_dsr
from trustplane.app import create_app
from trustplane.container import Container, build_container
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings
from trustplane.wiring.vault import PolicyDecryptAuthorizer
from vault import DsrBoundAuthorizer, VaultServices

TOKENS = {
    "support": user("u-sa", "support_agent"),
    "dpo": dpo(),
    "customer": user("c-9", "customer"),
    "analytics": service("svc:analytics", "svc:analytics"),
    "notification": service("svc:notification", "svc:notification"),
    "engineer": user("u-eng", "engineer"),
    "analyst": user("u-sec", "security_analyst"),
}
PROFILE = {
    "name": "Asha Rao",
    "email": "asha.rao@example.com",
    "phone": "+91 98765 43210",
    "pan": "ABCDE1234F",
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


class SpyRecorder:
    """Delegates to the real audit log and keeps what it recorded; can be switched off."""

    def __init__(self, inner: AuditRecorder) -> None:
        self.inner = inner
        self.events: list[AuditEventIn] = []
        self.down = False

    def record(self, event: AuditEventIn) -> RecordedEvent:
        if self.down:
            raise AuditUnavailableError("audit log unavailable")
        self.events.append(event)
        return self.inner.record(event)

    def record_many(self, events: Sequence[AuditEventIn]) -> list[RecordedEvent]:
        return [self.record(event) for event in events]


@dataclass
class Api:
    client: TestClient
    container: Container
    audit: SpyRecorder

    def encrypt(self, owner: str = "c-9") -> dict[str, str]:
        fields = [{"value": v, "context": _ctx(f, owner)} for f, v in PROFILE.items()]
        response = self.client.post(
            "/v1/fields/encrypt", json={"fields": fields}, headers=_auth("notification")
        )
        assert response.status_code == 200, response.text
        return dict(zip(PROFILE, response.json()["ciphertexts"], strict=True))

    def decrypt(
        self,
        token: str,
        ciphertexts: dict[str, str],
        purpose: str,
        owner: str = "c-9",
        **context: Any,
    ) -> dict[str, dict[str, Any]]:
        items = [{"ciphertext": c, "context": _ctx(f, owner)} for f, c in ciphertexts.items()]
        response = self.client.post(
            "/v1/fields/decrypt",
            json={"purpose": purpose, "context": context, "fields": items},
            headers=_auth(token),
        )
        assert response.status_code == 200, response.text
        return dict(zip(ciphertexts, response.json()["values"], strict=True))


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _ctx(field: str, owner: str) -> dict[str, Any]:
    return {
        "resource_type": "customer_profile",
        "field": field,
        "owner_id": owner,
        "classification": 3,
    }


def _bundle_with_human_decrypters(target: Path) -> Path:
    shutil.copytree(DEFAULT_BUNDLE_DIR, target)
    data_file = target / "data.json"
    data = json.loads(data_file.read_text())
    config = data["trustplane"]["config"]
    config["human_roles"] = [
        *config["human_roles"],
        "support_agent",
        "customer",
        "engineer",
        "security_analyst",
    ]
    permissions = config["permissions"]
    permissions["dpo"] = [*permissions["dpo"], "fields:decrypt"]
    for role in ("support_agent", "customer", "engineer", "security_analyst"):
        permissions[role] = ["fields:decrypt"]
    data_file.write_text(json.dumps(data))
    return target


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[Api]:
    engine = make_engine(db_url)
    upgrade(engine)
    bundle = _bundle_with_human_decrypters(tmp_path / "bundle")
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        policy={"bundle_dir": bundle, "timeout_ms": 2000},
    )
    container = build_container(settings, engine)
    container = replace(container, authenticator=TokenAuthenticator())
    services: VaultServices = container.vault
    bound = services.cipher.authorizer  # decrypts under purpose dsr are bound first (ADR 0601)
    assert isinstance(bound, DsrBoundAuthorizer)
    assert isinstance(bound.inner, PolicyDecryptAuthorizer)
    spy = SpyRecorder(services.cipher.audit)
    services.cipher.audit = spy
    services.keys.audit = spy
    app = create_app(settings, container)
    with TestClient(app, raise_server_exceptions=False, client=ADMIN_NETWORK_CLIENT) as client:
        yield Api(client, container, spy)


def _decrypt_events(api: Api) -> list[AuditEventIn]:
    return [e for e in api.audit.events if e.type == EventType.FIELD_DECRYPT]


def test_support_agent_with_ticket_gets_masked_pan(api: Api) -> None:
    ciphertexts = api.encrypt()
    values = api.decrypt("support", ciphertexts, "support", ticket_customer_id="c-9")
    assert values["name"] == {"value": "Asha Rao", "masked": False, "error": None}
    assert values["email"]["value"] == "asha.rao@example.com"
    assert values["pan"] == {"value": "****234F", "masked": True, "error": None}
    assert values["phone"] == {"value": "****3210", "masked": True, "error": None}
    (event,) = _decrypt_events(api)
    results = {f["field"]: f for f in event.details["fields"]}
    assert results["pan"]["result"] == "masked"
    assert results["pan"]["obligations"] == ["mask"]
    assert results["name"]["result"] == "plain"
    assert all(f.get("decision_id") for f in event.details["fields"])
    assert event.actor.id == "u-sa"
    assert "ABCDE1234F" not in json.dumps(event.details)


def test_support_agent_without_matching_ticket_is_denied(api: Api) -> None:
    ciphertexts = api.encrypt()
    values = api.decrypt("support", ciphertexts, "support", ticket_customer_id="c-10")
    for value in values.values():
        assert value["value"] is None
        assert value["error"]["status"] == 403
        assert value["error"]["type"].endswith("decrypt-denied")
        assert any("ticket" in reason for reason in value["error"]["reasons"])


def test_analytics_without_consent_is_denied_with_consent_reason(api: Api) -> None:
    ciphertexts = api.encrypt()
    values = api.decrypt("analytics", ciphertexts, "analytics", consents=["marketing"])
    for value in values.values():
        assert value["value"] is None
        assert any("consent" in reason for reason in value["error"]["reasons"])
    no_consents = api.decrypt("analytics", {"pan": ciphertexts["pan"]}, "analytics")
    assert no_consents["pan"]["error"] is not None


def test_analytics_with_consent_gets_pseudonyms(api: Api) -> None:
    first = api.encrypt("c-9")
    second = api.encrypt("c-10")
    # the decision point reads the consent ledger (ADR 0602): both principals consented there
    for principal in ("c-9", "c-10"):
        api.container.consents.grant(
            principal,
            "analytics",
            channel="app",
            notice_id="finsolve-privacy",
            notice_version=None,
            actor=SYSTEM_ACTOR,
        )
    one = api.decrypt("analytics", first, "analytics", consents=["analytics"])
    two = api.decrypt("analytics", second, "analytics", owner="c-10", consents=["analytics"])
    for field, plain in PROFILE.items():
        assert one[field]["masked"] is True
        assert one[field]["value"].startswith("psd_")
        # deterministic: the same value of another principal gives the same token (joins)
        assert one[field]["value"] == two[field]["value"]
        assert plain not in one[field]["value"]


def test_dpo_with_dsr_gets_plaintext_and_high_severity_audit(api: Api) -> None:
    ciphertexts = api.encrypt()
    values = api.decrypt("dpo", ciphertexts, "legal", dsr_id=open_dsr(api.container.privacy, "c-9"))
    assert {f: v["value"] for f, v in values.items()} == PROFILE
    assert not any(v["masked"] for v in values.values())
    (event,) = _decrypt_events(api)
    assert event.details["severity"] == "high"
    assert event.details["purpose"] == "legal"
    without = api.decrypt("dpo", ciphertexts, "legal")
    assert all(v["error"] is not None for v in without.values())
    assert any("dsr_id" in r for r in without["pan"]["error"]["reasons"])
    # a DSR id trustplane does not hold is refused under any purpose (issue 15, item 4)
    forged = api.decrypt("dpo", ciphertexts, "legal", dsr_id="dsr-42")
    for value in forged.values():
        assert value["value"] is None
        assert any("unknown data subject request" in r for r in value["error"]["reasons"])


def test_customer_reads_own_data_only(api: Api) -> None:
    own = api.decrypt("customer", api.encrypt("c-9"), "self_service")
    assert {f: v["value"] for f, v in own.items()} == PROFILE
    other = api.decrypt("customer", api.encrypt("c-10"), "self_service", owner="c-10")
    assert all(v["value"] is None and v["error"]["status"] == 403 for v in other.values())


def test_mixed_batch_answers_each_field(api: Api) -> None:
    """Notification may read contact fields only; PAN in the same batch is denied alone."""
    ciphertexts = api.encrypt()
    values = api.decrypt("notification", ciphertexts, "notification")
    assert values["email"]["value"] == PROFILE["email"]
    assert values["name"]["value"] == PROFILE["name"]
    assert values["pan"]["value"] is None
    assert values["pan"]["error"]["status"] == 403


def test_engineer_is_denied_production_pii(api: Api) -> None:
    values = api.decrypt("engineer", api.encrypt(), "debugging")
    assert all(v["error"] is not None for v in values.values())


def test_decrypt_fails_closed_when_audit_is_down(api: Api) -> None:
    ciphertexts = api.encrypt()
    api.audit.down = True
    response = api.client.post(
        "/v1/fields/decrypt",
        json={
            "purpose": "legal",
            "context": {"dsr_id": "dsr-1"},
            "fields": [{"ciphertext": ciphertexts["pan"], "context": _ctx("pan", "c-9")}],
        },
        headers=_auth("dpo"),
    )
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert PROFILE["pan"] not in response.text


def test_decision_context_is_validated(api: Api) -> None:
    response = api.client.post(
        "/v1/fields/decrypt",
        json={
            "purpose": "support",
            "context": {"unknown_key": "x"},
            "fields": [{"ciphertext": "tpe1.AAAA", "context": _ctx("pan", "c-9")}],
        },
        headers=_auth("support"),
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_residency_outside_allowed_regions_is_denied(api: Api) -> None:
    values = api.decrypt(
        "dpo",
        api.encrypt(),
        "legal",
        dsr_id=open_dsr(api.container.privacy, "c-9"),
        residency="IN",
        region="us-east-1",
    )
    assert all(any("s.16" in r for r in v["error"]["reasons"]) for v in values.values())


def test_a_system_the_data_map_places_abroad_is_denied_whatever_the_claim(api: Api) -> None:
    """The region of a named system is the data map's, not the caller's (issue 15, item 4)."""
    datamap = "\n".join(
        [
            "version: 1",
            "systems:",
            "  - {name: crm_eu, kind: manual, assignee: ops@example.com, region: eu-west-1}",
            "  - {name: crm_in, kind: manual, assignee: ops@example.com, region: ap-south-1}",
        ]
    )
    api.container.privacy.load_datamap(datamap, SYSTEM_ACTOR)
    ciphertexts, dsr_id = api.encrypt(), open_dsr(api.container.privacy, "c-9")
    claimed = {"dsr_id": dsr_id, "residency": "IN", "region": "ap-south-1"}
    abroad = api.decrypt("dpo", ciphertexts, "legal", system="crm_eu", **claimed)
    for value in abroad.values():
        assert value["value"] is None
        assert any("s.16" in r and "eu-west-1" in r for r in value["error"]["reasons"])
    home = api.decrypt("dpo", ciphertexts, "legal", system="crm_in", **claimed)
    assert {f: v["value"] for f, v in home.items()} == PROFILE


def test_shred_fails_closed_when_audit_is_down(api: Api) -> None:
    ciphertexts = api.encrypt()
    api.audit.down = True
    response = api.client.post("/v1/subjects/c-9/shred", headers=_auth("dpo"))
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    api.audit.down = False
    dsr_id = open_dsr(api.container.privacy, "c-9")
    values = api.decrypt("dpo", ciphertexts, "legal", dsr_id=dsr_id)
    assert {f: v["value"] for f, v in values.items()} == PROFILE  # nothing was destroyed
    assert api.client.post("/v1/subjects/c-9/shred", headers=_auth("dpo")).status_code == 200
    gone = api.decrypt("dpo", ciphertexts, "legal", dsr_id=dsr_id)
    assert all(v["error"]["status"] == 410 for v in gone.values())


def test_break_glass_gets_plaintext_with_notify_and_high_audit(api: Api) -> None:
    ciphertexts = api.encrypt()
    without = api.decrypt("analyst", ciphertexts, "incident_response")
    assert all(v["error"] is not None for v in without.values())
    values = api.decrypt(
        "analyst",
        ciphertexts,
        "incident_response",
        justification="fraud ring investigation",
        incident_id="INC-204",
    )
    assert {f: v["value"] for f, v in values.items()} == PROFILE
    event = _decrypt_events(api)[-1]
    assert event.details["severity"] == "high"
    assert all(f["obligations"] == ["audit", "notify"] for f in event.details["fields"])

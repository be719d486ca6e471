"""No personal data in the audit log, the data dir, the server log or /metrics (ADR 0211).

Card numbers, Aadhaar numbers (with and without spaces), mobile numbers, emails and a
20-digit number are sent under arbitrary keys (and as ids) through every decision entry point
of a real ``trustplane serve`` process and an agent upload; then every file of the data dir,
the server's own log output and ``/metrics`` are searched for them byte for byte.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import httpx

from tests.policies.live_process import start_server

PAN = "4111111111111111"
PAN_SPACED = "5500 0000 0000 0004"
AADHAAR = "234567890124"
AADHAAR_SPACED = "3456 7890 1238"
MOBILE = "9876543210"
MOBILE_INTL = "+91 91234 56789"
EMAIL = "asha.kumar@example.in"
LONG_NUMBER = "12345678901234567890"
VALUES = (PAN, PAN_SPACED, AADHAAR, AADHAAR_SPACED, MOBILE, MOBILE_INTL, EMAIL, LONG_NUMBER)
NEEDLES = {
    *VALUES,
    PAN_SPACED.replace(" ", ""),
    AADHAAR_SPACED.replace(" ", ""),
    "9123456789",
    "91234 56789",
}


def request_with_personal_data(index: int) -> dict[str, Any]:
    return {
        "subject": {
            "id": EMAIL,
            "type": "user",
            "roles": ["support_agent"],
            "attributes": {"phone_alt": MOBILE_INTL, "note": f"call {MOBILE}"},
        },
        "action": {"name": "read"},
        "resource": {
            "type": "customer_profile",
            "id": AADHAAR_SPACED,
            "owner_id": PAN,
            "classification": 3,
            "region": "ap-south-1",
            "residency": "IN",
            "x_ref": AADHAAR,
        },
        "context": {
            "ticket_customer_id": PAN_SPACED,
            "free_text": f"customer {EMAIL} card {PAN} aadhaar {AADHAAR_SPACED} #{index}",
            "purpose": "support",
            "nested": {"k": [MOBILE, {"deep": PAN}]},
        },
    }


def authzen(request: dict[str, Any]) -> dict[str, Any]:
    resource = dict(request["resource"])
    rtype, rid = resource.pop("type"), resource.pop("id")
    subject = request["subject"]
    return {
        "subject": {
            "type": subject["type"],
            "id": subject["id"],
            "properties": {"roles": subject["roles"], **subject["attributes"]},
        },
        "action": request["action"],
        "resource": {"type": rtype, "id": rid, "properties": resource},
        "context": request["context"],
    }


def drive_every_entry_point(url: str, service: str, agent: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        auth = {"Authorization": f"Bearer {service}"}
        request = request_with_personal_data(0)
        answers = [
            http.post("/v1/authorize", json=request, headers=auth),
            http.post(
                "/v1/authorize/batch",
                json={"requests": [request_with_personal_data(i) for i in range(3)]},
                headers=auth,
            ),
            http.post("/access/v1/evaluation", json=authzen(request), headers=auth),
            http.post(
                "/access/v1/evaluations",
                json={"evaluations": [authzen(request_with_personal_data(5))]},
                headers=auth,
            ),
            http.post("/v1/data/finsolve/authz/decision", json={"input": request}, headers=auth),
            http.post("/v1/data/finsolve/authz/allow", json={"input": request}, headers=auth),
        ]
        for answer in answers:
            assert answer.status_code == 200, answer.text
        # an integer beyond what the log can canonicalize: refused, never echoed to the log
        big = {**request, "context": {"amount": int(LONG_NUMBER)}}
        http.post("/v1/authorize", json=big, headers=auth)
        http.post("/v1/data/finsolve/authz/decision", json={"input": big}, headers=auth)
        agent_auth = {"Authorization": f"Bearer {agent}", "Content-Encoding": "gzip"}
        upload = [
            {
                "decision_id": "opa-pii-1",
                "path": "finsolve/authz/decision",
                "input": request,
                "result": {"allow": False, "reasons": [f"denied for {EMAIL} {PAN}"]},
                "labels": {"id": f"sidecar {MOBILE}"},
            }
        ]
        uploaded = http.post(
            "/logs", content=gzip.compress(json.dumps(upload).encode()), headers=agent_auth
        )
        assert uploaded.status_code == 200, uploaded.text
        status = {"labels": {"id": "sidecar-1"}, "contact": EMAIL, "plugins": {"x": AADHAAR}}
        reported = http.post(
            "/status",
            content=gzip.compress(json.dumps(status).encode()),
            headers=agent_auth,
        )
        assert reported.status_code == 204, reported.text


def found_in(data: bytes) -> set[str]:
    return {needle for needle in NEEDLES if needle.encode() in data}


def test_no_personal_data_reaches_the_data_dir_the_server_log_or_metrics(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        live = start_server(data_dir, log=log, TRUSTPLANE_LOG_LEVEL="DEBUG")
        try:
            service = live.token("service", "domain")
            agent = live.token("opa-agent", "sidecar")
            drive_every_entry_point(live.url, service, agent)
            metrics = httpx.get(f"{live.url}/metrics").content
        finally:
            live.stop()
    leaks: dict[str, set[str]] = {}
    for path in sorted(data_dir.rglob("*")):
        if path.is_file():
            hits = found_in(path.read_bytes())
            if hits:
                leaks[str(path.relative_to(data_dir))] = hits
    server_log = log_path.read_bytes()
    assert b"/v1/authorize" in server_log  # the log was captured
    if found_in(server_log):
        leaks["server log"] = found_in(server_log)
    if found_in(metrics):
        leaks["/metrics"] = found_in(metrics)
    assert not leaks, leaks

"""Reports and bundles over HTTP on the real app, the real log, the engine-backed route gate."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from audit import AuditLog, EventFilter, EventType, InMemoryAuditLog
from controls import ControlsService, store_and_record
from identity import AuthenticationError, Caller, IdentityService
from reports import parse_key, verify_bundle
from reports.service import ReportsService
from tests.callers import ADMIN_NETWORK_CLIENT, admin, auditor, user
from trustplane.app import create_app
from trustplane.container import build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings

PROBLEM = "application/problem+json"
NOW = datetime.now(UTC)
WEEK_START = (NOW - timedelta(days=7)).replace(microsecond=0)
WEEK_END = (NOW + timedelta(hours=1)).replace(microsecond=0)
CALLERS: dict[str, Caller] = {
    "auditor": auditor("u-aud"),
    "unscoped-auditor": auditor("u-aud-2"),
    "expired-auditor": auditor("u-old", expires_in_days=-1),
    "security": user("u-sec", "security"),
    "admin": admin("u-admin"),
}


def auth(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {name}"}


def _bearer(token: str) -> Caller:
    try:
        return CALLERS[token]
    except KeyError:
        raise AuthenticationError("invalid token") from None


class Harness:
    def __init__(self, client: TestClient, log: AuditLog, service: ReportsService) -> None:
        self.client = client
        self.log = log
        self.service = service


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    tmp_path = tmp_path_factory.mktemp("reports-http")
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'tp.db'}")
    container = build_container(settings)
    upgrade(container.engine)
    identity = container.authenticator
    assert isinstance(identity, IdentityService)
    patch = pytest.MonkeyPatch()
    patch.setattr(identity, "authenticate_bearer", _bearer)
    log = container.audit
    controls = container.controls
    service = container.reports
    assert isinstance(log, AuditLog)
    assert isinstance(controls, ControlsService)
    assert isinstance(service, ReportsService)
    for day in range(6):
        store_and_record(
            controls.store,
            log,
            json.dumps({"day": day, "tls": "1.3"}).encode(),
            collector="tls",
            scope="api.finsolve.example",
            collected_at=NOW - timedelta(days=day, hours=1),
        )
    app = create_app(settings, container)
    with TestClient(app, client=ADMIN_NETWORK_CLIENT, raise_server_exceptions=False) as client:
        scope = client.put(
            "/v1/reports/scopes/u-aud",
            json={
                "frameworks": ["pci_dss", "gdpr"],
                "from": WEEK_START.isoformat(),
                "to": WEEK_END.isoformat(),
            },
            headers=auth("admin"),
        )
        assert scope.status_code == 200, scope.text
        yield Harness(client, log, service)
    patch.undo()


def week(**extra: Any) -> dict[str, Any]:
    return {"from": WEEK_START.isoformat(), "to": WEEK_END.isoformat(), **extra}


def wait_done(client: TestClient, location: str, who: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    seen: list[int] = []
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(location, headers=auth(who)).json()
        seen.append(body["percent"])
        if body["state"] in ("done", "failed"):
            assert seen == sorted(seen), seen  # progress only moves forward
            return body
        time.sleep(0.1)
    raise AssertionError(f"{location} did not finish")


def assert_problem(response: Any, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"].endswith("/" + slug), response.json()


def events_of(log: AuditLog, kind: EventType, target_type: str) -> list[dict[str, Any]]:
    page = log.events(EventFilter(type=kind.value, target_type=target_type), limit=1000)
    return [event.document for event in page.events]


def test_an_auditor_builds_downloads_and_verifies_a_bundle_offline(harness: Harness) -> None:
    client = harness.client
    created = client.post("/v1/bundles", json=week(framework="pci_dss"), headers=auth("auditor"))
    assert created.status_code == 202, created.text
    location = created.headers["location"]
    assert created.json()["state"] == "queued"
    done = wait_done(client, location, "auditor")
    assert done["state"] == "done", done
    assert done["percent"] == 100
    download = client.get(done["links"]["download"], headers=auth("auditor"))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    key = client.get("/v1/audit/public-key", headers=auth("auditor")).text
    report = verify_bundle(io.BytesIO(download.content), parse_key(key))
    assert report.ok, report.problems
    assert report.evidence_items == 6
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        pdf = archive.read("report.pdf")
        oscal = json.loads(archive.read("oscal/assessment-results.json"))
    assert pdf.startswith(b"%PDF-")
    assert oscal["assessment-results"]["results"][0]["start"].startswith(
        WEEK_START.date().isoformat()
    )
    generated = events_of(harness.log, EventType.REPORT_GENERATED, "evidence_bundle")
    assert any(e["target"]["id"] == done["id"] for e in generated)
    downloads = events_of(harness.log, EventType.AUDIT_EXPORT, "evidence_bundle")
    assert any(e["target"]["id"] == done["id"] and e["actor"]["id"] == "u-aud" for e in downloads)


@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_a_framework_report_is_built_and_its_generation_audited(harness: Harness, fmt: str) -> None:
    client = harness.client
    created = client.post(
        "/v1/reports", json=week(framework="gdpr", format=fmt), headers=auth("security")
    )
    assert created.status_code == 202, created.text
    done = wait_done(client, created.headers["location"], "security")
    assert done["state"] == "done", done
    body = client.get(done["links"]["download"], headers=auth("security"))
    assert body.status_code == 200
    if fmt == "pdf":
        assert body.content.startswith(b"%PDF-")
    else:
        assert "Executive summary" in body.text
        assert "General Data Protection Regulation" in body.text
    assert body.headers["x-content-sha256"] == done["sha256"]
    generated = events_of(harness.log, EventType.REPORT_GENERATED, "report")
    assert any(e["details"]["sha256"] == done["sha256"] for e in generated)
    listed = client.get("/v1/reports", headers=auth("security")).json()["reports"]
    assert done["id"] in {item["id"] for item in listed}


def test_an_auditor_outside_the_engagement_is_refused(harness: Harness) -> None:
    client = harness.client
    before = client.get("/v1/bundles", headers=auth("security")).json()["bundles"]
    earlier = {
        "from": (WEEK_START - timedelta(days=30)).isoformat(),
        "to": WEEK_END.isoformat(),
    }
    outside_window = client.post(
        "/v1/bundles", json={**earlier, "framework": "pci_dss"}, headers=auth("auditor")
    )
    assert_problem(outside_window, 403, "outside-engagement")
    outside_framework = client.post(
        "/v1/bundles", json=week(framework="iso27001"), headers=auth("auditor")
    )
    assert_problem(outside_framework, 403, "outside-engagement")
    no_scope = client.post(
        "/v1/reports", json=week(framework="gdpr"), headers=auth("unscoped-auditor")
    )
    assert_problem(no_scope, 403, "outside-engagement")
    expired = client.post(
        "/v1/bundles", json=week(framework="gdpr"), headers=auth("expired-auditor")
    )
    assert expired.status_code == 403
    key_inventory = client.post(
        "/v1/reports", json=week(kind="key_inventory"), headers=auth("auditor")
    )
    assert_problem(key_inventory, 403, "outside-engagement")
    after = client.get("/v1/bundles", headers=auth("security")).json()["bundles"]
    assert after == before  # nothing was queued


@pytest.mark.parametrize(
    ("kind", "heading"),
    [
        ("access_review", "Permissions granted but not used"),
        ("key_inventory", "Shred log"),
        ("privacy_performance", "Breaches and their notifications"),
    ],
)
def test_access_review_and_key_inventory_reports(harness: Harness, kind: str, heading: str) -> None:
    client = harness.client
    created = client.post("/v1/reports", json=week(kind=kind), headers=auth("security"))
    assert created.status_code == 202, created.text
    done = wait_done(client, created.headers["location"], "security")
    assert done["state"] == "done", done
    assert done["framework"] is None
    html = client.get(done["links"]["download"], headers=auth("security")).text
    assert heading in html


def test_an_auditor_does_not_see_reports_outside_the_engagement(harness: Harness) -> None:
    client = harness.client
    created = client.post("/v1/reports", json=week(framework="iso27001"), headers=auth("security"))
    assert created.status_code == 202
    job_id = created.json()["id"]
    wait_done(client, created.headers["location"], "security")
    assert_problem(client.get(f"/v1/reports/{job_id}", headers=auth("auditor")), 404, "not-found")
    assert_problem(
        client.get(f"/v1/reports/{job_id}/download", headers=auth("auditor")), 404, "not-found"
    )
    listed = client.get("/v1/reports", headers=auth("auditor")).json()["reports"]
    assert job_id not in {item["id"] for item in listed}
    assert all(item["framework"] in ("pci_dss", "gdpr") for item in listed)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/bundles", week(framework="nope")),
        (
            "/v1/bundles",
            {"framework": "gdpr", "from": WEEK_END.isoformat(), "to": WEEK_START.isoformat()},
        ),
        ("/v1/bundles", week(framework="gdpr", extra=1)),
        ("/v1/reports", week(framework="gdpr", format="docx")),
        ("/v1/reports", week(kind="tarot", framework="gdpr")),
        ("/v1/reports", {"framework": "gdpr"}),
    ],
)
def test_bad_requests_are_problems_and_queue_nothing(
    harness: Harness, path: str, body: dict[str, Any]
) -> None:
    client = harness.client
    key = path.rsplit("/", 1)[1]
    before = client.get(path, headers=auth("security")).json()[key]
    response = client.post(path, json=body, headers=auth("security"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert client.get(path, headers=auth("security")).json()[key] == before


def test_only_admins_set_scopes(harness: Harness) -> None:
    response = harness.client.put(
        "/v1/reports/scopes/u-aud",
        json={"frameworks": ["iso27001"], **week()},
        headers=auth("auditor"),
    )
    assert response.status_code == 403


def test_a_download_that_cannot_be_audited_is_refused(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = harness.client
    created = client.post("/v1/reports", json=week(framework="gdpr"), headers=auth("security"))
    done = wait_done(client, created.headers["location"], "security")
    broken = InMemoryAuditLog()
    broken.fail = True
    monkeypatch.setattr(harness.service, "_recorder", broken)
    response = client.get(done["links"]["download"], headers=auth("security"))
    assert_problem(response, 503, "audit-unavailable")
    assert "Executive summary" not in response.text


def test_the_inclusion_proof_names_its_signed_checkpoint(harness: Harness, tmp_path: Path) -> None:
    client = harness.client
    client.post("/v1/audit/checkpoint", headers=auth("security"))
    proof = client.get("/v1/audit/proof/inclusion?index=2", headers=auth("auditor"))
    assert proof.status_code == 200, proof.text
    body = proof.json()
    assert body["checkpoint"].splitlines()[1] == str(body["tree_size"])
    not_signed = client.get(
        f"/v1/audit/proof/inclusion?index=0&tree_size={body['tree_size'] - 1}",
        headers=auth("auditor"),
    )
    assert_problem(not_signed, 422, "audit-range")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00:00+05:30", "2026-01-01T00:00:00Z"),
        ("1900-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
        ("2026-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00"),
    ],
)
def test_windows_out_of_range_are_problems(harness: Harness, start: str, end: str) -> None:
    response = harness.client.post(
        "/v1/bundles",
        json={"framework": "gdpr", "from": start, "to": end},
        headers=auth("security"),
    )
    assert_problem(response, 422, "invalid-report-request")


def test_a_pruned_report_says_so_and_offers_no_download(harness: Harness) -> None:
    client = harness.client
    created = client.post("/v1/reports", json=week(framework="dpdp"), headers=auth("security"))
    done = wait_done(client, created.headers["location"], "security")
    download = done["links"]["download"]
    harness.service.jobs.mark_pruned([done["id"]], datetime.now(UTC))
    shown = client.get(created.headers["location"], headers=auth("security")).json()
    assert shown["pruned_at"] is not None
    assert shown["links"]["download"] is None
    assert_problem(client.get(download, headers=auth("security")), 404, "not-found")

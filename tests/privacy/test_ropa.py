"""ROPA (GDPR Art. 30(1)) from the data map: every system, transfers with safeguards, the
controls protecting each system with their status; JSON, HTML and CSV through the real app."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from privacy import build_ropa, parse_datamap, ropa_csv, ropa_html
from tests import callers
from tests.privacy.test_http import TokenAuthenticator, auth
from trustplane.app import create_app
from trustplane.cli.demo import seed_demo
from trustplane.container import build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DATAMAP = parse_datamap((REPO / "privacy" / "datamap" / "finsolve.yaml").read_text()).datamap


def test_every_system_and_table_is_an_activity() -> None:
    activities = build_ropa(DATAMAP, lambda control: "pass")
    assert {a.system for a in activities} == {s.name for s in DATAMAP.systems}
    tables = {f"{s.name}.{t.name}" for s in DATAMAP.systems for t in s.tables}
    assert tables <= {a.activity for a in activities}
    customers = next(a for a in activities if a.activity == "core_banking.customers")
    assert customers.encrypted_fields == ["pan"]
    assert "government_id" in customers.data_categories
    assert {m.control for m in customers.measures} >= {"TP-ENC-01", "TP-KEY-01"}
    marketing = next(a for a in activities if a.activity.endswith("marketing_preferences"))
    (transfer,) = marketing.transfers
    assert transfer["country"] == "US"
    assert "standard contractual clauses" in transfer["safeguard"]


def test_csv_and_html_are_safe_and_complete() -> None:
    activities = build_ropa(DATAMAP, lambda control: "fail" if control == "TP-LOG-01" else "pass")
    hostile = replace(activities[0], purpose='=HYPERLINK("http://x")', recipients=["<b>x</b>"])
    rows = list(csv.DictReader(io.StringIO(ropa_csv([hostile, *activities[1:]]))))
    assert len(rows) == len(activities)
    assert rows[0]["purpose"].startswith("'=")  # no formula injection
    assert "TP-LOG-01 fail" in rows[0]["measures"]
    html = ropa_html([hostile], "FinSolve")
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings.model_validate(
        {"data_dir": tmp_path_factory.mktemp("ropa"), "privacy": {"demo_customers": 20}}
    )
    container = build_container(settings)
    upgrade(container.engine)
    seed_demo(container)
    container = replace(container, authenticator=TokenAuthenticator())
    with TestClient(create_app(settings, container), client=callers.ADMIN_NETWORK_CLIENT) as c:
        yield c


def test_ropa_over_http_in_three_formats(client: TestClient) -> None:
    body = client.get("/v1/ropa", headers=auth("auditor")).json()
    assert {a["system"] for a in body["activities"]} == {s.name for s in DATAMAP.systems}
    statuses = {m["status"] for a in body["activities"] for m in a["measures"]}
    assert statuses <= {"pass", "fail", "no_evidence", "partial", "unknown", "not_applicable"}
    assert statuses
    csv_answer = client.get("/v1/ropa", params={"format": "csv"}, headers=auth("dpo"))
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert csv_answer.text.startswith("system,kind,activity")
    html = client.get("/v1/ropa", params={"format": "html"}, headers=auth("security"))
    assert html.headers["content-type"].startswith("text/html")
    assert "Record of processing activities" in html.text
    assert client.get("/v1/ropa", headers=auth("service")).status_code == 403
    bad = client.get("/v1/ropa", params={"format": "pdf"}, headers=auth("dpo"))
    assert bad.status_code == 422

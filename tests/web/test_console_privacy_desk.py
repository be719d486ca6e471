"""The DPO desk's registers in the console against the demo-seeded app: a principal's consent
history, the breach clocks coloured by deadline, and the ROPA; gated like their API routes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from privacy import Clock, Duty
from privacy.demo_store import customer_id
from tests.browser.console_app import ConsoleApp, build_console_app, sign_in
from tests.callers import ADMIN_NETWORK_CLIENT
from web.console.privacy_desk import clock_band

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
PAGES = ["/console/dpo/consents", "/console/dpo/breaches", "/console/dpo/ropa"]


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> ConsoleApp:
    return build_console_app(tmp_path_factory.mktemp("desk"))


def signed_in_as(console: ConsoleApp, persona: str) -> TestClient:
    client = TestClient(console.app, raise_server_exceptions=False, client=ADMIN_NETWORK_CLIENT)
    sign_in(client, console, persona)
    return client


@pytest.fixture(scope="module")
def dpo(console: ConsoleApp) -> TestClient:
    return signed_in_as(console, "dpo")


def test_the_desk_links_to_the_three_registers(dpo: TestClient) -> None:
    desk = dpo.get("/console/dpo")
    assert desk.status_code == 200
    for page in PAGES:
        assert f'href="{page}"' in desk.text
    assert "Not in the console yet" not in desk.text


def test_consent_lookup_shows_grants_and_withdrawals_with_notice_versions(
    dpo: TestClient,
) -> None:
    empty = dpo.get("/console/dpo/consents")
    assert empty.status_code == 200
    assert 'id="principal"' in empty.text
    page = dpo.get("/console/dpo/consents", params={"principal": customer_id(3)})
    assert page.status_code == 200
    in_force = re.search(r'id="consents-in-force">In force: ([^<]*)\.<', page.text)
    assert in_force
    assert in_force.group(1) == "analytics"  # marketing was withdrawn by the demo
    rows = re.findall(r"<tr><td>(\w+)</td>\s*<td><span[^>]*>(granted|withdrawn)</span>", page.text)
    assert sorted(rows) == [("analytics", "granted"), ("marketing", "granted"),
                            ("marketing", "withdrawn")]  # fmt: skip
    assert rows[0] == ("marketing", "withdrawn")  # newest first
    assert "finsolve-privacy (v1)" in page.text


def test_consent_lookup_of_an_unknown_or_malformed_principal(dpo: TestClient) -> None:
    unknown = dpo.get("/console/dpo/consents", params={"principal": "C9999999"})
    assert unknown.status_code == 200
    assert "No consent was ever recorded" in unknown.text
    hostile = dpo.get("/console/dpo/consents", params={"principal": "<script>alert(1)</script>"})
    assert hostile.status_code == 422
    assert "<script>alert(1)" not in hostile.text
    assert "&lt;script&gt;" in hostile.text
    assert not INLINE_SCRIPT.search(hostile.text)


def test_breach_clocks_are_coloured_by_deadline(console: ConsoleApp, dpo: TestClient) -> None:
    page = dpo.get("/console/dpo/breaches")
    assert page.status_code == 200
    breach = console.container.breaches.breaches()[0]
    assert breach.title in page.text
    clocks = console.container.breaches.clocks(breach)
    assert clocks
    rows = re.findall(r'<tr class="row-(ok|soon|overdue)"><td>([^<]+)</td>', page.text)
    now = datetime.now(UTC)
    assert sorted(rows) == sorted((clock_band(c, now), c.duty.id) for c in clocks)
    gdpr = next(c for c in clocks if c.duty.hours == 72)
    assert ("ok", gdpr.duty.id) in rows  # aware 90 minutes ago: 70 hours left
    assert "72 hours" in page.text


DUTY = Duty("gdpr-sa", "gdpr", "GDPR Art. 33", "awareness", 72, "supervisory authority", "t",
            ("P1",))  # fmt: skip
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due_in_hours", "state", "band"),
    [
        (70, "running", "ok"),
        (25, "running", "ok"),
        (24, "running", "soon"),
        (1, "running", "soon"),
        (-1, "overdue", "overdue"),
        (None, "due_now", "soon"),
        (10, "met", "ok"),
        (-5, "met_late", "overdue"),
    ],
)
def test_clock_bands(due_in_hours: int | None, state: str, band: str) -> None:
    due = None if due_in_hours is None else NOW + timedelta(hours=due_in_hours)
    clock = Clock(DUTY, NOW - timedelta(hours=2), due, state, None)
    assert clock_band(clock, NOW) == band


def test_ropa_is_rendered_in_the_console_with_control_status(dpo: TestClient) -> None:
    page = dpo.get("/console/dpo/ropa")
    assert page.status_code == 200
    assert "Records of processing activities" in page.text
    activities = re.findall(r'<tr><th scope="row">', page.text)
    assert len(activities) >= 3
    assert re.search(r'class="badge status-(pass|fail|no_evidence|stale|unknown)"', page.text)
    assert "<style" not in page.text  # the console's own stylesheet, not the export's


@pytest.mark.parametrize("persona", ["security", "auditor", "admin"])
def test_roles_that_read_the_registers_api_read_the_pages(
    console: ConsoleApp, persona: str
) -> None:
    client = signed_in_as(console, persona)
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, (persona, page)
        assert not INLINE_SCRIPT.search(response.text)
        assert "default-src 'self'" in response.headers["content-security-policy"]


def test_a_role_without_the_registers_gets_the_403_page(console: ConsoleApp) -> None:
    client = signed_in_as(console, "engineer")
    for page in ["/console/dpo", *PAGES]:
        response = client.get(page)
        assert response.status_code == 403, page
        assert "Not allowed" in response.text

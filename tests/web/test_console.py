"""The console over HTTP against the real, demo-seeded app: sign-in, session cookie, CSRF,
headers, `/` for browsers, role gating through the decision point, and every page's data."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from audit import AuditEventIn, EventType, Target
from tests.browser.console_app import ConsoleApp, build_console_app, csrf_of, sign_in
from tests.callers import ADMIN_NETWORK_CLIENT

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
CONSOLE_PAGES = {
    "security": ["/console/posture", "/console/decisions", "/console/keys", "/console/audit"],
    "dpo": ["/console/dpo"],
    "auditor": ["/console/auditor", "/console/posture", "/console/audit"],
}


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> ConsoleApp:
    return build_console_app(tmp_path_factory.mktemp("console"), identity={"lockout_threshold": 3})


def client_for(console: ConsoleApp, **kwargs: object) -> TestClient:
    kwargs.setdefault("client", ADMIN_NETWORK_CLIENT)
    return TestClient(console.app, raise_server_exceptions=False, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def started(console: ConsoleApp) -> Iterator[TestClient]:
    with client_for(console) as client:
        yield client


@pytest.fixture
def anonymous(console: ConsoleApp, started: TestClient) -> TestClient:
    return client_for(console)


def signed_in_as(console: ConsoleApp, persona: str) -> tuple[TestClient, str]:
    client = client_for(console)
    return client, sign_in(client, console, persona)


# --- `/`, sign-in and the session cookie -----------------------------------------------


def test_root_sends_a_browser_to_the_console_and_a_json_client_gets_a_problem(
    anonymous: TestClient,
) -> None:
    browser = anonymous.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 303
    assert browser.headers["location"] == "/console/"
    api = anonymous.get("/", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")


def test_a_page_without_a_session_goes_to_sign_in(anonymous: TestClient) -> None:
    response = anonymous.get("/console/posture", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=/console/posture"


def test_sign_in_sets_a_strict_httponly_session_cookie(console: ConsoleApp) -> None:
    client = client_for(console)
    form = client.get("/console/login")
    response = client.post(
        "/console/login",
        data={**console.credentials("security"), "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "tp_session" in v
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP in development


def test_over_tls_the_cookie_is_secure_and_hsts_is_sent(console: ConsoleApp) -> None:
    client = client_for(console, base_url="https://testserver")
    form = client.get("/console/login")
    assert form.headers["strict-transport-security"].startswith("max-age=")
    response = client.post(
        "/console/login",
        data={**console.credentials("dpo"), "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "tp_session" in v
    )
    assert "Secure" in cookie


def test_wrong_password_wrong_code_unknown_account_and_lock_look_the_same(
    console: ConsoleApp,
) -> None:
    client = client_for(console, client=("10.9.9.9", 4000))
    good = console.credentials("auditor")

    def attempt(**changes: str) -> tuple[int, str]:
        form = client.get("/console/login")
        data = {**good, **changes, "csrf_token": csrf_of(form.text)}
        response = client.post("/console/login", data=data, follow_redirects=False)
        found = re.search(r'<p class="error"[^>]*>([^<]*)</p>', response.text)
        return response.status_code, found.group(1) if found else ""

    unknown = attempt(email="nobody@finsolve.example")
    wrong_password = attempt(password="not-the-password")
    wrong_code = attempt(totp="000000" if good["totp"] != "000000" else "111111")
    assert unknown == wrong_password == wrong_code
    assert unknown[0] == 401
    attempt(password="still-wrong")  # the third failure locks the account (threshold 3)
    locked = attempt(totp=console.totp("auditor"))  # the right credentials, now locked
    assert locked == wrong_password


def test_a_sign_in_form_without_its_token_is_refused(
    anonymous: TestClient, console: ConsoleApp
) -> None:
    response = anonymous.post(
        "/console/login", data=console.credentials("security"), follow_redirects=False
    )
    assert response.status_code == 403
    assert "tp_session" not in response.headers.get("set-cookie", "")


def test_next_never_leaves_the_console(console: ConsoleApp) -> None:
    client = client_for(console)
    form = client.get("/console/login?next=//evil.example/")
    assert "//evil.example" not in form.text
    response = client.post(
        "/console/login",
        data={
            **console.credentials("dpo"),
            "csrf_token": csrf_of(form.text),
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/console/"


def test_sign_out_ends_the_session(console: ConsoleApp) -> None:
    client, csrf = signed_in_as(console, "security")
    response = client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    after = client.get("/console/posture", follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"].startswith("/console/login")


# --- pages, headers, roles ---------------------------------------------------------------


@pytest.mark.parametrize("persona", sorted(CONSOLE_PAGES))
def test_each_role_sees_its_pages_with_strict_headers_and_no_inline_script(
    console: ConsoleApp, persona: str
) -> None:
    client, _csrf = signed_in_as(console, persona)
    for path in CONSOLE_PAGES[persona]:
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
        assert not INLINE_SCRIPT.search(page.text), path
        assert " style=" not in page.text, path


def test_navigation_shows_only_what_the_role_may_open(console: ConsoleApp) -> None:
    client, _ = signed_in_as(console, "dpo")
    desk = client.get("/console/dpo").text
    assert 'href="/console/dpo"' in desk
    assert 'href="/console/posture"' not in desk
    assert 'href="/console/auditor"' not in desk


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("dpo", "/console/posture"),
        ("dpo", "/console/audit"),
        ("dpo", "/console/decisions"),
        ("dpo", "/console/auditor"),
        ("auditor", "/console/decisions"),
    ],
)
def test_a_page_outside_the_role_is_the_403_page(
    console: ConsoleApp, persona: str, path: str
) -> None:
    client, _ = signed_in_as(console, persona)
    page = client.get(path)
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Not allowed</h1>" in page.text


def test_home_opens_the_first_page_of_the_role(console: ConsoleApp) -> None:
    client, _ = signed_in_as(console, "auditor")
    response = client.get("/console/", follow_redirects=False)
    assert response.headers["location"] == "/console/posture"


def test_posture_shows_the_demo_week_failing_first_with_chart_and_table(
    console: ConsoleApp,
) -> None:
    client, _ = signed_in_as(console, "security")
    page = client.get("/console/posture").text
    assert "% satisfied" in page
    assert page.count("<svg") >= 1
    assert 'role="img"' in page
    assert "as numbers</caption>" in page
    statuses = re.findall(r'<td><span class="badge status-(\w+)">', page)
    assert statuses, "no controls listed"
    assert statuses[0] == "fail"
    assert statuses.index("pass") > max(i for i, s in enumerate(statuses) if s == "fail")
    assert 'id="collect-now"' in page


def test_a_failing_control_shows_findings_and_downloads_its_evidence(console: ConsoleApp) -> None:
    client, _ = signed_in_as(console, "security")
    posture = client.get("/console/posture").text
    failing = re.search(
        r'<a href="(/console/controls/[^"]+)">[^<]*</a></td>\s*<td>[^<]*</td>\s*'
        r'<td><span class="badge status-fail">',
        posture,
    )
    assert failing, "no failing control on the posture page"
    control = client.get(failing.group(1))
    assert control.status_code == 200
    assert "Requirements across frameworks" in control.text
    link = re.search(r'href="(/console/evidence/[0-9a-f]{64})"', control.text)
    assert link
    evidence = client.get(link.group(1))
    assert evidence.status_code == 200
    assert evidence.headers["content-disposition"].startswith("attachment")
    assert len(evidence.content) > 0


def test_an_unknown_control_is_a_404_page_not_a_500(console: ConsoleApp) -> None:
    client, _ = signed_in_as(console, "security")
    page = client.get("/console/controls/NO-SUCH-1")
    assert page.status_code == 404
    assert "No such control" in page.text


# --- CSRF on forms -------------------------------------------------------------------------


def _runs(console: ConsoleApp) -> int:
    framework = console.container.controls.frameworks()[0].id
    return len(console.container.controls.posture_history(framework, 1000))


def test_a_form_without_the_token_or_with_another_sessions_token_is_refused(
    console: ConsoleApp,
) -> None:
    client, own = signed_in_as(console, "security")
    _other_client, other = signed_in_as(console, "admin")
    assert own != other
    before = _runs(console)
    missing = client.post("/console/collect", data={}, follow_redirects=False)
    foreign = client.post("/console/collect", data={"csrf_token": other}, follow_redirects=False)
    for refused in (missing, foreign):
        assert refused.status_code == 403
        assert "Form refused" in refused.text
    assert _runs(console) == before


def test_audit_search_checkpoint_and_verify_now(console: ConsoleApp) -> None:
    client, csrf = signed_in_as(console, "security")
    page = client.get("/console/audit", params={"type": "login"})
    assert page.status_code == 200
    assert "<td>login</td>" in page.text
    verified = client.post("/console/audit/verify", data={"csrf_token": csrf})
    assert verified.status_code == 200
    assert "The log verifies" in verified.text


def test_auditor_portal_shows_scope_key_and_command_and_generates_a_report(
    console: ConsoleApp,
) -> None:
    client, csrf = signed_in_as(console, "auditor")
    portal = client.get("/console/auditor").text
    assert "Scope:" in portal
    assert console.container.audit.public_key() in portal
    assert "trustplane bundle verify" in portal
    framework = console.container.reports.frameworks[0]
    response = client.post(
        "/console/auditor/generate",
        data={
            "csrf_token": csrf,
            "kind": "framework",
            "framework": framework,
            "from": "2026-01-01",
            "to": "2030-12-31",
        },
        follow_redirects=False,
    )
    # outside the engagement window: refused with the reason, nothing queued
    assert response.status_code == 422
    assert "outside the engagement" in response.text


def test_dpo_takes_the_erasure_from_queue_to_completion(console: ConsoleApp) -> None:
    client, csrf = signed_in_as(console, "dpo")
    desk = client.get("/console/dpo").text
    assert "sla-ok" in desk or "sla-soon" in desk
    assert 'href="/console/dpo/breaches"' in desk
    found = re.search(r'href="/console/dpo/dsr/([^"]+)">[^<]+</a></td><td>erasure</td>', desk)
    assert found, "the demo's erasure request is not in the queue"
    erasure = found.group(1)
    # an erasure runs its reads, waits for the DPO's approval, then erases
    for step in ("execute", "approve", "execute"):
        done = client.post(
            f"/console/dpo/dsr/{erasure}/{step}", data={"csrf_token": csrf}, follow_redirects=True
        )
        assert done.status_code == 200, (step, re.findall(r'class="error"[^>]*>([^<]*)', done.text))
    tasks = re.findall(r'action="(/console/dpo/dsr/[^"]+/tasks/[^"]+/close)"', done.text)
    assert tasks, "no manual task to close"
    for task in tasks:
        done = client.post(
            task,
            data={"csrf_token": csrf, "note": "erased in the ticketing system by hand"},
            follow_redirects=True,
        )
        assert done.status_code == 200, re.findall(r'class="error"[^>]*>([^<]*)', done.text)
    executed = done
    state = re.search(r'<strong id="dsr-state">([^<]+)</strong>', executed.text)
    assert state
    assert state.group(1) == "completed"


def test_offline_docs_are_served_by_the_app(anonymous: TestClient) -> None:
    for path, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        page = anonymous.get(path)
        assert page.status_code == 200
        assert f"/console/static/vendor/{asset}" in page.text
        assert "http://" not in page.text
        assert "https://" not in page.text
        assert not INLINE_SCRIPT.search(page.text)
        script = anonymous.get(f"/console/static/vendor/{asset}")
        assert script.status_code == 200
        assert len(script.content) > 100_000


def test_keys_inventory_with_rotation_age_and_rotate_for_admin(console: ConsoleApp) -> None:
    reader, _ = signed_in_as(console, "security")
    page = reader.get("/console/keys").text
    assert "Cryptoperiod: 365 days." in page
    assert "<td>fields</td>" in page
    assert 'badge status-pass">within' in page
    assert "Rotate fields" not in page  # rotation is admin:manage in the access model
    admin, csrf = signed_in_as(console, "admin")
    before = console.container.vault.keys.provider.describe("fields").version
    refused = admin.post("/console/keys/rotate", data={"name": "fields"}, follow_redirects=False)
    assert refused.status_code == 403
    rotated = admin.post(
        "/console/keys/rotate", data={"name": "fields", "csrf_token": csrf}, follow_redirects=True
    )
    assert rotated.status_code == 200
    assert "Key fields rotated" in rotated.text
    assert console.container.vault.keys.provider.describe("fields").version == before + 1
    assert "<td>rotate</td>" in rotated.text


def test_decisions_page_shows_rates_reasons_and_denied_subjects(console: ConsoleApp) -> None:
    denied, _ = signed_in_as(console, "dpo")
    assert denied.get("/console/decisions").status_code == 403  # a denial to count
    console.container.policies.logger.flush()
    client, _ = signed_in_as(console, "security")
    page = client.get("/console/decisions").text
    found = re.search(r"<p>(\d+) decisions in the last 30 days", page)
    assert found
    assert int(found.group(1)) > 0
    assert "Top deny reasons" in page
    assert "No denial." not in page


def test_the_demo_gives_the_decisions_and_keys_pages_data(console: ConsoleApp) -> None:
    client, _ = signed_in_as(console, "security")
    decisions = client.get("/console/decisions").text
    for service in ("payments", "analytics", "support-desk", "engineering", "wealth"):
        assert f"<td>{service}</td>" in decisions, service
    # an engineer reaching for PII is denied every time
    assert re.search(r"<td>engineering</td><td>0</td><td>[1-9]\d*</td><td>100.0%</td>", decisions)
    keys = client.get("/console/keys").text
    assert "<td>rotate</td>" in keys


# --- what an attacker would try ----------------------------------------------------------


def test_a_form_of_another_role_is_refused_even_with_a_valid_token(console: ConsoleApp) -> None:
    client, csrf = signed_in_as(console, "dpo")
    before = _runs(console)
    response = client.post("/console/collect", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in response.text
    assert _runs(console) == before


def test_a_sign_in_token_from_another_browser_is_refused(console: ConsoleApp) -> None:
    attacker = client_for(console)
    victim = client_for(console)
    attacker_token = csrf_of(attacker.get("/console/login").text)
    victim.get("/console/login")  # the victim's own pre-session cookie differs
    response = victim.post(
        "/console/login",
        data={**console.credentials("security"), "csrf_token": attacker_token},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "tp_session" not in response.headers.get("set-cookie", "")


def test_search_input_is_escaped_not_executed(console: ConsoleApp) -> None:
    client, _ = signed_in_as(console, "security")
    payload = '"><script>alert(1)</script>'
    page = client.get("/console/audit", params={"actor": payload}).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_forged_session_cookie_is_sent_to_sign_in(console: ConsoleApp) -> None:
    client = client_for(console, cookies={"tp_session": "forged-value"})
    response = client.get("/console/audit", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login")


def test_audit_search_by_a_values_hmac_finds_the_event_without_echoing_the_value(
    console: ConsoleApp,
) -> None:
    secret_email = "priya.k@finsolve.example"
    recorded = console.container.audit.record(
        AuditEventIn(
            type=EventType.ADMIN_ACTION,
            target=Target(type="customer"),
            details={"email": secret_email, "action": "test.lookup"},
        )
    )
    client, csrf = signed_in_as(console, "security")
    page = client.post("/console/audit/hash", data={"csrf_token": csrf, "value": secret_email})
    assert page.status_code == 200
    assert console.container.audit.hash_value(secret_email) in page.text
    assert f"<td>{recorded.seq}</td>" in page.text
    assert secret_email not in page.text
    other = client.post(
        "/console/audit/hash", data={"csrf_token": csrf, "value": "nobody@finsolve.example"}
    )
    assert f"<td>{recorded.seq}</td>" not in other.text


def test_collect_now_runs_in_the_background_with_a_progress_page(console: ConsoleApp) -> None:
    client, csrf = signed_in_as(console, "security")
    before = _runs(console)
    response = client.post("/console/collect", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    progress = response.headers["location"]
    assert re.fullmatch(r"/console/collect/[0-9a-f-]{36}", progress)
    deadline = time.monotonic() + 120
    page = client.get(progress).text
    while 'http-equiv="refresh"' in page:  # refreshes itself while collectors work
        assert "collectors done" in page
        assert time.monotonic() < deadline, page
        time.sleep(0.5)
        page = client.get(progress).text
    done = re.search(r'href="/console/posture\?collected=([0-9A-Za-z-]+)"', page)
    assert done, page
    names = console.container.controls.runner.collector_names
    rows = re.findall(r"<tr><td>([\w.-]+)</td>\s*<td><span[^>]*>(\w+)</span>", page)
    assert sorted(name for name, _ in rows) == sorted(names)
    assert all(state != "collecting" for _, state in rows)
    assert _runs(console) == before + 1
    posture = client.get(f"/console/posture?collected={done.group(1)}").text
    assert re.search(r"Collection run [0-9A-Za-z-]+ finished", posture)


def test_a_collection_page_needs_the_runners_role(console: ConsoleApp) -> None:
    client, _ = signed_in_as(console, "auditor")
    page = client.get("/console/collect/00000000-0000-0000-0000-000000000000")
    assert page.status_code == 403
    security, _ = signed_in_as(console, "security")
    unknown = security.get("/console/collect/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404
    assert "No such collection" in unknown.text

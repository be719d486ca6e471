"""Decision logging fails closed over HTTP; two app instances on one PostgreSQL follow push
and rollback; the demo's loopback revision; route permissions match every router."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from policies import DECISION_LOG_UNAVAILABLE, RegorusEngine, load_bundle_dir
from tests.policies.corpus import CASES
from tests.policies.harness import Api, running_api, settings_for
from tests.services import Postgres
from trustplane.cli import app as cli
from trustplane.demo.policies import LOOPBACK_CIDRS, seed_policy_demo, with_admin_cidrs
from web.gate import DEFAULT_ROLE_PERMISSIONS

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def audit_log_down(api: Api, data_dir: Path) -> Iterator[None]:
    """Another session holds the durable log's write lock (a stuck migration, a DBA): every
    append waits, ``record`` gives up after ``audit.record_timeout_seconds``."""
    if api.container.engine.dialect.name == "sqlite":  # the log lives in its own file
        holder = sqlite3.connect(data_dir / "audit.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    with api.container.engine.connect() as conn:
        conn.execute(text("LOCK TABLE audit_head IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            conn.rollback()


def test_durable_log_down_answers_503_with_retry_after(tmp_path: Path, engine: Engine) -> None:
    """The default (durable) mode: while the log cannot confirm, no decision is answered."""
    settings = settings_for(tmp_path, decision_log_wait_seconds=0.3)
    with running_api(settings, engine) as api:
        allow_case = next(c for c in CASES if c.allow)
        before = {event.details["decision_id"] for event in api.decision_events()}
        with audit_log_down(api, tmp_path):
            answers = [
                api.post("/v1/authorize", allow_case.request),
                api.post("/v1/authorize/batch", {"requests": [allow_case.request] * 3}),
                api.post("/v1/data/finsolve/authz/decision", {"input": allow_case.request}),
            ]
            for answer in answers:
                assert answer.status_code == 503, answer.text
                assert answer.headers["content-type"].startswith("application/problem+json")
                assert int(answer.headers["Retry-After"]) >= 1
                assert answer.json()["type"].endswith("/decision-log-unavailable")
                assert "decision_id" not in answer.text
        again = api.post("/v1/authorize", allow_case.request).json()
        assert again["allow"] is True
        logged = {event.details["decision_id"] for event in api.decision_events()} - before
        assert again["decision_id"] in logged


def test_full_decision_log_queue_fails_closed_with_metric(tmp_path: Path, engine: Engine) -> None:
    """The explicit async mode (a loss window on a crash, README): a full queue denies."""
    settings = settings_for(tmp_path, decision_log_queue=2, decision_log_mode="async")
    settings = settings.model_copy(  # a locked log answers "unavailable" quickly
        update={"audit": settings.audit.model_copy(update={"record_timeout_seconds": 0.5})}
    )
    with running_api(settings, engine) as api:
        allow_case = next(c for c in CASES if c.allow)
        before = {event.details["decision_id"] for event in api.decision_events()}
        with audit_log_down(api, tmp_path):  # the worker retries, the queue fills
            answers = [api.post("/v1/authorize", allow_case.request) for _ in range(4)]
            statuses = [answer.status_code for answer in answers]
            assert all(status in (200, 503) for status in statuses), statuses
            assert 503 in statuses  # the route gate's own decision could not be logged
            accepted: list[str] = []  # decided and queued for the log: must not be lost
            for answer in answers:
                if answer.status_code == 200:  # decided before or while the queue filled
                    body = answer.json()
                    assert body["allow"] is True or body["reasons"] == [DECISION_LOG_UNAVAILABLE]
                    if body["allow"] is True:
                        accepted.append(body["decision_id"])
                else:
                    assert answer.headers["content-type"].startswith("application/problem+json")
            direct = api.room.decisions.decide(allow_case.request)
            assert direct.allow is False
            assert direct.reasons == [DECISION_LOG_UNAVAILABLE]
            metrics = api.client.get("/metrics").text
            full = re.search(
                r"^trustplane_policy_decision_log_queue_full_total (\S+)$", metrics, re.M
            )
            assert full is not None
            assert float(full.group(1)) >= 2
            held = api.room.logger.pending  # queued (or in the worker's batch), not yet logged
            assert held > 0
        # back: nothing was dropped, decisions flow again
        assert api.room.logger.flush()
        logged = {event.details["decision_id"] for event in api.decision_events()} - before
        # every held decision landed, none invented (a retried batch may land twice: the
        # writer commits a batch whose caller already gave up, so count decision ids)
        assert len(logged) == held
        assert set(accepted) <= logged
        assert any(  # the route gate's decisions queued before the queue filled, too
            event.details["entry_point"] == "route-gate" and event.details["decision_id"] in logged
            for event in api.decision_events()
        )
        again = api.post("/v1/authorize", allow_case.request).json()
        assert again["allow"] is True
        assert again["decision_id"] in {e.details["decision_id"] for e in api.decision_events()}


def test_two_app_instances_on_one_postgres_follow_push_and_rollback(
    postgres: Postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres.create_database()
    # replicas of one log share its signing and HMAC keys (ADR 0107: a head signed by
    # another key is refused, never silently extended)
    keys = {"signing_key_path": tmp_path / "audit-signing.key", "hmac_key_path": tmp_path / "hmac"}
    replicas = []
    for name in ("a", "b"):
        base = settings_for(tmp_path / name)
        replicas.append(
            base.model_copy(
                update={"database_url": url, "audit": base.audit.model_copy(update=keys)}
            )
        )
    first, second = replicas
    request = next(c for c in CASES if c.allow).request
    with running_api(first) as one, running_api(second, account="domain-svc-2") as two:
        shipped = one.room.bundles.active_revision
        assert two.post("/v1/authorize", request).json()["policy_revision"] == shipped

        bundle = tmp_path / "bundle"
        derived = with_admin_cidrs(load_bundle_dir(), ("198.51.100.0/24",))
        for path, source in derived.modules.items():
            (bundle / path).parent.mkdir(parents=True, exist_ok=True)
            (bundle / path).write_text(source)
        (bundle / "data.json").write_text(json.dumps(derived.data))
        monkeypatch.setenv("TRUSTPLANE_DATABASE_URL", url)
        monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path / "cli"))
        monkeypatch.setenv("TRUSTPLANE_AUDIT__SIGNING_KEY_PATH", str(keys["signing_key_path"]))
        monkeypatch.setenv("TRUSTPLANE_AUDIT__HMAC_KEY_PATH", str(keys["hmac_key_path"]))
        pushed = CliRunner().invoke(cli, ["policy", "push", str(bundle), "--actor", "u-admin"])
        assert pushed.exit_code == 0, pushed.output
        revision = derived.revision
        assert revision in pushed.output

        def decided_by(api: Api, expected: str) -> Callable[[], bool]:
            return lambda: api.post("/v1/authorize", request).json()["policy_revision"] == expected

        assert wait_until(decided_by(one, revision))
        assert wait_until(decided_by(two, revision))
        listed = two.client.get("/v1/policy/revisions", headers=two.auth("as-security")).json()
        assert listed["active"] == revision

        rolled = one.post("/v1/policy/rollback", {"revision": shipped}, token="as-admin")
        assert rolled.status_code == 200, rolled.text
        assert wait_until(decided_by(two, shipped))
        listed = two.client.get("/v1/policy/revisions", headers=two.auth("as-security")).json()
        assert listed["active"] == shipped
        assert {r["revision"] for r in listed["revisions"]} == {shipped, revision}


def test_demo_seeder_activates_a_loopback_revision_once(tmp_path: Path) -> None:
    with running_api(settings_for(tmp_path)) as api:
        shipped = api.room.bundles.active_revision
        admin_probe = {
            "subject": {
                "id": "u-admin",
                "type": "user",
                "roles": ["admin"],
                "attributes": {"mfa_age_seconds": 10},
            },
            "action": {"name": "admin:manage"},
            "resource": {"type": "identity"},
            "context": {"ip": "127.0.0.1"},
        }
        assert (
            api.room.decisions.decide(admin_probe, query="data.trustplane.authz.decision").allow
            is False
        )
        lines = [line for seeder in api.container.demo_seeders for line in seeder()]
        assert any("loopback" in line for line in lines)
        demo = api.room.bundles.active_revision
        assert demo != shipped
        data = api.room.bundles.active_files.data
        assert data["finsolve"]["config"]["admin"]["cidrs"] == ["10.0.0.0/8", *LOOPBACK_CIDRS]
        for ip in ("127.0.0.1", "::1"):
            probe = {**admin_probe, "context": {"ip": ip}}
            assert api.room.decisions.decide(probe, query="data.trustplane.authz.decision").allow
        outside = {**admin_probe, "context": {"ip": "192.0.2.7"}}
        assert not api.room.decisions.decide(outside, query="data.trustplane.authz.decision").allow
        assert seed_policy_demo(api.room)[0].startswith("demo policy revision")
        assert api.room.bundles.active_revision == demo  # idempotent
        listed = api.client.get("/v1/policy/revisions", headers=api.auth("as-security")).json()
        newest = listed["revisions"][0]
        assert newest["revision"] == demo
        assert newest["created_by"] == "trustplane-demo"
        assert newest["active"] is True
        assert load_bundle_dir().revision == shipped  # the shipped bundle is untouched


def router_permissions() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "web" / "routers").glob("*.py"):
        found |= set(re.findall(r'require\(\s*"([a-z_*]+(?::[a-z_*]+)?)"', path.read_text()))
    return found


def test_every_router_permission_is_granted_and_matches_the_role_gate() -> None:
    engine = RegorusEngine(load_bundle_dir())
    roles = ("service", "dpo", "auditor", "security", "admin")

    def admitted(permission: str) -> set[str]:
        out: set[str] = set()
        for role in roles:
            subject = {
                "id": "x",
                "type": "service" if role == "service" else "user",
                "roles": [role],
                "attributes": {
                    "engagement_expires_at": "2099-01-01T00:00:00Z",
                    "mfa_age_seconds": 5,
                },
            }
            request = {
                "subject": subject,
                "action": {"name": permission},
                "context": {"ip": "10.0.0.1"},
            }
            if engine.evaluate("data.trustplane.authz.allow", request).value is True:
                out.add(role)
        return out

    used = router_permissions()
    assert {"admin:manage", "fields:decrypt", "subjects:shred", "evidence:read", "decide"} <= used
    agent_only = {"decision_logs:write", "agents:report"}  # agents alone (ADR 0210)
    for permission in used | set(DEFAULT_ROLE_PERMISSIONS) | {"audit:hash"}:
        granted = admitted(permission)
        if permission in agent_only:
            assert granted == set(), permission  # no role of this table, admin included
            assert DEFAULT_ROLE_PERMISSIONS[permission] == {"opa-agent"}
            continue
        if permission == "subjects:shred":  # a human act: the DPO only, no admin wildcard
            assert granted == {"dpo"}
            continue
        assert "admin" in granted, permission
        if permission not in {"admin:manage", "policy:manage"}:
            assert granted - {"admin"}, f"only admin holds {permission}"
        if permission in DEFAULT_ROLE_PERMISSIONS:
            assert granted == set(DEFAULT_ROLE_PERMISSIONS[permission]) - {"opa-agent"}
    assert admitted("dsr:manage") == {"dpo", "admin"}


def test_demo_admin_can_administer_from_loopback_only_after_the_demo_revision(
    tmp_path: Path,
) -> None:
    """Real login (password + TOTP) on a real server on 127.0.0.1: rule 9 still applies."""
    from datetime import UTC, datetime
    from urllib.parse import parse_qs, urlparse

    import httpx

    from identity.totp import code_at
    from tests.policies.harness import build_api_app
    from trustplane.demo.identity import DEMO_ADMIN_EMAIL
    from trustplane.server import BackgroundServer

    app, container = build_api_app(settings_for(tmp_path))
    identity_seeder, *others = container.demo_seeders
    lines = identity_seeder()
    password = next(line.split(": ", 1)[1] for line in lines if "one-time password" in line)
    uri = next(line.split(": ", 1)[1] for line in lines if "TOTP provisioning URI" in line)
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    server = BackgroundServer(app, "127.0.0.1").start()
    try:
        assert server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=10) as http:
            login = http.post(
                "/auth/login",
                json={
                    "email": DEMO_ADMIN_EMAIL,
                    "password": password,
                    "totp": code_at(secret, datetime.now(UTC)),
                },
            )
            assert login.status_code == 200, login.text
            csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
            new_user = {"email": "dpo@finsolve.example", "roles": ["dpo"]}
            refused = http.post("/v1/users", json=new_user, headers=csrf)
            assert refused.status_code == 403
            assert "admin network allowlist" in refused.text
            for seeder in others:
                seeder()  # the policy demo seeder pushes the loopback revision
            created = http.post("/v1/users", json=new_user, headers=csrf)
            assert created.status_code == 201, created.text
    finally:
        server.stop()
        container.close()

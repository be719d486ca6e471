"""``bench/console.py`` (issue 19): server-side rendering of the console's posture and
decisions pages against ``GET /v1/me`` on the same server, in the same run.

The posture page is rendered over ``BENCH_FINDINGS`` findings (default 50,000) recorded as
one collection; the decisions page over ``BENCH_DECISIONS`` decision events in the audit log
(default 1,000,000; it reads the policies room's decision tally, caught up exactly from the
log: ADR 0840). Each figure is p50 and p99 over sequential requests from one signed-in
browser session (cookie), and the ratio to ``/v1/me`` (goal: within 5x); "first" is the one
warm-up request before them: for the posture page the read after a new collection, when the
findings are judged once (ADR 0405); for the decisions page the first read after the seeded
backlog, when every seeded decision event is tallied once.

    BENCH_FINDINGS=5000 BENCH_DECISIONS=25000 .venv/bin/python bench/console.py   # quick
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# bench/ holds a reports.py: the project root comes first so ``reports`` is the room
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from ulid import ULID

from audit import (
    SYSTEM_ACTOR,
    Actor,
    AuditEventIn,
    AuditLog,
    EventType,
    Origin,
    Outcome,
    Target,
)
from controls import CollectionRecord, Finding, FindingStatus
from identity import IdentityService
from identity.totp import code_at
from trustplane.app import create_app
from trustplane.container import build_container
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade
from trustplane.server import BackgroundServer
from trustplane.settings import Settings

FINDINGS = int(os.environ.get("BENCH_FINDINGS", "50000"))
DECISIONS = int(os.environ.get("BENCH_DECISIONS", "1000000"))
SERVICES = ("payments", "wealth", "analytics", "notification", "auth")
ROUNDS = {"/v1/me": 200, "/console/decisions": 100, "/console/posture": 20}
CHEAP_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed_findings(container: object, count: int) -> None:
    controls = container.controls  # type: ignore[attr-defined]
    checks = sorted({check for c in controls.catalog.controls.values() for check in c.checks})
    now = datetime.now(UTC)
    run_id = controls.repository.start_run("bench", "bench", now)
    findings = tuple(
        Finding(
            check_id=checks[i % len(checks)],
            collector=checks[i % len(checks)].split(".")[0],
            status=FindingStatus.FAIL if i % 10 == 0 else FindingStatus.PASS,
            resource=f"bench:resource-{i}",
            reason="bench",
        )
        for i in range(count)
    )
    controls.repository.record_collection(
        CollectionRecord(
            id=str(ULID()),
            run_id=run_id,
            collector="bench",
            status="ok",
            scope="bench",
            evidence_sha256=None,
            error=None,
            started_at=now,
            finished_at=now + timedelta(seconds=1),
            findings=findings,
        )
    )
    controls.repository.finish_run(run_id, now + timedelta(seconds=2))


def seed_decisions(log: AuditLog, count: int) -> None:
    """Decision events as the decision logger writes them (1 in 8 denied), in batches."""
    batch: list[AuditEventIn] = []
    for i in range(count):
        allow = i % 8 != 0
        batch.append(
            AuditEventIn(
                type=EventType.DECISION,
                outcome=Outcome.SUCCESS if allow else Outcome.FAILURE,
                actor=Actor(id=f"u-{i % 500}", kind="user", roles=("support_agent",)),
                origin=Origin(service=SERVICES[i % len(SERVICES)]),
                target=Target(type="customer_profile", id=f"c-{i % 10_000}"),
                details={
                    "allow": allow,
                    "reasons": ["allowed by rule support_ticket"] if allow else ["no rule allows"],
                    "action": "read",
                },
            )
        )
        if len(batch) == 5000:
            log.record_many(batch)
            batch = []
    if batch:
        log.record_many(batch)


def sign_in(client: httpx.Client, email: str, password: str, secret: str) -> None:
    form = client.get("/console/login")
    token = CSRF.search(form.text)
    assert token
    code = code_at(secret, datetime.now(UTC))
    done = client.post(
        "/console/login",
        data={"email": email, "password": password, "totp": code, "csrf_token": token.group(1)},
    )
    assert done.status_code == 303, done.status_code


FIRST: dict[str, float] = {}


def timings(client: httpx.Client, path: str, rounds: int) -> list[float]:
    start = time.perf_counter()
    client.get(path)  # warm: the posture page judges the findings once here (ADR 0405)
    FIRST[path] = (time.perf_counter() - start) * 1000
    spent = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path)
        spent.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return spent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        engine = make_engine(f"sqlite:///{data / 'bench.db'}")
        upgrade(engine)
        settings = Settings.model_validate(
            {"data_dir": data, "identity": CHEAP_ARGON2, "web": {"cookie_secure": False}}
        )
        container = build_container(settings, engine)
        identity = container.authenticator
        assert isinstance(identity, IdentityService)
        user = identity.create_user("bench@finsolve.example", ["security"], SYSTEM_ACTOR)
        secret = re.search(r"secret=([A-Z2-7]+)", user.totp_uri)
        assert secret
        password = "the bench's own password"  # past the one-time password's forced change
        identity.change_password_of(user.email, user.password, password)
        started = time.perf_counter()
        seed_findings(container, FINDINGS)
        print(f"seeded {FINDINGS:,} findings in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        seed_decisions(container.audit, DECISIONS)
        print(f"seeded {DECISIONS:,} decisions in {time.perf_counter() - started:.1f} s")
        server = BackgroundServer(create_app(settings, container)).start()
        try:
            assert server.wait_ready()
            with httpx.Client(base_url=server.url, timeout=900) as client:
                sign_in(client, user.email, password, secret.group(1))
                results = {path: timings(client, path, n) for path, n in ROUNDS.items()}
        finally:
            server.stop()
    base = statistics.median(results["/v1/me"])
    print(f"{'route':<22}{'n':>5}{'p50 ms':>10}{'p99 ms':>10}{'p50 / me':>10}{'first ms':>10}")
    for path, values in results.items():
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(
            f"{path:<22}{len(values):>5}{p50:>10.1f}{p99:>10.1f}{p50 / base:>10.1f}"
            f"{FIRST[path]:>10.1f}"
        )


if __name__ == "__main__":
    main()

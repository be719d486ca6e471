"""A real ``trustplane serve`` process killed with SIGKILL under concurrent decision load:
every decision id it answered 200 (single, batch, AuthZEN, Data API) is in the audit log."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from audit import AuditLog, EventFilter, EventType
from tests.policies.corpus import CASES
from tests.policies.harness import build_api_app, settings_for
from tests.policies.live_process import start_server

LOAD_THREADS = 6
ACKNOWLEDGED_BEFORE_KILL = 400


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    live = start_server(tmp_path)
    try:
        yield live.proc, live.url, live.token("service", "load")
    finally:
        if live.proc.poll() is None:
            live.proc.kill()
            live.proc.wait()


def decision_ids(kind: int, response: httpx.Response) -> list[str]:
    body = response.json()
    if kind == 1:
        return [item["decision_id"] for item in body["decisions"] if "decision_id" in item]
    if kind == 2:
        return [body["context"]["decision_id"]]
    return [body["decision_id"]]


def test_sigkill_under_load_loses_no_acknowledged_decision(
    server: tuple[subprocess.Popen[bytes], str, str], tmp_path: Path
) -> None:
    proc, url, token = server
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    request = CASES[0].request
    authzen = {
        "subject": {
            "type": request["subject"]["type"],
            "id": request["subject"]["id"],
            "properties": {"roles": request["subject"]["roles"]},
        },
        "action": {"name": request["action"]["name"]},
        "resource": {
            "type": request["resource"]["type"],
            "id": request["resource"]["id"],
            "properties": {k: v for k, v in request["resource"].items() if k not in ("type", "id")},
        },
        "context": request["context"],
    }
    calls = [
        ("/v1/authorize", request),
        ("/v1/authorize/batch", {"requests": [c.request for c in CASES[:16]]}),
        ("/access/v1/evaluation", authzen),
        ("/v1/data/finsolve/authz/decision", {"input": request}),
    ]

    def load(worker: int) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
            turn = worker
            while not stop.is_set():
                kind = turn % len(calls)
                path, body = calls[kind]
                turn += 1
                try:
                    response = http.post(path, json=body, timeout=10)
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 200:
                    ids = decision_ids(kind, response)
                    with lock:
                        acknowledged.extend(ids)

    threads = [threading.Thread(target=load, args=(w,)) for w in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with lock:
            if len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL:
                break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stop.set()
    for thread in threads:
        thread.join(30)
    assert proc.returncode == -signal.SIGKILL
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL
    assert len(set(acknowledged)) == len(acknowledged)

    _app, container = build_api_app(settings_for(tmp_path))
    try:
        audit = container.audit
        assert isinstance(audit, AuditLog)
        logged: set[str] = set()
        after = -1
        while True:
            page = audit.events(EventFilter(type=EventType.DECISION), after=after, limit=1000)
            logged |= {event.document["details"]["decision_id"] for event in page.events}
            if page.next_cursor is None:
                break
            after = page.next_cursor
        missing = set(acknowledged) - logged
        assert not missing, f"{len(missing)} of {len(acknowledged)} answered decisions lost"
        report = audit.verify(workers=1)
        assert report.ok, report.problems
    finally:
        container.close()

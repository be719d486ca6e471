"""A process executing access requests is killed with SIGKILL: every execution it
acknowledged is completed with its package on disk and its steps in the audit log, and no
request says completed without both (one group commit and one transaction per execution,
the package durable before the request's row, ADR 0605)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine

from audit import AuditLog
from privacy import DsrState
from privacy.demo_store import create_demo_store
from tests.privacy.conftest import plain_map
from tests.privacy.dsr_proc import DPO, build

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = 400


def test_sigkilled_executions_lose_nothing_acknowledged(db_url: str, tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'core.db'}"
    store = create_engine(store_url)
    create_demo_store(store, CUSTOMERS, lambda pan, _customer: pan)
    store.dispose()
    data_dir = tmp_path / "data"
    setup = build(db_url, data_dir)
    setup.load_datamap(plain_map(store_url), DPO)
    setup.close()
    assert isinstance(setup.audit, AuditLog)
    setup.audit.close()

    worker_args = [db_url, store_url, str(data_dir), "4", str(CUSTOMERS)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.privacy.dsr_proc", *worker_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    while len(seen) < 40:
        line = proc.stdout.readline()
        assert line, "the worker exited early"
        seen.append(line)
    proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate(timeout=60)
    acknowledged = dict(line.split() for line in seen + rest.splitlines() if len(line.split()) == 2)
    assert len(acknowledged) >= 40

    service = build(db_url, data_dir)
    try:
        requests = {r.id: r for r in service.list(limit=CUSTOMERS)}
        for dsr_id, sha256 in acknowledged.items():
            request = requests[dsr_id]
            assert request.state is DsrState.COMPLETED
            assert request.package_sha256 == sha256
        completed = [r for r in requests.values() if r.state is DsrState.COMPLETED]
        assert len(completed) >= len(acknowledged)
        log = service.audit
        assert isinstance(log, AuditLog)
        for request in completed:  # acknowledged or not: completed means all of it is there
            stored = service.get(request.id)
            content = service.package(request.id, DPO)
            assert hashlib.sha256(content).hexdigest() == stored.package_sha256
            actions = [log.event(seq).document["details"]["action"] for seq in stored.audit_seqs]
            assert {"started", "export.done", "package_built"} <= set(actions)
            assert all(
                log.event(seq).document["target"]["id"] == request.id for seq in stored.audit_seqs
            )
        report = log.verify(workers=1)
        assert report.ok, report.problems
    finally:
        service.close()
        assert isinstance(service.audit, AuditLog)
        service.audit.close()

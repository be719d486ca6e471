"""Where request work runs: short CPU-only checks on the event loop, I/O in the threadpool."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from identity import Caller
from tests.web.conftest import FakeAuthenticator, build_app
from web.deps import install_services
from web.gate import GateDecision, RoleGate

WORKER = "AnyIO worker thread"


class RecordingAuthenticator(FakeAuthenticator):
    def __init__(self, needs_io: bool) -> None:
        self.needs_io = needs_io
        self.threads: list[str] = []

    def bearer_needs_io(self, token: str) -> bool:
        return self.needs_io

    def authenticate_bearer(self, token: str) -> Caller:
        self.threads.append(threading.current_thread().name)
        return super().authenticate_bearer(token)


class RecordingGate:
    def __init__(self, blocking: bool) -> None:
        self.blocking = blocking
        self.threads: list[str] = []
        self._roles = RoleGate()

    def check(
        self, caller: Caller, action: str, resource_type: str, context: Mapping[str, Any]
    ) -> GateDecision:
        self.threads.append(threading.current_thread().name)
        return self._roles.check(caller, action, resource_type, context)


@pytest.mark.parametrize("needs_io", [False, True], ids=["own token", "external token"])
@pytest.mark.parametrize("blocking", [False, True], ids=["local gate", "remote gate"])
def test_checks_run_on_the_loop_unless_they_may_wait_on_io(
    tmp_path: Path, needs_io: bool, blocking: bool
) -> None:
    app = build_app(tmp_path)
    authenticator = RecordingAuthenticator(needs_io)
    gate = RecordingGate(blocking)
    install_services(app, replace(app.state.services, authenticator=authenticator, gate=gate))
    with TestClient(app) as client:
        answer = client.get("/v1/probe/admin", headers={"Authorization": "Bearer admin-token"})
        refused = client.get("/v1/probe/admin", headers={"Authorization": "Bearer service-token"})
    assert answer.status_code == 200, answer.text
    assert refused.status_code == 403
    assert [name == WORKER for name in authenticator.threads] == [needs_io, needs_io]
    assert [name == WORKER for name in gate.threads] == [blocking, blocking]

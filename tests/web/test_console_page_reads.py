"""The console pages' reads (ADR 0842): a page's data is read while its own decision is made
and is used only when that decision allows; the framework rows kept per key are the rows the
full computation gives after a new snapshot, a new collection or a status change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from controls import ControlsService, ControlStatus, PostureSnapshot
from identity import AuthMethod, Caller, CallerKind
from tests.browser.console_app import ConsoleApp, build_console_app, sign_in
from tests.callers import ADMIN_NETWORK_CLIENT
from web.console.posture import FRAMEWORK_ROWS, _frameworks, _posture
from web.console.session import Console, PageForbiddenError
from web.deps import Services
from web.gate import RoleGate


def console_of(*roles: str) -> Console:
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/console/posture",
            "headers": [],
            "client": ("127.0.0.1", 5000),
            "query_string": b"",
        }
    )
    caller = Caller(
        id="u-1", kind=CallerKind.USER, roles=frozenset(roles), auth_method=AuthMethod.SESSION
    )
    return Console(request, caller, cast(Services, SimpleNamespace(gate=RoleGate())))


def test_a_refused_page_drops_its_read_even_a_failing_one() -> None:
    reads: list[str] = []

    def read(value: str) -> str:
        reads.append(value)
        raise RuntimeError("the read failed")

    async def refused() -> None:
        with pytest.raises(PageForbiddenError):
            await console_of("dpo").gated("audit:read", "audit_log", read, "posture")
        await asyncio.sleep(0.05)  # the dropped read finishes; its error is not left unread

    asyncio.run(refused())
    assert reads == ["posture"]


def test_an_allowed_page_gets_its_read_and_its_errors() -> None:
    async def allowed() -> Any:
        console = console_of("security")
        assert await console.gated("audit:read", "audit_log", lambda n: n * 2, 21) == 42

        def broken() -> None:
            raise RuntimeError("the read failed")

        with pytest.raises(RuntimeError):
            await console.gated("audit:read", "audit_log", broken)

    asyncio.run(allowed())


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> ConsoleApp:
    return build_console_app(tmp_path_factory.mktemp("console-reads"))


def reference(service: ControlsService) -> tuple[list[dict[str, object]], dict[str, Any]]:
    postures = service.control_postures()
    return _frameworks(service, postures), postures


def test_framework_rows_kept_per_key_equal_the_full_computation(console: ConsoleApp) -> None:
    service = console.container.controls
    frameworks, _ = _posture(service)
    assert frameworks == reference(service)[0]
    assert _posture(service)[0] is frameworks  # kept: nothing it depends on changed

    # a new snapshot (another worker's collection) is in the trend at once
    version = service.posture_history_version()
    newest = datetime.now(UTC) + timedelta(minutes=1)
    framework_id = service.frameworks()[0].id
    run_id = service.repository.start_run("test", "test", newest)
    service.repository.record_posture(
        [
            PostureSnapshot(
                run_id=run_id,
                framework_id=framework_id,
                satisfied=1,
                assessed=4,
                failing=3,
                total=4,
                taken_at=newest,
            )
        ]
    )
    assert service.posture_history_version() != version
    after, _ = _posture(service)
    assert after == reference(service)[0]
    assert after != frameworks
    row = next(row for row in after if getattr(row["posture"], "framework_id", "") == framework_id)
    assert cast(list[Any], row["points"])[-1].percent == 25.0

    # statuses that change (a collection, or evidence going stale) change the key
    postures = service.control_postures()
    control_id = sorted(postures)[0]
    flipped = (
        ControlStatus.PASS
        if postures[control_id].status != ControlStatus.PASS
        else ControlStatus.FAIL
    )
    changed = {**postures, control_id: postures[control_id].model_copy(update={"status": flipped})}
    assert FRAMEWORK_ROWS.rows(service, changed) != FRAMEWORK_ROWS.rows(service, postures)
    assert FRAMEWORK_ROWS.rows(service, changed) == _frameworks(service, changed)


@pytest.mark.parametrize(("persona", "status"), [("dpo", 403), ("security", 404)])
def test_an_unknown_control_is_a_404_only_for_a_role_that_may_read_controls(
    console: ConsoleApp, persona: str, status: int
) -> None:
    client = TestClient(console.app, raise_server_exceptions=False, client=ADMIN_NETWORK_CLIENT)
    sign_in(client, console, persona)
    assert client.get("/console/controls/NO-SUCH-CONTROL").status_code == status

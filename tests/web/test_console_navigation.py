"""The console's navigation (ADR 0841): what the caller's role set holds, asked of the decision
point once per (revision, subject type, roles) and not logged; the page itself is still
decided and logged on every opening (ADR 0209)."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from audit import EventFilter, EventType
from identity import AuthMethod, Caller, CallerKind
from policies import (
    BundleFiles,
    EvaluationError,
    PolicyEngine,
    PolicyRoom,
    RegorusEngine,
    load_bundle_dir,
)
from tests.browser.console_app import ConsoleApp, build_console_app, sign_in
from tests.callers import ADMIN_NETWORK_CLIENT
from web.console.session import NAVIGATION
from web.policy_gate import PolicyRouteGate

SHIPPED = load_bundle_dir(None)
WANTED = [(item.action, item.resource) for item in NAVIGATION]


def caller(*roles: str, kind: CallerKind = CallerKind.USER, **attributes: Any) -> Caller:
    return Caller(
        id="u-1",
        kind=kind,
        roles=frozenset(roles),
        auth_method=AuthMethod.SESSION,
        attributes=attributes,
    )


def with_permissions(role: str, patterns: list[str]) -> BundleFiles:
    data = copy.deepcopy(SHIPPED.data)
    data["trustplane"]["config"]["permissions"][role] = patterns
    return BundleFiles(modules=dict(SHIPPED.modules), data=data)


class Engines:
    """The decision point's engine source, switched between revisions by the test."""

    def __init__(self, engine: PolicyEngine) -> None:
        self.engine: PolicyEngine | Exception = engine
        self.calls = 0

    def current(self) -> PolicyEngine:
        self.calls += 1
        if isinstance(self.engine, Exception):
            raise self.engine
        return self.engine


class CountingEngine:
    def __init__(self, inner: PolicyEngine, fail: bool = False) -> None:
        self.inner, self.fail, self.evaluations = inner, fail, 0

    @property
    def revision(self) -> str:
        return self.inner.revision

    def ready(self) -> None:
        """Nothing to prepare."""

    def evaluate(self, query: str, input_document: Any) -> Any:
        self.evaluations += 1
        if self.fail:
            raise EvaluationError("engine down")
        return self.inner.evaluate(query, input_document)


def gate_over(engines: Engines) -> PolicyRouteGate:
    room = SimpleNamespace(decisions=SimpleNamespace(engines=engines))
    return PolicyRouteGate(cast(PolicyRoom, room))


def labels(shown: list[bool]) -> list[str]:
    return [item.label for item, held in zip(NAVIGATION, shown, strict=True) if held]


def test_navigation_is_the_role_sets_permissions_asked_once_per_revision() -> None:
    engine = CountingEngine(RegorusEngine(SHIPPED))
    engines = Engines(engine)
    gate = gate_over(engines)
    assert labels(gate.visible(caller("dpo"), WANTED)) == ["DPO desk"]
    assert labels(gate.visible(caller("security"), WANTED)) == [
        "Posture",
        "Decisions",
        "Keys",
        "Audit log",
        "DPO desk",
        "Auditor portal",
    ]
    asked = engine.evaluations
    for _ in range(3):  # another session of the same roles: no evaluation
        assert labels(gate.visible(caller("dpo", mfa_age_seconds=5), WANTED)) == ["DPO desk"]
    assert engine.evaluations == asked
    # a service account holding "dpo" is asked separately (the subject type is in the key)
    gate.visible(caller("dpo", kind=CallerKind.SERVICE), WANTED)
    assert engine.evaluations == asked + len(WANTED)

    # a new revision in force: the answer follows it at once
    engines.engine = RegorusEngine(with_permissions("dpo", ["dsr:*", "controls:read"]))
    assert labels(gate.visible(caller("dpo"), WANTED)) == ["Posture", "DPO desk"]


def test_an_engine_that_fails_shows_nothing_and_is_asked_again() -> None:
    failing = CountingEngine(RegorusEngine(SHIPPED), fail=True)
    engines = Engines(failing)
    gate = gate_over(engines)
    assert gate.visible(caller("security"), WANTED) == [False] * len(WANTED)
    failing.fail = False
    assert all(gate.visible(caller("security"), WANTED))  # the failure was not kept
    engines.engine = RuntimeError("no bundle loaded")
    assert gate.visible(caller("security"), WANTED) == [False] * len(WANTED)


def test_conditions_are_the_pages_own_decision_not_the_navigations() -> None:
    """An admin without fresh MFA holds the pages by role; opening one is decided (and
    refused) with the admin rule's conditions."""
    gate = gate_over(Engines(RegorusEngine(SHIPPED)))
    admin = caller("admin", mfa_age_seconds=10**6)
    assert all(gate.visible(admin, WANTED))


# --- over HTTP, against the demo-seeded app --------------------------------------------


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> ConsoleApp:
    return build_console_app(tmp_path_factory.mktemp("console-nav"))


def signed_in(console: ConsoleApp, persona: str) -> TestClient:
    client = TestClient(console.app, raise_server_exceptions=False, client=ADMIN_NETWORK_CLIENT)
    sign_in(client, console, persona)
    return client


def gate_events(console: ConsoleApp) -> list[dict[str, Any]]:
    console.container.policies.logger.flush()
    log = console.container.audit
    found: list[dict[str, Any]] = []
    after = -1
    while True:
        page = log.events(EventFilter(type=EventType.DECISION.value), after=after, limit=1000)
        found += [
            e.document
            for e in page.events
            if e.document.get("details", {}).get("entry_point") == "route-gate"
        ]
        if page.next_cursor is None:
            return found
        after = page.next_cursor


@pytest.mark.parametrize(
    ("persona", "path", "status", "action"),
    [
        ("security", "/console/posture", 200, "controls:read"),
        ("security", "/console/decisions", 200, "policy:read"),
        ("dpo", "/console/decisions", 403, "policy:read"),
    ],
)
def test_a_page_view_logs_its_own_decision_and_nothing_for_the_navigation(
    console: ConsoleApp, persona: str, path: str, status: int, action: str
) -> None:
    client = signed_in(console, persona)
    before = len(gate_events(console))
    assert client.get(path).status_code == status
    logged = gate_events(console)[before:]
    assert [(e["details"]["action"], e["details"]["allow"]) for e in logged] == [
        (action, status == 200)
    ]


@pytest.mark.parametrize("persona", ["security", "dpo", "auditor"])
def test_the_navigation_shows_exactly_the_pages_the_role_may_open(
    console: ConsoleApp, persona: str
) -> None:
    client = signed_in(console, persona)
    home = client.get("/console/").text
    for item in NAVIGATION:
        opened = client.get(item.href)
        assert opened.status_code in (200, 403), (item.href, opened.status_code)
        shown = f'<a href="{item.href}"' in home
        assert shown == (opened.status_code == 200), (persona, item.href)

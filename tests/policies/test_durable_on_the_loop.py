"""Durable decisions on the event loop (ADR 0213), with the real audit log (SQLite file and
PostgreSQL): evaluated on the loop, awaited without a worker thread, answered only once
durable, concurrent requests sharing group commits, and a stalled log refused after the
bounded wait while the loop keeps serving."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import web.settle
from audit import AuditLog, build_audit_log
from policies import Decision, DecisionLogUnavailableError, PolicyRoom, build_policy_room
from tests.audit.conftest import HMAC_KEY, ORIGIN, SIGNING_KEY
from tests.policies.corpus import CASES
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade
from web.settle import decide_durably

CLIENTS = 32


class CommitCounter:
    """Wraps the writer's commit: how many transactions, and an optional stall."""

    def __init__(self, log: AuditLog) -> None:
        writer: Any = log._writer
        self._commit: Callable[..., list[int]] = writer._commit
        writer._commit = self
        self.commits = 0
        self.open = threading.Event()
        self.open.set()

    def __call__(self, items: list[Any], more: Callable[[], list[Any]]) -> list[int]:
        self.open.wait(30)
        self.commits += 1
        return self._commit(items, more)


@pytest.fixture
def durable(db_url: str, tmp_path: Path) -> Iterator[tuple[PolicyRoom, AuditLog]]:
    """A room on ``db_url`` logging durably into a real audit log (its own SQLite file
    beside a SQLite database, as the composition root does; the same PostgreSQL database)."""
    engine = make_engine(db_url)
    upgrade(engine)
    audit_engine = engine
    if db_url.startswith("sqlite"):
        audit_engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
        upgrade(audit_engine)
    log = build_audit_log(audit_engine, hmac_key=HMAC_KEY, signing_key=SIGNING_KEY, origin=ORIGIN)
    room = build_policy_room(engine, log, watch=False, log_wait_seconds=0.5)
    try:
        room.decisions.decide(CASES[0].request)  # loads the bundle (the one threadpool case)
        assert room.evaluates_inline
        yield room, log
    finally:
        room.close()
        log.close()
        if audit_engine is not engine:
            audit_engine.dispose()
        engine.dispose()


def logged_ids(log: AuditLog) -> set[str]:
    found = set()
    for index in range(log.tree_size()):
        details = log.event(index).document.get("details", {})
        if "decision_id" in details:
            found.add(details["decision_id"])
    return found


def no_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a durable decision used a worker thread")

    monkeypatch.setattr(web.settle, "run_in_threadpool", refuse)


async def decide(room: PolicyRoom, index: int) -> Decision:
    request = CASES[index % len(CASES)].request
    return await decide_durably(room, lambda: room.decisions.evaluate(request, requested_by="svc"))


def test_concurrent_decisions_are_durable_when_answered_and_share_commits(
    durable: tuple[PolicyRoom, AuditLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    room, log = durable
    counter = CommitCounter(log)
    no_worker_thread(monkeypatch)
    answered_before_durable: list[str] = []

    async def one(index: int) -> Decision:
        decision = await decide(room, index)
        if decision.decision_id not in logged_ids(log):
            answered_before_durable.append(decision.decision_id)
        return decision

    async def many() -> list[Decision]:
        return await asyncio.gather(*(one(i) for i in range(CLIENTS)))

    decisions = asyncio.run(many())
    assert answered_before_durable == []
    assert [d.allow for d in decisions] == [CASES[i % len(CASES)].allow for i in range(CLIENTS)]
    assert {d.decision_id for d in decisions} <= logged_ids(log)
    # the writer commits while the loop still evaluates the next ones, so several commits,
    # but decisions share them (one fsync each): far fewer commits than decisions
    assert 1 <= counter.commits <= CLIENTS // 2, counter.commits


def test_a_stalled_log_is_refused_after_the_bounded_wait_while_the_loop_serves(
    durable: tuple[PolicyRoom, AuditLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    room, log = durable
    counter = CommitCounter(log)
    no_worker_thread(monkeypatch)
    counter.open.clear()  # the writer is stuck (e.g. the database does not answer)
    ticks = 0

    async def ticker(stop: asyncio.Event) -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    async def stalled() -> BaseException | None:
        stop = asyncio.Event()
        beat = asyncio.create_task(ticker(stop))
        try:
            await decide(room, 0)
        except DecisionLogUnavailableError as exc:
            return exc
        finally:
            stop.set()
            await beat
        return None

    size = log.tree_size()
    refused = asyncio.run(stalled())
    assert isinstance(refused, DecisionLogUnavailableError)
    assert refused.problem_headers == {"Retry-After": "1"}
    assert ticks >= 20  # about 0.5 s of waiting, and the loop kept running meanwhile
    counter.open.set()  # the write lands later: an event without an answer is harmless
    answered = asyncio.run(decide(room, 1))
    assert answered.decision_id in logged_ids(log)
    assert log.tree_size() == size + 2


def test_an_unlogged_gate_allow_answers_at_once_and_a_deny_waits_for_its_event(
    durable: tuple[PolicyRoom, AuditLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ADR 0209 on the loop: allows of the decision endpoints are not logged, denies are."""
    from tests import callers
    from web.policy_gate import PolicyRouteGate

    room, log = durable
    counter = CommitCounter(log)
    no_worker_thread(monkeypatch)
    gate = PolicyRouteGate(room)
    counter.open.clear()  # nothing can become durable now
    size = log.tree_size()
    context = {"ip": "10.0.0.1"}
    allowed = asyncio.run(gate.admit(callers.service("svc-1"), "decide", "decision", context))
    assert allowed.allow  # answered although the log is stuck: nothing to log
    with pytest.raises(DecisionLogUnavailableError):  # a deny must be logged first
        asyncio.run(gate.admit(callers.user("u-1", "auditor"), "decide", "decision", context))
    counter.open.set()
    denied = asyncio.run(gate.admit(callers.user("u-1", "auditor"), "decide", "decision", context))
    assert not denied.allow
    assert log.tree_size() == size + 2  # the two denies, no allow


def test_the_api_answers_durable_decisions_without_a_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole request (token, route gate, decision, durable event) stays on the event
    loop once the bundle is loaded; the answered id is in the audit log (durable default)."""
    import starlette.concurrency

    import web.deps
    from tests.policies.harness import running_api, settings_for

    with running_api(settings_for(tmp_path)) as api:
        warm = api.post("/v1/authorize", CASES[0].request)  # the first one loads the bundle
        assert warm.status_code == 200, warm.text
        workers: list[str] = []
        original = starlette.concurrency.run_in_threadpool

        async def recording(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            workers.append(getattr(func, "__name__", repr(func)))
            return await original(func, *args, **kwargs)

        for module in (web.settle, web.deps):
            monkeypatch.setattr(module, "run_in_threadpool", recording)
        answers = [api.post("/v1/authorize", case.request) for case in CASES[:5]]
        assert [a.status_code for a in answers] == [200] * 5
        assert workers == []
        log = api.container.audit
        assert isinstance(log, AuditLog)
        assert {a.json()["decision_id"] for a in answers} <= logged_ids(log)


def test_a_decision_whose_facts_read_the_database_is_evaluated_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DSR citation is checked against the register (a database read): that evaluation
    runs in a worker thread, so the loop never waits on the database; the answer is still
    durable and the unknown DSR a deny with its reason."""
    import starlette.concurrency

    from tests.policies.harness import running_api, settings_for

    with running_api(settings_for(tmp_path)) as api:
        assert api.post("/v1/authorize", CASES[0].request).status_code == 200
        threads: list[str] = []
        original = starlette.concurrency.run_in_threadpool

        async def recording(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            threads.append(getattr(func, "__name__", repr(func)))
            return await original(func, *args, **kwargs)

        monkeypatch.setattr(web.settle, "run_in_threadpool", recording)
        request = dict(CASES[0].request)
        request["resource"] = {**request["resource"], "owner_id": "cust-1"}
        request["context"] = {**request.get("context", {}), "dsr_id": "no-such-request"}
        answer = api.post("/v1/authorize", request)
        assert answer.status_code == 200, answer.text
        assert answer.json()["allow"] is False
        assert len(threads) == 1  # the evaluation, nothing else
        log = api.container.audit
        assert isinstance(log, AuditLog)
        assert answer.json()["decision_id"] in logged_ids(log)

"""An embedded engine compiles its bundle on each thread that evaluates it, and a thread's
first evaluation sets up the evaluator: that one-time cost is no part of a decision's CPU
budget, which exists to fail closed on a runaway policy (ADR 0215). Before, the first
decision on a new worker thread (or after a new revision) could be denied as a runaway
when compiling took longer than the budget, as a busy CI machine showed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from policies import DecisionService, RegorusEngine
from policies.decisions import StaticEngineSource
from policies.engines import regorus
from policies.source import BundleFiles
from policies.testing import compile_engine

RULES_PER_MODULE = 5_000  # regorus allows at most 20,000 lines in one module


def heavy_bundle(modules: int = 3) -> BundleFiles:
    """A bundle slow to compile (thousands of rules; about 0.2 s per thread here) whose
    decision costs almost nothing to evaluate."""
    files = {
        f"heavy{k}.rego": "package heavy\n\n"
        + "\n".join(f"r{k}_{i} if input.x == {i}" for i in range(RULES_PER_MODULE))
        + "\n"
        for k in range(modules)
    }
    files["decision.rego"] = (
        "package heavy\n\n"
        'decision := {"allow": input.ok == true, "reasons": ["ok"], "obligations": []}\n'
    )
    return BundleFiles(modules=files)


@pytest.fixture(scope="module")
def engine() -> RegorusEngine:
    return RegorusEngine(heavy_bundle())


def service(engine: RegorusEngine) -> DecisionService:
    # the default budget: 50 ms of this thread's CPU time per evaluation
    return DecisionService(StaticEngineSource(engine), None, query="data.heavy.decision")


def on_a_new_thread(work: Callable[[], Any]) -> Any:
    done: list[Any] = []
    thread = threading.Thread(target=lambda: done.append(work()))
    thread.start()
    thread.join()
    assert done, "the work raised on its thread"
    return done[0]


def test_a_threads_first_decision_is_not_judged_by_the_compile(engine: RegorusEngine) -> None:
    decisions = service(engine)
    decision = on_a_new_thread(lambda: decisions.decide({"ok": True}))
    assert not decision.failed, decision.reasons
    assert decision.allow
    assert decision.reasons == ["ok"]


def test_a_threads_first_data_api_query_is_not_judged_by_the_compile(
    engine: RegorusEngine,
) -> None:
    decisions = service(engine)
    result = on_a_new_thread(lambda: decisions.query("data.heavy.decision", {"ok": True}))
    assert result.evaluation.value["allow"] is True


def test_ready_compiles_once_per_thread(
    engine: RegorusEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[threading.Thread] = []

    def counting(files: BundleFiles, **options: Any) -> Any:
        compiled.append(threading.current_thread())
        return compile_engine(files, **options)

    monkeypatch.setattr(regorus, "compile_engine", counting)

    def twice() -> bool:
        engine.ready()
        engine.ready()
        return bool(engine.evaluate("data.heavy.decision", {"ok": False}).value["allow"])

    assert on_a_new_thread(twice) is False
    assert len(compiled) == 1
    engine.ready()  # this thread: compiled when the engine was made (or now, if evicted)
    compiled.clear()
    engine.ready()
    assert compiled == []


def test_a_runaway_policy_still_fails_closed() -> None:
    """What the budget is for stays: a policy that burns the CPU once ready is a deny."""
    spinning = RegorusEngine(
        BundleFiles(
            modules={
                "spin.rego": "package spin\n\n"
                "n := count([x | some x in numbers.range(1, 3000000); x % 7 == 0])\n"
                'decision := {"allow": n > 0, "reasons": [], "obligations": []}\n'
            }
        )
    )
    decisions = DecisionService(StaticEngineSource(spinning), None, query="data.spin.decision")
    decision = on_a_new_thread(lambda: decisions.decide({}))
    assert decision.failed
    assert not decision.allow

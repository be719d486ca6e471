"""The corpus decided directly on the embedded engine (the API tests reuse the corpus)."""

from __future__ import annotations

import pytest

from policies import RegorusEngine, load_bundle_dir
from tests.policies.corpus import ALL_CASES, Case

ENGINE = RegorusEngine(load_bundle_dir())


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.name)
def test_case(case: Case) -> None:
    evaluation = ENGINE.evaluate(case.query, case.request)
    assert evaluation.defined
    decision = evaluation.value
    assert decision["allow"] is case.allow, decision
    if not case.allow:
        assert decision["reasons"]
    if case.reason:
        assert any(case.reason in reason for reason in decision["reasons"]), decision
    if case.obligation:
        assert case.obligation in decision["obligations"], decision

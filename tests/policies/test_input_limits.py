"""Decision inputs the engine or the audit log cannot take (found by schemathesis).

* A Data API path segment that is not a Rego identifier is a 400 problem, never an engine
  call (the engine's parse error used to leak as a 503).
* A number RFC 8785 cannot represent (an integer beyond ±(2**53 - 1), NaN, infinity) is an
  invalid request at every entry point, refused before evaluation.
* The decision-log worker survives an event the durable audit log refuses: it records a
  substitute decision event (input replaced by a marker) in the real log, counts it, and
  keeps logging the decisions after it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies import (
    DecisionLogEntry,
    EvaluationError,
    InvalidDataPathError,
    InvalidRequestError,
    query_for_path,
)
from policies.decision_log import UNREPRESENTABLE_INPUT
from policies.input_limits import MAX_SAFE_INTEGER, unrepresentable
from policies.models import Decision
from tests.policies.harness import Api, running_api, settings_for

PROBLEM = "application/problem+json"
SUBJECT = {"id": "svc:payments", "type": "service", "roles": ["service"]}
RESOURCE = {"type": "customer_profile", "id": "c-1"}
GOOD: dict[str, Any] = {
    "subject": {"id": "svc:payments", "type": "service", "roles": ["service"]},
    "action": {"name": "read"},
    "resource": {"type": "customer_profile", "id": "c-1"},
    "context": {},
}
TOO_BIG = [2**53, -(2**53), 956973357761620344832]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(settings_for(tmp_path_factory.mktemp("limits"))) as harness:
        yield harness


def with_context(**context: Any) -> dict[str, Any]:
    return {**GOOD, "context": context}


def post_raw(api: Api, url: str, text: str) -> Any:
    headers = {**api.auth(), "Content-Type": "application/json"}
    return api.client.post(url, content=text.encode(), headers=headers)


def authorize_events(api: Api) -> int:
    """Decisions logged for /v1/authorize (the route gate's own decisions aside)."""
    return sum(1 for e in api.decision_events() if e.details.get("entry_point") == "authorize")


# -- data paths ---------------------------------------------------------------------------

IDENTIFIERS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)


@settings(max_examples=50, deadline=None)
@given(st.lists(IDENTIFIERS, min_size=1, max_size=5))
def test_identifier_paths_become_references(parts: list[str]) -> None:
    assert query_for_path("/".join(parts)) == "data." + ".".join(parts)


@pytest.mark.parametrize("segment", ["0", "0a", "a-b", "a$b", "é", "a.b", "a b", "[x]", '"x"'])
def test_a_segment_that_is_not_an_identifier_is_refused(segment: str) -> None:
    with pytest.raises(InvalidDataPathError):
        query_for_path(f"finsolve/{segment}/decision")
    assert issubclass(InvalidDataPathError, InvalidRequestError)


def test_empty_segments_are_ignored() -> None:
    assert query_for_path("/finsolve//authz/") == "data.finsolve.authz"
    assert query_for_path("") == "data"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("path", ["0", "finsolve/0", "finsolve/au-thz/decision"])
def test_data_api_answers_400_without_an_engine_call(
    api: Api, method: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_engine(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the engine must not be called")

    monkeypatch.setattr(api.room.decisions, "query", no_engine)
    kwargs: dict[str, Any] = {"headers": api.auth()}
    if method == "post":
        kwargs["json"] = {"input": {}}
    response = getattr(api.client, method)(f"/v1/data/{path}", **kwargs)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"].endswith("/invalid-data-path")
    assert "parse" not in body.get("detail", "").lower()


def test_the_400_is_documented(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    for method in ("get", "post"):
        assert "400" in spec["paths"]["/v1/data/{path}"][method]["responses"]


def test_an_identifier_path_still_evaluates(api: Api) -> None:
    response = api.post("/v1/data/finsolve/authz/decision", {"input": GOOD})
    assert response.status_code == 200, response.text
    assert "allow" in response.json()["result"]


# -- numbers canonical JSON cannot represent ----------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER))
def test_safe_integers_are_representable(value: int) -> None:
    assert unrepresentable({"a": [value, {"b": value}]}) is None


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=MAX_SAFE_INTEGER + 1) | st.integers(max_value=-MAX_SAFE_INTEGER - 1))
def test_big_integers_are_not(value: int) -> None:
    found = unrepresentable({"a": [1, {"b": value}]})
    assert found is not None
    assert found.startswith("/a/1/b")


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, "\ud800"])
def test_non_finite_floats_and_lone_surrogates_are_not(value: Any) -> None:
    assert unrepresentable({"x": value}) is not None
    assert unrepresentable({value if isinstance(value, str) else "k": 1}) is not None or (
        not isinstance(value, str)
    )


@pytest.mark.parametrize("value", TOO_BIG)
def test_authorize_refuses_a_big_integer(api: Api, value: int) -> None:
    before = authorize_events(api)
    response = api.post("/v1/authorize", with_context(amount=value))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert authorize_events(api) == before  # refused before evaluation: nothing decided


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_authorize_refuses_non_finite_numbers(api: Api, literal: str) -> None:
    text = json.dumps(with_context(ratio=0)).replace('"ratio": 0', f'"ratio": {literal}')
    response = post_raw(api, "/v1/authorize", text)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


def test_a_lone_surrogate_is_refused_and_the_server_lives(api: Api) -> None:
    text = json.dumps(with_context(note="x")).replace('"x"', '"\\ud800"')
    assert "\\ud800" in text
    response = post_raw(api, "/v1/authorize", text)
    assert response.status_code == 422, response.text
    assert api.post("/v1/authorize", GOOD).status_code == 200


def test_the_embedded_engine_refuses_a_lone_surrogate(api: Api) -> None:
    """regorus' set_input crashes the process on one: the engine must never pass it on."""
    engine = api.room.bundles.current()
    with pytest.raises(EvaluationError, match="surrogate"):
        engine.evaluate("data.finsolve.authz.decision", {"subject": {"id": "a\ud800"}})
    with pytest.raises(EvaluationError, match="surrogate"):
        engine.evaluate("data.finsolve.authz.decision", {"k\udfff": 1})


def test_safe_integers_are_decided(api: Api) -> None:
    response = api.post("/v1/authorize", with_context(amount=MAX_SAFE_INTEGER))
    assert response.status_code == 200, response.text


def test_batch_item_with_a_big_integer_is_a_per_item_error(api: Api) -> None:
    response = api.post("/v1/authorize/batch", {"requests": [GOOD, with_context(n=2**64)]})
    assert response.status_code == 200, response.text
    first, second = response.json()["decisions"]
    assert "allow" in first
    assert second["error"]["status"] == 422
    assert "RFC 8785" in second["error"]["detail"]


def test_authzen_refuses_a_big_integer(api: Api) -> None:
    evaluation = {
        "subject": {"type": "service", "id": "svc:payments", "properties": {"roles": ["service"]}},
        "action": {"name": "read"},
        "resource": {"type": "customer_profile", "id": "c-1"},
        "context": {"n": 2**60},
    }
    one = api.post("/access/v1/evaluation", evaluation)
    assert one.status_code in (400, 422), one.text
    assert one.headers["content-type"].startswith(PROBLEM)
    many = api.post("/access/v1/evaluations", {"evaluations": [evaluation]})
    assert many.status_code == 200, many.text
    answer = many.json()["evaluations"][0]
    assert answer["decision"] is False
    assert answer["context"]["error"]["status"] in (400, 422)


def test_data_api_refuses_a_big_integer_input(api: Api) -> None:
    response = api.post("/v1/data/finsolve/authz/decision", {"input": with_context(n=2**53)})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


def test_in_process_check_refuses_a_big_integer(api: Api) -> None:
    with pytest.raises(InvalidRequestError, match="RFC 8785"):
        api.room.decisions.check(SUBJECT, "read", RESOURCE, {"amount": 2**53 + 1})
    with pytest.raises(InvalidRequestError):
        api.room.decisions.check(SUBJECT, "read", RESOURCE, {"x": math.inf})


# -- the decision-log worker ----------------------------------------------------------------


def bad_entry(api: Api, decision_id: str, *, subject_id: str = "svc:bad") -> DecisionLogEntry:
    """What a decision with an unrepresentable input looks like to the logger (reaching it
    past the entry-point checks, e.g. from a caller that skips them)."""
    engine = api.room.bundles.current()
    document = {
        "subject": {"id": subject_id, "type": "service", "roles": ["service"]},
        "action": {"name": "read"},
        "resource": {"type": "customer_profile", "id": "c-1"},
        "context": {"amount": 2**70},
    }
    decision = Decision(False, ["default deny"], [], engine.revision, decision_id)
    return DecisionLogEntry(
        decision=decision,
        input_document=document,
        entry_point="in-process",
        latency_seconds=0.001,
        engine=engine,
        requested_by="test",
        extra={"raw": 2**70},  # details outside the masked input are not canonicalizable either
    )


def test_the_worker_survives_a_refused_event_and_records_a_substitute(api: Api) -> None:
    logger = api.room.logger
    before = logger.substituted
    assert logger.submit(bad_entry(api, "bad-decision-1"))
    after = api.post("/v1/authorize", GOOD)  # a decision behind the bad one
    assert after.status_code == 200, after.text
    assert logger.flush()
    assert logger._thread is not None
    assert logger._thread.is_alive()

    events = api.decision_events()  # read back from the durable audit log
    by_id = {event.details.get("decision_id"): event for event in events}
    substitute = by_id["bad-decision-1"]
    assert substitute.details["input_unrepresentable"] == UNREPRESENTABLE_INPUT
    assert substitute.details["input"] == {}
    assert "raw" not in substitute.details
    assert substitute.details["allow"] is False
    assert substitute.details["action"] == "read"
    assert substitute.details["policy_revision"] == api.room.bundles.current().revision
    assert substitute.actor.id == api.audit.hash_value("svc:bad")
    assert after.json()["decision_id"] in by_id  # the worker kept logging
    assert logger.substituted == before + 1
    metrics = api.client.get("/metrics").text
    assert "trustplane_policy_decision_log_substituted_total" in metrics


def test_a_refused_event_in_a_batch_keeps_the_others(api: Api) -> None:
    logger = api.room.logger
    before = logger.substituted
    assert logger.submit(bad_entry(api, "bad-decision-2"))
    decided = [api.post("/v1/authorize", GOOD).json()["decision_id"] for _ in range(3)]
    assert logger.submit(bad_entry(api, "bad-decision-3", subject_id="svc:\ud800"))
    assert logger.flush()
    ids = [event.details.get("decision_id") for event in api.decision_events()]
    for decision_id in [*decided, "bad-decision-2", "bad-decision-3"]:
        assert ids.count(decision_id) == 1  # each exactly once: nothing lost, nothing doubled
    bare = next(e for e in api.decision_events() if e.details["decision_id"] == "bad-decision-3")
    # the lone surrogate spelled out, then keyed-HMAC'd like every id (ADR 0211)
    assert bare.actor.id == api.audit.hash_value("'svc:\\ud800'")
    assert logger.substituted == before + 2


def test_a_nul_in_the_subject_id_is_decided_and_logged(api: Api) -> None:
    """The audit log refuses NUL in its indexed columns: the subject id is stored as its
    keyed HMAC (ADR 0211), so the decision is logged as it is, no substitute needed."""
    logger = api.room.logger
    before = logger.substituted
    request = {**GOOD, "subject": {**SUBJECT, "id": "svc:\x00x"}}
    decided = api.post("/v1/authorize", request)
    assert decided.status_code == 200, decided.text
    following = api.post("/v1/authorize", GOOD).json()["decision_id"]
    events = {e.details["decision_id"]: e for e in api.decision_events()}
    assert events[decided.json()["decision_id"]].actor.id == api.audit.hash_value("svc:\x00x")
    assert following in events
    assert logger.substituted == before

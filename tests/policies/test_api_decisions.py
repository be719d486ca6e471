"""Every ACCESS-MODEL rule, both sides, through /v1/authorize, AuthZEN and the OPA Data API.

The real app: real identity, a real client-credentials token, the engine route gate.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from audit import Outcome
from tests.policies.corpus import CASES, Case
from tests.policies.harness import Api, running_api, settings_for
from tests.privacy.live_dsr import CORPUS_DSR, CORPUS_OWNER, citing, open_dsr

LIVE_DSR: dict[str, str] = {}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(settings_for(tmp_path_factory.mktemp("api"))) as harness:
        LIVE_DSR[CORPUS_DSR] = open_dsr(harness.container.privacy, CORPUS_OWNER)
        yield harness


def live(case: Case) -> dict[str, Any]:
    """The case's request, citing the module's real DSR where the corpus cites one."""
    return dict(citing(case.request, LIVE_DSR[CORPUS_DSR]))


def to_authzen(request: dict[str, Any]) -> dict[str, Any]:
    subject, resource = request["subject"], dict(request["resource"])
    resource_type, resource_id = resource.pop("type"), resource.pop("id", None)
    mapped_resource: dict[str, Any] = {"type": resource_type, "properties": resource}
    if resource_id is not None:
        mapped_resource["id"] = resource_id
    return {
        "subject": {
            "type": subject["type"],
            "id": subject["id"],
            "properties": {"roles": subject["roles"], "attributes": subject["attributes"]},
        },
        "action": {"name": request["action"]["name"]},
        "resource": mapped_resource,
        "context": request.get("context", {}),
    }


def check(case: Case, allow: bool, reasons: list[str], obligations: list[dict[str, Any]]) -> None:
    assert allow is case.allow, (case.name, reasons)
    if not allow:
        assert reasons
    if case.reason:
        assert any(case.reason in reason for reason in reasons), reasons
    if case.obligation:
        assert case.obligation in obligations, obligations


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_authorize(api: Api, case: Case) -> None:
    response = api.post("/v1/authorize", live(case))
    assert response.status_code == 200, response.text
    body = response.json()
    check(case, body["allow"], body["reasons"], body["obligations"])
    assert body["policy_revision"] == api.room.bundles.active_revision
    assert len(body["decision_id"]) == 26  # a ULID


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_authzen_evaluation(api: Api, case: Case) -> None:
    response = api.post("/access/v1/evaluation", to_authzen(live(case)))
    assert response.status_code == 200, response.text
    body = response.json()
    context = body["context"]
    check(case, body["decision"], context["reasons"], context["obligations"])
    assert context["policy_revision"] == api.room.bundles.active_revision


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_opa_data_api(api: Api, case: Case) -> None:
    response = api.post("/v1/data/finsolve/authz/decision", {"input": live(case)})
    assert response.status_code == 200, response.text
    body = response.json()
    result = body["result"]
    check(case, result["allow"], result["reasons"], result["obligations"])
    assert body["decision_id"]
    allow_only = api.post("/v1/data/finsolve/authz/allow", {"input": live(case)}).json()
    assert allow_only["result"] is case.allow


def test_batch_of_1000_in_order_with_per_item_errors(api: Api) -> None:
    items: list[Any] = [live(CASES[i % len(CASES)]) for i in range(1000)]
    items[3] = {"subject": {"id": "x"}}  # malformed: no type, no action, no resource
    items[500] = "not an object"
    response = api.post("/v1/authorize/batch", {"requests": items})
    assert response.status_code == 200, response.text
    decisions = response.json()["decisions"]
    assert len(decisions) == 1000
    assert decisions[3]["error"]["status"] == 422
    assert decisions[500]["error"]["detail"]
    for index, answer in enumerate(decisions):
        if index in (3, 500):
            continue
        assert answer["allow"] is CASES[index % len(CASES)].allow, index
    too_many = api.post("/v1/authorize/batch", {"requests": [*items, items[0]]})
    assert too_many.status_code == 422
    assert too_many.headers["content-type"].startswith("application/problem+json")


def test_authzen_evaluations_semantics(api: Api) -> None:
    allow_case = next(c for c in CASES if c.allow)
    deny_case = next(c for c in CASES if not c.allow)
    allow, deny = to_authzen(allow_case.request), to_authzen(deny_case.request)
    items = [allow, deny, allow]

    def run(semantic: str | None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"evaluations": items}
        if semantic:
            body["options"] = {"evaluations_semantic": semantic}
        response = api.post("/access/v1/evaluations", body)
        assert response.status_code == 200, response.text
        return list(response.json()["evaluations"])

    assert [e["decision"] for e in run(None)] == [True, False, True]
    assert [e["decision"] for e in run("execute_all")] == [True, False, True]
    assert [e["decision"] for e in run("deny_on_first_deny")] == [True, False]
    assert [e["decision"] for e in run("permit_on_first_permit")] == [True]
    # top-level defaults, overridden per item; a malformed item is its own error entry
    body = {
        "subject": allow["subject"],
        "action": allow["action"],
        "context": allow["context"],
        "evaluations": [{"resource": allow["resource"]}, {"resource": "nope"}],
    }
    answers = api.post("/access/v1/evaluations", body).json()["evaluations"]
    assert answers[0]["decision"] is True
    assert answers[1]["decision"] is False
    assert answers[1]["context"]["error"]["status"] == 400
    bad = api.post(
        "/access/v1/evaluations", {"evaluations": [allow], "options": {"evaluations_semantic": "x"}}
    )
    assert bad.status_code in (400, 422)


def test_data_api_undefined_and_bad_path(api: Api) -> None:
    undefined = api.post("/v1/data/finsolve/authz/no_such_rule", {"input": {}})
    assert undefined.status_code == 200
    assert "result" not in undefined.json()
    assert undefined.json()["decision_id"]
    bad = api.post("/v1/data/finsolve/au$thz", {"input": {}})
    assert bad.status_code in (400, 422)
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_every_entry_point_logs_masked_decisions(api: Api) -> None:
    request = next(c for c in CASES if c.name == "r3_support_reads_with_ticket_masked").request
    request = {
        **request,
        "context": {**request["context"], "ip": "10.1.1.1", "justification": "secret-ish"},
    }
    before = len(api.decision_events())
    ids = [
        api.post("/v1/authorize", request).json()["decision_id"],
        api.post("/v1/authorize/batch", {"requests": [request]}).json()["decisions"][0][
            "decision_id"
        ],
        api.post("/access/v1/evaluation", to_authzen(request)).json()["context"]["decision_id"],
        api.post("/v1/data/finsolve/authz/decision", {"input": request}).json()["decision_id"],
    ]
    events = api.decision_events()[before:]
    by_id = {event.details["decision_id"]: event for event in events}
    for decision_id in ids:
        event = by_id[decision_id]
        masked = event.details["input"]
        assert "ip" not in masked.get("context", {})
        assert "justification" not in masked.get("context", {})
        assert event.details["policy_revision"] == api.room.bundles.active_revision
        assert event.actor.id == api.audit.hash_value(request["subject"]["id"])
        assert event.outcome in (Outcome.SUCCESS, Outcome.FAILURE)
    entry_points = {by_id[i].details["entry_point"] for i in ids}
    assert entry_points == {"authorize", "authorize-batch", "authzen", "opa-data"}
    # the route gate's allows on the decision endpoints are not logged one by one: each
    # call's own decision event names the caller (ADR 0209)
    assert not any(e.details["entry_point"] == "route-gate" for e in events)
    assert {by_id[i].origin.service for i in ids} == {
        api.identity.authenticate_bearer(api.service_token).id
    }


def test_callers_without_permission_get_problem_403(api: Api) -> None:
    request = CASES[0].request
    for token in ("as-auditor", "as-dpo"):
        response = api.post("/v1/authorize", request, token=token)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.post("/v1/authorize", request, token="as-security").status_code == 200
    assert api.client.post("/v1/authorize", json=request).status_code == 401


def test_in_process_check_api(api: Api) -> None:
    case = next(c for c in CASES if c.obligation)
    request = case.request
    decision = api.room.decisions.check(
        request["subject"], request["action"]["name"], request["resource"], request["context"]
    )
    assert decision.allow is True
    assert case.obligation in decision.obligations
    assert decision.policy_revision == api.room.bundles.active_revision
    events = api.decision_events()
    assert events[-1].details["entry_point"] == "in-process"


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "u-1", "action": {"name": "read"}, "resource": {"type": "t"}},
        {
            "subject": {"type": "user", "id": "u"},
            "action": {"name": "read"},
            "resource": {"type": "t"},
            "context": [],
        },
        {
            "subject": {"type": "user", "id": "u", "properties": []},
            "action": {"name": "read"},
            "resource": {"type": "t"},
        },
        {
            "subject": {"type": "user", "id": "u", "properties": {"attributes": 3}},
            "action": {"name": "read"},
            "resource": {"type": "t"},
        },
        {"subject": {"type": "user", "id": "u"}, "resource": {"type": "t"}},
    ],
)
def test_authzen_malformed_evaluation_is_a_problem(api: Api, body: dict[str, Any]) -> None:
    before = len(api.decision_events())
    response = api.post("/access/v1/evaluation", body)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    # nothing was decided: only the route gate's own decision was logged
    events = api.decision_events()[before:]
    assert {event.details["entry_point"] for event in events} <= {"route-gate"}


def test_authzen_evaluations_bad_shapes(api: Api) -> None:
    allow = to_authzen(next(c for c in CASES if c.allow).request)
    single = api.post("/access/v1/evaluations", allow)  # no array: one evaluation
    assert single.status_code == 200
    assert single.json()["decision"] is True
    not_array = api.post("/access/v1/evaluations", {"evaluations": {"a": 1}})
    assert not_array.status_code in (400, 422)
    too_many = api.post("/access/v1/evaluations", {"evaluations": [allow] * 1001})
    assert too_many.status_code in (400, 422)
    item = api.post("/access/v1/evaluations", {**allow, "evaluations": ["x"]})
    assert item.json()["evaluations"][0]["context"]["error"]["status"] == 400

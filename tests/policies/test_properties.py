"""Hypothesis: random well-formed requests never crash the engine, and removing an attribute
never turns a deny into an allow (except where ACCESS-MODEL.md makes absence an exemption)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import DecisionService, RegorusEngine, StaticEngineSource, load_bundle_dir
from tests.policies.corpus import CASES

# a generous timeout: only engine errors may fail these decisions, not a loaded machine
SERVICE = DecisionService(
    StaticEngineSource(RegorusEngine(load_bundle_dir())), None, timeout_seconds=10
)

# Absence that ACCESS-MODEL.md itself defines as "rule does not apply":
#   rule 13: "Resources without a residency are not subject to this rule."
#   rule 14: "If context.consents is given and does not contain the context.purpose for a
#            purpose that needs consent ... deny": without consents, or without a purpose,
#            there is nothing to withdraw (rule 5 still demands analytics consent itself).
EXEMPT_WHEN_ABSENT = {("resource", "residency"), ("context", "consents"), ("context", "purpose")}

ROLES = [
    "customer",
    "support_agent",
    "engineer",
    "security_analyst",
    "dpo",
    "auditor",
    "admin",
    "svc:auth",
    "svc:payments",
    "svc:wealth",
    "svc:analytics",
    "svc:notification",
    "nobody",
]
ACTIONS = ["read", "update", "delete", "export", "erase", "admin:rotate_keys", "write"]
TYPES = [
    "customer_profile",
    "payment_credential",
    "auth_token",
    "portfolio",
    "payment",
    "transaction",
    "evidence",
    "report",
    "audit_log",
    "control",
    "key",
    "card",
]
PURPOSES = [
    "support",
    "analytics",
    "marketing",
    "notification",
    "payment_processing",
    "authentication",
    "legal",
    "fraud_prevention",
]
TIMES = ["2099-01-01T00:00:00Z", "2020-01-01T00:00:00Z", "not a time"]
IDS = st.sampled_from(["c-9", "c-1", "u-7", "svc:payments"])
FIELDS = st.lists(
    st.sampled_from(["name", "email", "phone", "pan", "account_number", "cvv"]), max_size=4
)
JUNK = st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=5), st.booleans())


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    roles = draw(st.lists(st.sampled_from(ROLES), min_size=0, max_size=3))
    attributes = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "mfa_age_seconds": st.one_of(st.integers(0, 5000), JUNK),
                "engagement_expires_at": st.one_of(st.sampled_from(TIMES), JUNK),
                "clearance": st.integers(0, 5),
                "region": st.sampled_from(["IN", "SG"]),
            },
        )
    )
    resource = {"type": draw(st.sampled_from(TYPES))} | draw(
        st.fixed_dictionaries(
            {},
            optional={
                "id": IDS,
                "owner_id": IDS,
                "classification": st.one_of(st.integers(0, 5), JUNK),
                "region": st.sampled_from(["ap-south-1", "ap-south-2", "eu-west-1", "mars-1"]),
                "residency": st.sampled_from(["IN", "EU"]),
                "fields": FIELDS,
            },
        )
    )
    context = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "ip": st.one_of(st.sampled_from(["10.0.4.7", "192.168.1.1", "::1", "bad"]), JUNK),
                "purpose": st.sampled_from(PURPOSES),
                "ticket_customer_id": IDS,
                "dsr_id": st.one_of(st.none(), st.just("dsr-1")),
                "justification": st.one_of(st.none(), st.just(""), st.just("incident 42")),
                "incident_id": st.one_of(st.none(), st.just("inc-1")),
                "consents": st.lists(st.sampled_from(PURPOSES), max_size=3),
            },
        )
    )
    return {
        "subject": {
            "id": draw(IDS),
            "type": draw(st.sampled_from(["user", "service"])),
            "roles": roles,
            "attributes": attributes,
        },
        "action": {"name": draw(st.sampled_from(ACTIONS))},
        "resource": resource,
        "context": context,
    }


def removable(request: dict[str, Any]) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = [
        ("subject", "attributes", k) for k in request["subject"]["attributes"]
    ]
    paths += [("resource", k) for k in request["resource"] if k != "type"]
    paths += [("context", k) for k in request["context"]]
    return [p for p in paths if (p[0], p[-1]) not in EXEMPT_WHEN_ABSENT]


def without(request: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    reduced = copy.deepcopy(request)
    node = reduced
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return reduced


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_random_requests_never_crash(request: dict[str, Any]) -> None:
    decision = SERVICE.decide_raw(request)
    assert not decision.failed, decision.reasons
    assert decision.allow or decision.reasons
    for query in ("data.trustplane.authz.decision",):
        assert not SERVICE.decide(request, query=query).failed


# Random requests are mostly denies for trivial reasons; the corpus's denies (one per rule,
# each one attribute away from an allow) make the property bite.
CORPUS_DENIES = [case.request for case in CASES if not case.allow]
DENIES = st.one_of(st.sampled_from(CORPUS_DENIES), requests())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DENIES, st.data())
def test_removing_an_attribute_never_turns_deny_into_allow(
    request: dict[str, Any], data: st.DataObject
) -> None:
    if SERVICE.decide(request).allow:
        return
    paths = removable(request)
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    reduced = SERVICE.decide(without(request, path))
    assert not reduced.allow, (path, reduced.obligations)

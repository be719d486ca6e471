"""AuthZEN Authorization API 1.0 ↔ the ACCESS-MODEL request shape.

AuthZEN entities carry ``type``, ``id`` and free ``properties``. Mapping:
``subject.properties.roles`` → ``subject.roles``; ``subject.properties.attributes`` and every
other subject property → ``subject.attributes``; resource properties are flattened onto
the resource (``classification``, ``owner_id``, ``residency`` ...); ``action.name`` as is;
``context`` as is. The decision goes back as ``decision`` with reasons, obligations,
revision and decision id in the response ``context``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policies.errors import InvalidRequestError
from policies.models import Decision

PARTS = ("subject", "action", "resource", "context")
SEMANTICS = frozenset({"execute_all", "deny_on_first_deny", "permit_on_first_permit"})


def _entity(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidRequestError(f"{what} must be an object")
    return raw


def _properties(entity: dict[str, Any], what: str) -> dict[str, Any]:
    props = entity.get("properties", {})
    if not isinstance(props, dict):
        raise InvalidRequestError(f"{what}.properties must be an object")
    return dict(props)


def to_access_request(evaluation: dict[str, Any]) -> dict[str, Any]:
    """One AuthZEN evaluation → the request shape of ACCESS-MODEL.md (unvalidated)."""
    subject = _entity(evaluation.get("subject"), "subject")
    resource = _entity(evaluation.get("resource"), "resource")
    action = _entity(evaluation.get("action"), "action")
    context = evaluation.get("context", {})
    if not isinstance(context, dict):
        raise InvalidRequestError("context must be an object")
    subject_props = _properties(subject, "subject")
    roles = subject_props.pop("roles", [])
    attributes = subject_props.pop("attributes", {})
    if not isinstance(attributes, dict):
        raise InvalidRequestError("subject.properties.attributes must be an object")
    resource_props = _properties(resource, "resource")
    mapped_resource = {**resource_props, "type": resource.get("type"), "id": resource.get("id")}
    if mapped_resource["id"] is None:
        del mapped_resource["id"]
    return {
        "subject": {
            "id": subject.get("id"),
            "type": subject.get("type"),
            "roles": roles,
            "attributes": {**subject_props, **attributes},
        },
        "action": {"name": action.get("name")},
        "resource": mapped_resource,
        "context": context,
    }


def to_authzen_response(decision: Decision) -> dict[str, Any]:
    return {
        "decision": decision.allow,
        "context": {
            "id": decision.decision_id,
            "decision_id": decision.decision_id,
            "policy_revision": decision.policy_revision,
            "reasons": list(decision.reasons),
            "obligations": list(decision.obligations),
        },
    }


def _error_response(message: str) -> dict[str, Any]:
    return {"decision": False, "context": {"error": {"status": 400, "message": message}}}


def _merge(defaults: dict[str, Any], item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InvalidRequestError("each evaluation must be an object")
    merged: dict[str, Any] = {key: defaults[key] for key in PARTS if key in defaults}
    merged.update({key: value for key, value in item.items() if key in PARTS})
    return merged


def evaluate_many(
    body: dict[str, Any],
    decide: Callable[[dict[str, Any]], Decision],
    *,
    max_items: int,
) -> dict[str, Any]:
    """``POST /access/v1/evaluations`` with ``options.evaluations_semantic``.

    Top-level subject/action/resource/context are defaults each evaluation may override.
    ``deny_on_first_deny`` / ``permit_on_first_permit`` stop after the first such decision.
    Without an ``evaluations`` array the body is one evaluation.
    """
    items = body.get("evaluations")
    if items is None or items == []:
        return decide_one(body, decide)
    if not isinstance(items, list):
        raise InvalidRequestError("evaluations must be an array")
    if len(items) > max_items:
        raise InvalidRequestError(f"at most {max_items} evaluations per request")
    options = body.get("options", {})
    semantic = (
        options.get("evaluations_semantic", "execute_all") if isinstance(options, dict) else None
    )
    if semantic not in SEMANTICS:
        raise InvalidRequestError(f"evaluations_semantic must be one of {sorted(SEMANTICS)}")
    results: list[dict[str, Any]] = []
    for item in items:
        try:
            response = decide_one(_merge(body, item), decide)
        except InvalidRequestError as exc:
            response = _error_response(str(exc))
        results.append(response)
        if semantic == "deny_on_first_deny" and response["decision"] is False:
            break
        if semantic == "permit_on_first_permit" and response["decision"] is True:
            break
    return {"evaluations": results}


def decide_one(
    evaluation: dict[str, Any], decide: Callable[[dict[str, Any]], Decision]
) -> dict[str, Any]:
    return to_authzen_response(decide(to_access_request(evaluation)))

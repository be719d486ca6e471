"""A trustplane decision request spelled as an AuthZEN evaluation body (roles only)."""

from __future__ import annotations

from typing import Any


def authzen_body(request: dict[str, Any]) -> dict[str, Any]:
    """``subject.roles`` become properties; the resource's fields other than type and id
    become its properties; action and context pass through."""
    resource = dict(request["resource"])
    kind, resource_id = resource.pop("type"), resource.pop("id")
    subject = request["subject"]
    return {
        "subject": {
            "type": subject["type"],
            "id": subject["id"],
            "properties": {"roles": subject["roles"]},
        },
        "action": request["action"],
        "resource": {"type": kind, "id": resource_id, "properties": resource},
        "context": request["context"],
    }

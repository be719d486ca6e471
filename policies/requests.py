"""The one builder of an access request: the four parts of ACCESS-MODEL.md.

Every caller that asks the decision point (the route gate, field decrypts, the client SDK,
the in-process ``DecisionService.check``) builds its input here, so the shape is defined once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def access_request(
    subject: Mapping[str, Any],
    action: str | Mapping[str, Any],
    resource: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``{"subject", "action": {"name"}, "resource", "context"}``; ``action`` a name or a dict."""
    return {
        "subject": dict(subject),
        "action": {"name": action} if isinstance(action, str) else dict(action),
        "resource": dict(resource),
        "context": dict(context or {}),
    }

"""FastAPI adapter of the client SDK (``policies.client.Guard``) for domain services.

Rooms do not import FastAPI (DESIGN.md), so the dependency lives here, in the HTTP face
(ADR 0204)::

    guard = Guard("https://trustplane.internal", client_id, client_secret)
    authz = GuardDependencies(guard, subject=current_user)

    Reader = Annotated[Decision, Depends(authz.require("read", "customer_profile"))]

    @app.get("/profiles/{id}")
    def read(id: str, decision: Reader): ...  # decision.obligations say what to mask

The dependency builds ``{subject, action, resource, context}`` from the request (subject
from the service's own resolver, resource ``{"type", "id"}`` plus an optional resolver,
context ``{"ip", ...}``), asks the guard, and answers a deny with 403 problem+json.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import HTTPException, Request

from policies import Decision
from policies.client import Guard

Resolver = Callable[[Request], Mapping[str, Any]]


class GuardDependencies:
    def __init__(
        self,
        guard: Guard,
        *,
        subject: Resolver,
        resource: Resolver | None = None,
        context: Resolver | None = None,
        id_param: str = "id",
    ) -> None:
        self._guard = guard
        self._subject, self._resource, self._context = subject, resource, context
        self._id_param = id_param

    def require(self, action: str, resource_type: str) -> Callable[[Request], Decision]:
        """A dependency that returns the allow decision (with obligations) or raises 403."""

        def dependency(request: Request) -> Decision:
            resource: dict[str, Any] = {"type": resource_type}
            resource_id = request.path_params.get(self._id_param)
            if resource_id is not None:
                resource["id"] = str(resource_id)
            if self._resource is not None:
                resource.update(self._resource(request))
            context: dict[str, Any] = {"ip": request.client.host if request.client else None}
            if self._context is not None:
                context.update(self._context(request))
            decision = self._guard.authorize(self._subject(request), action, resource, context)
            if not decision.allow:
                raise HTTPException(
                    status_code=403,
                    detail={"title": "Forbidden", "reasons": list(decision.reasons)},
                )
            return decision

        dependency.__name__ = f"guard_{action}_{resource_type}"
        return dependency

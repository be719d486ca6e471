"""OpenAPI document: every operation documents its problem+json answers (RFC 9457)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from web.deps import PERMISSION_ATTRIBUTE

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
    },
    "additionalProperties": True,
}

COMMON_PROBLEMS = {
    "401": "Not authenticated",
    "403": "Not allowed",
    "404": "Not found",
    "405": "Method not allowed",
    "413": "Request body too large",
    "422": "Request validation failed",
    "429": "Too many requests",
    "500": "Internal error",
    "503": "A dependency (audit log, database) is unavailable",
}
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/.well-known/jwks.json"})


def _problem_content() -> dict[str, Any]:
    return {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _permissions(dependant: Dependant) -> list[str]:
    found = [getattr(dependant.call, PERMISSION_ATTRIBUTE, None)]
    for sub in dependant.dependencies:
        found.extend(_permissions(sub))
    return sorted({p for p in found if isinstance(p, str)})


def route_permissions(app: FastAPI) -> dict[tuple[str, str], list[str]]:
    """(method, path) -> the permissions its ``require(...)`` dependencies ask for."""
    table: dict[tuple[str, str], list[str]] = {}
    for context in iter_route_contexts(app.routes):  # routes of included routers too
        route = context.original_route
        if isinstance(route, APIRoute) and context.path_format:
            for method in route.methods or ():
                table[(method.lower(), context.path_format)] = _permissions(route.dependant)
    return table


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    schema["components"].setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    permissions = route_permissions(app)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            required = permissions.get((method, path))
            if required:  # the access model's permission names (docs/access-model.md)
                operation["x-permissions"] = required
            responses = operation.setdefault("responses", {})
            for status, description in COMMON_PROBLEMS.items():
                if path in PUBLIC_PATHS and status in {"401", "403", "422"}:
                    continue
                responses[status] = {"description": description, "content": _problem_content()}
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response["content"] = _problem_content()
            if path not in PUBLIC_PATHS and not path.startswith(("/oauth", "/auth/login")):
                operation.setdefault("security", [{"bearer": []}])
    app.openapi_schema = schema
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        return build_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]

"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from web.deps import MetricsDep, ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: database reachable, keys and policy bundle loaded",
    responses={503: {"description": "Not ready"}},
)
def readyz(request: Request, services: ServicesDep) -> Any:
    checks: dict[str, str] = {}
    ready = True
    for name, check in services.readiness_checks():
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # a failed check means "not ready", whatever it raised
            checks[name] = f"failed: {type(exc).__name__}"
            ready = False
    if ready:
        return {"status": "ready", "checks": checks}
    body = {
        "type": "https://trustplane.finsolve.example/problems/not-ready",
        "title": "Not ready",
        "status": 503,
        "detail": "one or more readiness checks failed",
        "instance": request.url.path,
        "checks": checks,
    }
    return JSONResponse(body, status_code=503, media_type="application/problem+json")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(metrics: MetricsDep) -> Response:
    return Response(
        metrics.render(),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )

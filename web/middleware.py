"""One pure-ASGI middleware: request id, security headers, body-size limit, metrics, one
canonical log line (a request that ended in an unhandled error included)."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.metrics import Metrics

REQUEST_ID_HEADER = "x-request-id"
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# On every answer unless the handler chose its own (e.g. the JWKS is cacheable): nothing an
# API answers (decrypted values, tokens, credentials, evidence) belongs in a shared cache.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)

log = structlog.get_logger("trustplane.http")


def with_response_headers(
    headers: list[tuple[bytes, bytes]], request_id: str
) -> list[tuple[bytes, bytes]]:
    """``headers`` plus the request id and the security headers the app did not set."""
    present = {name.lower() for name, _ in headers}
    added = [(b"x-request-id", request_id.encode())] if b"x-request-id" not in present else []
    added += [(name, value) for name, value in SECURITY_HEADERS if name not in present]
    return headers + added


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        state = {"status": 500, "started": False, "rejected": False}

        async def send_with_id(message: Message) -> None:
            if state["rejected"]:
                return  # the 413 already went out; drop whatever the app answers
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                message["headers"] = with_response_headers(
                    list(message.get("headers", [])), request_id
                )
            await send(message)

        async def reject() -> None:
            if not state["started"]:
                await _too_large(scope, send_with_id, request_id, self.max_body_bytes)
            state["rejected"] = True

        declared = _content_length(scope)
        try:
            if declared is not None and declared > self.max_body_bytes:
                await reject()
            else:
                await self.app(scope, self._limited(receive, reject), send_with_id)
        finally:  # an unhandled error is logged and counted as the 500 it becomes
            self._finish(scope, int(state["status"]), time.perf_counter() - started)

    def _limited(self, receive: Receive, reject: Callable[[], Awaitable[None]]) -> Receive:
        seen = 0
        limit = self.max_body_bytes

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    await reject()
                    return {"type": "http.disconnect"}
            return message

        return limited_receive

    def _finish(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "<unmatched>"
        method = scope.get("method", "")
        self.metrics.observe(method, template, status, seconds)
        log.info(
            "request",
            method=method,
            route=template,
            status=status,
            duration_ms=round(seconds * 1000, 3),
        )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if VALID_REQUEST_ID.match(candidate):
                return str(candidate)
            break
    return str(uuid.uuid4())


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(scope: Scope, send: Send, request_id: str, limit: int) -> None:
    body: dict[str, Any] = {
        "type": "https://trustplane.finsolve.example/problems/payload-too-large",
        "title": "Request body too large",
        "status": 413,
        "detail": f"request body exceeds {limit} bytes",
        "instance": scope.get("path", ""),
        "request_id": request_id,
    }
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})

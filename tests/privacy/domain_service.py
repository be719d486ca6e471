"""A small domain service (FastAPI) the ``http`` connector talks to in the tests.

It holds loyalty records by email, verifies every webhook with ``privacy.webhook`` and
answers export / erase / correct. ``fail`` makes it answer 503 (a system failing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from privacy.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookSignatureError,
    WebhookVerifier,
)


@dataclass
class LoyaltyState:
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)
    raw: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    consent_events: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0


def loyalty_app(secret: bytes, state: LoyaltyState) -> FastAPI:
    verifier = WebhookVerifier(secret)
    app = FastAPI()

    @app.get("/readyz")
    def ready() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/consent")
    async def consent(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            verifier.verify(
                request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER), body
            )
        except WebhookSignatureError as exc:
            state.refused += 1
            return JSONResponse({"error": str(exc)}, status_code=401)
        state.consent_events.append(json.loads(body))
        return JSONResponse({"ok": True})

    @app.post("/dsr")
    async def dsr(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            verifier.verify(
                request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER), body
            )
        except WebhookSignatureError as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)
        state.raw.append((dict(request.headers), body))
        if state.fail:
            return JSONResponse({"error": "maintenance"}, status_code=503)
        call = json.loads(body)
        state.calls.append(call)
        email = call["principal"]["value"]
        record = state.records.get(email)
        if call["action"] == "export":
            return JSONResponse({"tables": {"loyalty": [record] if record else []}})
        if call["action"] == "erase":
            rows = 1 if state.records.pop(email, None) else 0
            return JSONResponse(
                {
                    "erased": [
                        {"table": "loyalty", "field": "points", "action": "delete", "rows": rows}
                    ]
                }
            )
        changes = call["changes"].get("loyalty", {})
        if record:
            record.update(changes)
        return JSONResponse({"rows": 1 if record else 0})

    return app

"""The keys page: inventory with version and rotation age against the cryptoperiod, rotate
(for the roles the decision point lets manage keys), and the shred log from the audit log."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from audit import AuditLog, EventFilter, EventType
from identity import actor_of
from web.console.rendering import render
from web.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)

KEY_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LOG_SIZE = 50


def key_operations(log: AuditLog) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The newest key operations, and among them the shreds (newest first)."""
    events: list[dict[str, object]] = []
    after = -1
    while True:  # oldest first in pages; keep the newest LOG_SIZE
        page = log.events(EventFilter(type=EventType.KEY_OPERATION.value), after=after, limit=1000)
        events.extend({"index": e.seq, **e.document} for e in page.events)
        events = events[-LOG_SIZE * 4 :]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    events.reverse()
    shreds = [e for e in events if str(_details(e).get("operation", "")).startswith("shred")]
    return events[:LOG_SIZE], shreds[:LOG_SIZE]


def _details(event: dict[str, object]) -> dict[str, object]:
    details = event.get("details")
    return details if isinstance(details, dict) else {}


@router.get("/console/keys")
async def keys_page(console: ConsoleDep, rotated: str | None = None) -> HTMLResponse:
    await console.require("evidence:read", "key")
    inventory = await run_in_threadpool(console.services.vault.keys.inventory)
    operations, shreds = await run_in_threadpool(key_operations, console.services.audit)
    return await render(
        console,
        "keys.html",
        inventory=inventory,
        cryptoperiod_days=console.services.key_cryptoperiod_days,
        operations=operations,
        shreds=shreds,
        can_rotate=await console.holds("admin:manage", "key"),
        rotated=rotated if rotated and KEY_NAME.match(rotated) else None,
    )


@router.post("/console/keys/rotate")
async def rotate(console: ConsoleDep) -> Response:
    await console.require("admin:manage", "key")
    form = await console.form()
    name = form.get("name")
    keys = console.services.vault.keys
    known = {entry.info.name for entry in await run_in_threadpool(keys.inventory)}
    if not isinstance(name, str) or name not in known:
        return await render(
            console, "message.html", 404, title="Rotation refused", message="No such key."
        )
    await run_in_threadpool(lambda: keys.rotate(name, actor=actor_of(console.caller)))
    return RedirectResponse(f"/console/keys?rotated={name}", status_code=303)

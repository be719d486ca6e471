"""The audit log page: search by event type, actor and time; the latest signed checkpoint;
"verify now" with its result and first bad index. Each search is itself audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from audit import AuditEventIn, AuditLog, EventFilter, EventType, Origin, Target
from identity import actor_of
from web.console.rendering import render
from web.console.session import Console, ConsoleDep
from web.deps import client_ip

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
HASH_SCAN = 5_000  # newest events searched for a value's HMAC
MAX_VALUE = 512
PLAIN = re.compile(r"^[^\x00-\x1f\x7f]*$")


def _moment(text: str | None) -> datetime | None:
    """A date (YYYY-MM-DD) or a date-time from the form; None when empty or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _search(
    log: AuditLog, where: EventFilter, console: Console, request: Request
) -> list[dict[str, object]]:
    page = log.events(where, after=-1, limit=PAGE_SIZE)
    log.record(
        AuditEventIn(
            type=EventType.AUDIT_READ,
            actor=actor_of(console.caller),
            origin=Origin(
                ip=client_ip(request), request_id=getattr(request.state, "request_id", None)
            ),
            target=Target(type="audit_log"),
            details={"action": "console.search", "count": len(page.events)},
        )
    )
    return [{"index": event.seq, "event": event.document} for event in page.events]


def _search_hash(
    log: AuditLog, digest: str, console: Console, request: Request
) -> list[dict[str, object]]:
    """Events among the newest HASH_SCAN whose bytes carry ``digest`` (the value's HMAC, as
    the log's redaction wrote it); the read is audited without the value."""
    needle = digest.encode()
    found: list[dict[str, object]] = []
    after = max(-1, log.tree_size() - HASH_SCAN - 1)
    while len(found) < PAGE_SIZE:
        page = log.events(EventFilter(), after=after, limit=1000)
        found.extend(
            {"index": e.seq, "event": e.document} for e in page.events if needle in e.canonical
        )
        if page.next_cursor is None:
            break
        after = page.next_cursor
    log.record(
        AuditEventIn(
            type=EventType.AUDIT_READ,
            actor=actor_of(console.caller),
            origin=Origin(
                ip=client_ip(request), request_id=getattr(request.state, "request_id", None)
            ),
            target=Target(type="audit_log"),
            details={"action": "console.search_hash", "count": len(found)},
        )
    )
    return found[:PAGE_SIZE]


async def _audit_page(
    console: ConsoleDep,
    where: EventFilter,
    form: dict[str, str],
    verification: object = None,
    digest: str | None = None,
) -> HTMLResponse:
    log = console.services.audit
    if digest is None:
        events = await run_in_threadpool(_search, log, where, console, console.request)
    else:
        events = await run_in_threadpool(_search_hash, log, digest, console, console.request)
    checkpoint = await run_in_threadpool(log.latest_checkpoint)
    return await render(
        console,
        "audit.html",
        events=events,
        checkpoint=checkpoint,
        event_types=sorted(t.value for t in EventType),
        form=form,
        verification=verification,
        can_verify=await console.holds("audit:checkpoint", "audit_log"),
        can_hash=await console.holds("audit:hash", "audit_log"),
        digest=digest,
        hash_scan=HASH_SCAN,
    )


@router.get("/console/audit")
async def audit_page(
    console: ConsoleDep,
    type: Annotated[str, Query(max_length=64)] = "",
    actor: Annotated[str, Query(max_length=255)] = "",
    since: Annotated[str, Query(max_length=40)] = "",
    until: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    await console.require("audit:read", "audit_log")
    known_types = {t.value for t in EventType}
    where = EventFilter(
        type=type if type in known_types else None,
        actor_id=actor if actor and PLAIN.match(actor) else None,
        since=_moment(since),
        until=_moment(until),
    )
    form = {"type": type, "actor": actor, "since": since, "until": until}
    return await _audit_page(console, where, form)


@router.post("/console/audit/verify")
async def verify_now(console: ConsoleDep) -> HTMLResponse:
    await console.require("audit:checkpoint", "audit_log")
    await console.form()
    log = console.services.audit
    report = await run_in_threadpool(lambda: log.verify(workers=1))
    form = {"type": "", "actor": "", "since": "", "until": ""}
    return await _audit_page(console, EventFilter(), form, verification=report)


@router.post("/console/audit/hash")
async def search_by_value(console: ConsoleDep) -> HTMLResponse:
    """Events that name a known value (an email, a PAN) by its HMAC; the value travels in a
    form body, never in a URL, and is neither logged nor shown back."""
    await console.require("audit:read", "audit_log")
    await console.require("audit:hash", "audit_log")
    form = await console.form()
    value = form.get("value")
    form_echo = {"type": "", "actor": "", "since": "", "until": ""}
    if not isinstance(value, str) or not value or len(value) > MAX_VALUE:
        return await _audit_page(console, EventFilter(), form_echo)
    digest = console.services.audit.hash_value(value)
    return await _audit_page(console, EventFilter(), form_echo, digest=digest)

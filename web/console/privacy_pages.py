"""The DPO desk: the DSR queue coloured by SLA, one request's steps with verify / approve /
execute as forms, and links to the registers' pages (``web.console.privacy_desk``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from audit import Actor
from identity import Caller
from privacy import DsrRequest, DsrService, PrivacyError
from web.console.rendering import render
from web.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)

DsrId = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,64}$")]
StepAction = Annotated[str, Path(pattern="^(verify|approve|execute)$")]
SOON_DAYS = 7
QUEUE_SIZE = 200


def sla_band(request: DsrRequest, days_left: int, now: datetime) -> str:
    """``overdue``, ``soon`` (due in 7 days or fewer) or ``ok`` (more than 7 days)."""
    if request.overdue(now):
        return "overdue"
    return "soon" if days_left <= SOON_DAYS else "ok"


def _actor(caller: Caller) -> Actor:
    return Actor(id=caller.id, kind=caller.kind.value, roles=tuple(sorted(caller.roles)))


def _queue(service: DsrService) -> list[dict[str, object]]:
    now = service.clock()
    rows = []
    for request in service.list(limit=QUEUE_SIZE):
        if not request.is_open:
            continue
        left = service.days_left(request)
        rows.append({"request": request, "days_left": left, "band": sla_band(request, left, now)})
    rows.sort(key=lambda row: row["request"].due_at)  # type: ignore[attr-defined]
    return rows


@router.get("/console/dpo")
async def dpo_desk(console: ConsoleDep) -> HTMLResponse:
    await console.require("dsr:read", "data_subject_request")
    queue = await run_in_threadpool(_queue, console.services.privacy)
    may_breaches = await console.may("breach:read", "breach")
    overdue = len(await run_in_threadpool(console.services.breaches.overdue)) if may_breaches else 0
    return await render(
        console,
        "dpo.html",
        queue=queue,
        may_consents=await console.holds("consent:read", "consent"),
        may_breaches=may_breaches,
        may_ropa=await console.holds("ropa:read", "ropa"),
        overdue_breaches=overdue,
    )


async def _request_page(
    console: ConsoleDep, dsr_id: str, status: int = 200, error: str | None = None
) -> HTMLResponse:
    service = console.services.privacy
    try:
        request = await run_in_threadpool(service.get, dsr_id)
    except PrivacyError:
        return await render(
            console,
            "message.html",
            404,
            title="No such request",
            message="There is no data subject request with this identifier.",
        )
    now = service.clock()
    left = service.days_left(request)
    return await render(
        console,
        "dsr.html",
        status,
        dsr=request,
        days_left=left,
        band=sla_band(request, left, now),
        can_manage=await console.holds("dsr:manage", "data_subject_request"),
        error=error,
    )


@router.get("/console/dpo/dsr/{dsr_id}")
async def dsr_page(console: ConsoleDep, dsr_id: DsrId) -> HTMLResponse:
    await console.require("dsr:read", "data_subject_request")
    return await _request_page(console, dsr_id)


STEP_ACTIONS = ("verify", "approve", "execute")


@router.post("/console/dpo/dsr/{dsr_id}/{action}")
async def dsr_action(
    console: ConsoleDep,
    dsr_id: DsrId,
    action: StepAction,
) -> Response:
    await console.require("dsr:manage", "data_subject_request")
    form = await console.form()
    service = console.services.privacy
    actor = _actor(console.caller)
    note = form.get("note")
    steps: dict[str, Callable[[], object]] = {
        "verify": lambda: service.attest(dsr_id, note if isinstance(note, str) else "", actor),
        "approve": lambda: service.approve(dsr_id, actor),
        "execute": lambda: service.execute(dsr_id, actor),
    }
    try:
        await run_in_threadpool(steps[action])
    except PrivacyError as exc:
        return await _request_page(console, dsr_id, 409, error=str(exc))
    return RedirectResponse(f"/console/dpo/dsr/{dsr_id}", status_code=303)


@router.post("/console/dpo/dsr/{dsr_id}/tasks/{step_id}/close")
async def close_task(console: ConsoleDep, dsr_id: DsrId, step_id: DsrId) -> Response:
    """A manual system's task, closed with the assignee's note of what was done."""
    await console.require("dsr:manage", "data_subject_request")
    form = await console.form()
    note = form.get("note")
    service = console.services.privacy
    actor = _actor(console.caller)
    try:
        await run_in_threadpool(
            service.close_task, dsr_id, step_id, note if isinstance(note, str) else "", [], actor
        )
    except PrivacyError as exc:
        return await _request_page(console, dsr_id, 409, error=str(exc))
    return RedirectResponse(f"/console/dpo/dsr/{dsr_id}", status_code=303)

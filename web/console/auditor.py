"""The auditor portal: the engagement's scope and window, reports and bundles to generate
and download, and how to verify them offline (the verifier key and the command)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from identity import Caller
from reports import ReportsError, ReportsService, Requester, Window
from web.console.rendering import render
from web.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)


def requester_of(caller: Caller) -> Requester:
    return Requester(id=caller.id, kind=caller.kind.value, roles=frozenset(caller.roles))


def _portal(service: ReportsService, requester: Requester) -> dict[str, object]:
    return {
        "reports": service.recent(requester, bundles=False, limit=50),
        "bundles": service.recent(requester, bundles=True, limit=50),
        "frameworks": service.frameworks,
        "scope": service.jobs.scope(requester.id) if requester.scoped else None,
    }


async def _portal_page(
    console: ConsoleDep, status: int = 200, error: str | None = None
) -> HTMLResponse:
    requester = requester_of(console.caller)
    data = await run_in_threadpool(_portal, console.services.reports, requester)
    return await render(
        console,
        "auditor.html",
        status,
        **data,
        scoped=requester.scoped,
        engagement_expires_at=console.caller.attributes.get("engagement_expires_at"),
        public_key=console.services.audit.public_key(),
        can_generate=await console.holds("reports:generate", "report"),
        error=error,
    )


@router.get("/console/auditor")
async def auditor_portal(console: ConsoleDep) -> HTMLResponse:
    await console.require("reports:read", "report")
    return await _portal_page(console)


def _day(text: object, end: bool) -> datetime:
    if not isinstance(text, str):
        raise ValueError("missing date")
    day = datetime.strptime(text, "%Y-%m-%d").date()
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


@router.post("/console/auditor/generate")
async def generate(console: ConsoleDep) -> Response:
    await console.require("reports:generate", "report")
    form = await console.form()
    kind = form.get("kind")
    framework = form.get("framework")
    if kind not in ("bundle", "framework") or not isinstance(framework, str):
        return await _portal_page(console, 422, "Choose a framework and what to generate.")
    try:
        window = Window(_day(form.get("from"), False), _day(form.get("to"), True))
    except (ValueError, ReportsError):
        return await _portal_page(console, 422, "Give a window: a start date before an end date.")
    fmt = "zip" if kind == "bundle" else "html"
    service = console.services.reports
    try:
        await run_in_threadpool(
            service.request, kind, framework, window, fmt, requester_of(console.caller)
        )
    except ReportsError as exc:
        return await _portal_page(console, 422, str(exc))
    return RedirectResponse("/console/auditor", status_code=303)

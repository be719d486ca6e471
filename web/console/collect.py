""" "Collect now" for the security role: the form starts a background collection and sends the
browser to its progress page, which refreshes itself (a meta refresh: no script needed) while
collectors are still at work, and shows each collector's result and the run at the end."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from identity import actor_of
from web.console.collect_jobs import CollectionJobs
from web.console.rendering import render
from web.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)

JobId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
REFRESH_SECONDS = 2


def jobs_of(request: Request) -> CollectionJobs:
    jobs = request.app.state.console_collections  # set by install_console
    assert isinstance(jobs, CollectionJobs)
    return jobs


@router.post("/console/collect")
async def collect_now(console: ConsoleDep) -> Response:
    await console.require("collections:run", "collection")
    await console.form()
    service = console.services.controls
    job = jobs_of(console.request).start(
        service, service.runner.collector_names, actor_of(console.caller)
    )
    return RedirectResponse(f"/console/collect/{job.id}", status_code=303)


@router.get("/console/collect/{job_id}")
async def collect_progress(console: ConsoleDep, job_id: JobId) -> HTMLResponse:
    await console.require("collections:run", "collection")
    job = jobs_of(console.request).get(job_id)
    if job is None:
        return await render(
            console,
            "message.html",
            404,
            title="No such collection",
            message="This collection is not known here (it may have been started on another "
            "server, or long ago). Its results are on the posture page.",
        )
    return await render(
        console,
        "collect.html",
        job=job,
        states=sorted(job.collectors.values(), key=lambda state: state.name),
        refresh=REFRESH_SECONDS if job.running else None,
    )

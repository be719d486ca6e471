"""The decision point's page: policy revision in force, its history with rollback (for the
roles the decision point lets manage policy), and the OPA agents' last status."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from policies import AgentStatus, DecisionSummary, PolicyRoom, RevisionInfo
from web.console.decision_stats import WINDOW_DAYS, recent_decisions
from web.console.rendering import render
from web.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)

REVISION = re.compile(r"^[A-Za-z0-9:._-]{1,128}$")


def _page_data(
    room: PolicyRoom,
) -> tuple[list[RevisionInfo], list[AgentStatus], DecisionSummary | None]:
    return room.store.revisions(), room.store.agents(), recent_decisions(room)


@router.get("/console/decisions")
async def decisions_page(console: ConsoleDep, rolled: str | None = None) -> HTMLResponse:
    room = console.services.policies
    revisions, agents, stats = await console.gated("policy:read", "policy", _page_data, room)
    return await render(
        console,
        "decisions.html",
        revisions=revisions,
        active=next((info.revision for info in revisions if info.active), None),
        agents=[agent.as_dict() for agent in agents],
        stats=stats,
        window_days=WINDOW_DAYS,
        can_rollback=await console.holds("policy:manage", "policy"),
        rolled=rolled if rolled and REVISION.match(rolled) else None,
    )


@router.post("/console/decisions/rollback")
async def rollback(console: ConsoleDep) -> Response:
    await console.require("policy:manage", "policy")
    form = await console.form()
    revision = form.get("revision")
    room = console.services.policies
    if not isinstance(revision, str) or not REVISION.match(revision):
        return await render(
            console,
            "message.html",
            422,
            title="Rollback refused",
            message="Choose a stored revision.",
        )
    if not await run_in_threadpool(room.store.exists, revision):
        return await render(
            console,
            "message.html",
            404,
            title="Rollback refused",
            message="There is no stored revision with this name.",
        )
    await run_in_threadpool(lambda: room.bundles.rollback(revision, actor=console.caller.id))
    return RedirectResponse(f"/console/decisions?rolled={revision}", status_code=303)

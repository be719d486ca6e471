"""The DPO desk's registers in the console: a principal's consents, the breach clocks and the
record of processing (ROPA). Each page asks the gate for the permission its API route needs
(``consent:read``, ``breach:read``, ``ropa:read``), so the roles that read the API read the
page; a register not configured here says so instead of failing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from privacy import (
    Breach,
    BreachRegister,
    Clock,
    ConsentLedger,
    ConsentState,
    DsrService,
    PrivacyError,
    build_ropa,
    ist,
)
from web.console.rendering import render
from web.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)

PRINCIPAL = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
SOON = timedelta(hours=24)
CLOCK_LABELS = {
    "running": "running",
    "due_now": "due now (without undue delay)",
    "overdue": "overdue",
    "met": "met",
    "met_late": "met late",
}


def clock_band(clock: Clock, now: datetime) -> str:
    """Coloured like the DSR queue: ``overdue`` (past due, or met late), ``soon`` (due now,
    or due within 24 hours), ``ok`` (met in time, or more than 24 hours left)."""
    if clock.state in {"overdue", "met_late"}:
        return "overdue"
    if clock.state == "met":
        return "ok"
    if clock.state == "due_now" or clock.due_at is None or clock.due_at - now <= SOON:
        return "soon"
    return "ok"


def _hours_left(clock: Clock, now: datetime) -> int | None:
    if clock.due_at is None or clock.state not in {"running", "overdue"}:
        return None
    return int((clock.due_at - now).total_seconds() // 3600)


# --- consent lookup ------------------------------------------------------------------


@router.get("/console/dpo/consents")
async def consent_lookup(
    console: ConsoleDep,
    principal: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    await console.require("consent:read", "consent")
    ledger: ConsentLedger = console.services.consents
    if not principal:
        return await render(console, "consents.html", principal="", state=None, error=None)
    if not PRINCIPAL.match(principal):
        return await render(
            console,
            "consents.html",
            422,
            principal=principal,
            state=None,
            error="A principal is 1 to 128 letters, digits or . _ : - (an account id).",
        )
    state: ConsentState = await run_in_threadpool(ledger.state, principal)
    return await render(
        console,
        "consents.html",
        principal=principal,
        state=state,
        history=list(reversed(state.history)),
        error=None,
    )


# --- breach clocks -------------------------------------------------------------------


def _breach_rows(register: BreachRegister) -> list[dict[str, object]]:
    now = register.clock()
    rows: list[dict[str, object]] = []
    for breach in register.breaches():
        clocks = register.clocks(breach)
        rows.append(
            {
                "breach": breach,
                "aware_ist": ist(breach.aware_at),
                "open": breach.status.value != "closed",
                "clocks": [
                    {
                        "clock": clock,
                        "band": clock_band(clock, now),
                        "label": CLOCK_LABELS.get(clock.state, clock.state),
                        "due_ist": ist(clock.due_at) if clock.due_at else "without undue delay",
                        "hours_left": _hours_left(clock, now),
                    }
                    for clock in clocks
                ],
            }
        )
    rows.sort(key=_open_first)
    return rows


def _open_first(row: dict[str, object]) -> tuple[bool, float]:
    breach = row["breach"]
    assert isinstance(breach, Breach)
    return (not row["open"], -breach.aware_at.timestamp())


@router.get("/console/dpo/breaches")
async def breach_clocks(console: ConsoleDep) -> HTMLResponse:
    await console.require("breach:read", "breach")
    rows = await run_in_threadpool(_breach_rows, console.services.breaches)
    return await render(console, "breaches.html", rows=rows)


# --- ROPA ----------------------------------------------------------------------------


@router.get("/console/dpo/ropa")
async def ropa(console: ConsoleDep) -> HTMLResponse:
    await console.require("ropa:read", "ropa")
    privacy: DsrService = console.services.privacy
    controls = console.services.controls

    def activities() -> tuple[str, str, list[object]]:
        stored, datamap = privacy.datamap()
        postures = controls.control_postures()

        def status(control_id: str) -> str:
            posture = postures.get(control_id)
            return posture.status.value if posture is not None else "unknown"

        return datamap.organisation, stored.sha256, list(build_ropa(datamap, status))

    try:
        organisation, sha256, rows = await run_in_threadpool(activities)
    except PrivacyError:
        return await render(
            console,
            "message.html",
            title="Records of processing (ROPA)",
            message="No data map is loaded yet, so there is no record of processing: load one "
            "with `trustplane datamap load` or PUT /v1/datamap.",
        )
    return await render(
        console, "ropa.html", organisation=organisation, sha256=sha256, activities=rows
    )

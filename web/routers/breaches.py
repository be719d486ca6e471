"""The breach register: the DPO's API (``breach:manage``; auditors and security read).

Clocks are computed from the regimes' duties (data) at each read; times are UTC with an IST
rendering beside each. A notification is sent through the outbox when the DPO approves it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, EmailStr, Field

from identity import Caller
from privacy import Breach, BreachRegister, ist
from web.deps import BreachesDep, require
from web.privacy_problems import PRIVACY_RESPONSES
from web.routers.dsr import actor_of, origin_of

router = APIRouter(prefix="/v1", tags=["breach"], responses=dict(PRIVACY_RESPONSES))

Manager = Annotated[Caller, Depends(require("breach:manage", "breach"))]
Reader = Annotated[Caller, Depends(require("breach:read", "breach"))]
BreachId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
Name = Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,64}$")]
Account = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]


class BreachIn(BaseModel):
    title: str = Field(min_length=3, max_length=300)
    severity: Literal["P0", "P1", "P2", "P3"]
    detected_at: datetime
    aware_at: datetime | None = Field(default=None, description="defaults to detected_at")
    affected_count: int = Field(ge=0, le=10**9)
    affected_ids: list[Account] = Field(default_factory=list, max_length=10_000)
    categories: list[Name] = Field(max_length=50)
    systems: list[Name] = Field(default_factory=list, max_length=50)
    regimes: list[Name] = Field(default_factory=lambda: ["dpdp", "cert-in"], max_length=10)


class BreachPatch(BaseModel):
    status: Literal["open", "contained", "closed"] | None = None
    severity: Literal["P0", "P1", "P2", "P3"] | None = None
    affected_count: int | None = Field(default=None, ge=0, le=10**9)
    note: str = Field(default="", max_length=2000)


class NoteIn(BaseModel):
    note: str = Field(min_length=3, max_length=4000)


class NotifyIn(BaseModel):
    duty: Name
    to: list[EmailStr] = Field(min_length=1, max_length=500)
    lang: Literal["en", "hi"] = "en"


class ClockOut(BaseModel):
    duty: str
    regime: str
    law: str
    recipient: str
    started_at: datetime
    due_at: datetime | None
    due_ist: str | None
    state: str
    done_at: datetime | None


class EntryOut(BaseModel):
    at: datetime
    at_ist: str
    kind: str
    note: str
    duty: str | None
    audit_seq: int


class BreachOut(BaseModel):
    id: str
    title: str
    severity: str
    status: str
    detected_at: datetime
    detected_ist: str
    aware_at: datetime
    aware_ist: str
    affected_count: int
    identifiers_known: int
    categories: list[str]
    systems: list[str]
    regimes: list[str]
    overdue: bool
    clocks: list[ClockOut]
    timeline: list[EntryOut]


def breach_out(register: BreachRegister, breach: Breach) -> BreachOut:
    clocks = register.clocks(breach)
    return BreachOut(
        id=breach.id,
        title=breach.title,
        severity=breach.severity,
        status=breach.status.value,
        detected_at=breach.detected_at,
        detected_ist=ist(breach.detected_at),
        aware_at=breach.aware_at,
        aware_ist=ist(breach.aware_at),
        affected_count=breach.affected_count,
        identifiers_known=len(breach.affected_ids),
        categories=list(breach.categories),
        systems=list(breach.systems),
        regimes=list(breach.regimes),
        overdue=breach.status.value != "closed" and any(c.overdue for c in clocks),
        clocks=[
            ClockOut(
                duty=c.duty.id,
                regime=c.duty.regime,
                law=c.duty.law,
                recipient=c.duty.recipient,
                started_at=c.started_at,
                due_at=c.due_at,
                due_ist=ist(c.due_at) if c.due_at else None,
                state=c.state,
                done_at=c.done_at,
            )
            for c in clocks
        ],
        timeline=[
            EntryOut(
                at=e.at,
                at_ist=ist(e.at),
                kind=e.kind,
                note=e.note,
                duty=e.duty_id,
                audit_seq=e.audit_seq,
            )
            for e in breach.timeline
        ],
    )


@router.post("/breaches", status_code=201, response_model=BreachOut)
def create_breach(
    body: BreachIn, request: Request, caller: Manager, register: BreachesDep
) -> BreachOut:
    """Record a breach; its clocks start at awareness (or detection, per duty)."""
    breach = register.create(
        title=body.title,
        severity=body.severity,
        detected_at=body.detected_at,
        aware_at=body.aware_at,
        affected_count=body.affected_count,
        affected_ids=body.affected_ids,
        categories=body.categories,
        systems=body.systems,
        regimes=body.regimes,
        actor=actor_of(caller),
        origin=origin_of(request),
    )
    return breach_out(register, breach)


@router.get("/breaches", response_model=list[BreachOut])
def list_breaches(
    caller: Reader, register: BreachesDep, open_only: bool = Query(default=False, alias="open")
) -> list[BreachOut]:
    return [breach_out(register, b) for b in register.breaches(open_only=open_only)]


@router.get("/breaches/{breach_id}", response_model=BreachOut)
def get_breach(breach_id: BreachId, caller: Reader, register: BreachesDep) -> BreachOut:
    return breach_out(register, register.get(breach_id))


@router.patch("/breaches/{breach_id}", response_model=BreachOut)
def update_breach(
    breach_id: BreachId, body: BreachPatch, request: Request, caller: Manager, register: BreachesDep
) -> BreachOut:
    breach = register.update(
        breach_id,
        actor=actor_of(caller),
        status=body.status,
        severity=body.severity,
        affected_count=body.affected_count,
        note=body.note,
        origin=origin_of(request),
    )
    return breach_out(register, breach)


@router.post("/breaches/{breach_id}/timeline", status_code=201, response_model=BreachOut)
def add_timeline(
    breach_id: BreachId, body: NoteIn, request: Request, caller: Manager, register: BreachesDep
) -> BreachOut:
    breach = register.add_note(
        breach_id, body.note, actor=actor_of(caller), origin=origin_of(request)
    )
    return breach_out(register, breach)


@router.get("/breaches/{breach_id}/drafts/{duty}", response_class=PlainTextResponse)
def draft(
    breach_id: BreachId,
    duty: Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,64}$")],
    caller: Reader,
    register: BreachesDep,
    lang: Annotated[Literal["en", "hi"], Query()] = "en",
) -> PlainTextResponse:
    """The notification a duty calls for, rendered from the breach's facts."""
    return PlainTextResponse(register.draft(breach_id, duty, lang))


@router.post("/breaches/{breach_id}/notify", response_model=BreachOut)
def notify(
    breach_id: BreachId, body: NotifyIn, request: Request, caller: Manager, register: BreachesDep
) -> BreachOut:
    """The DPO approves a duty's draft: it goes to each recipient through the outbox."""
    breach = register.notify(
        breach_id,
        body.duty,
        [str(address) for address in body.to],
        actor=actor_of(caller),
        lang=body.lang,
        origin=origin_of(request),
    )
    return breach_out(register, breach)

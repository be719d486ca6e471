"""Grievances (DPDP s.13, rule 14: 90 days) and nominations (DPDP s.14): the DPO's desk.

Same permissions as data subject requests (``dsr:manage``; auditors and security read):
both are the data principal's rights handled by the DPO's office.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from identity import Caller
from privacy import Grievance, Nomination
from web.deps import GrievancesDep, require
from web.privacy_problems import PRIVACY_RESPONSES
from web.routers.dsr import actor_of, origin_of

router = APIRouter(prefix="/v1", tags=["privacy"], responses=dict(PRIVACY_RESPONSES))
Manager = Annotated[Caller, Depends(require("dsr:manage", "data_subject_request"))]
Reader = Annotated[Caller, Depends(require("dsr:read", "data_subject_request"))]
Id = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
ACCOUNT = r"^[A-Za-z0-9_.:-]{1,128}$"


class GrievanceIn(BaseModel):
    principal: str = Field(pattern=ACCOUNT)
    summary: str = Field(min_length=3, max_length=2000)
    channel: str = Field(pattern=r"^[a-z_]{1,32}$")
    filed_by: str | None = Field(default=None, pattern=ACCOUNT, description="a nominee's id")


class MoveIn(BaseModel):
    action: Literal["verify", "start", "complete", "reject", "cancel"]
    resolution: str = Field(default="", max_length=2000)


class GrievanceOut(BaseModel):
    id: str
    principal: str
    by_nominee: bool
    channel: str
    state: str
    received_at: datetime
    due_at: datetime
    overdue: bool
    closed_at: datetime | None
    resolution: str


class NominationIn(BaseModel):
    principal: str = Field(pattern=ACCOUNT)
    nominee: str = Field(pattern=ACCOUNT)
    relationship: str = Field(min_length=1, max_length=64)


class NominationOut(BaseModel):
    id: str
    principal: str
    nominee: str
    relationship: str
    created_at: datetime
    revoked_at: datetime | None
    audit_seq: int


def grievance_out(item: Grievance, now: datetime) -> GrievanceOut:
    return GrievanceOut(
        id=item.id,
        principal=item.principal_id,
        by_nominee=item.filed_by != item.principal_id,
        channel=item.channel,
        state=item.state.value,
        received_at=item.received_at,
        due_at=item.due_at,
        overdue=item.overdue(now),
        closed_at=item.closed_at,
        resolution=item.resolution,
    )


def nomination_out(item: Nomination) -> NominationOut:
    return NominationOut(
        id=item.id,
        principal=item.principal_id,
        nominee=item.nominee_id,
        relationship=item.relationship,
        created_at=item.created_at,
        revoked_at=item.revoked_at,
        audit_seq=item.audit_seq,
    )


@router.post("/grievances", status_code=201, response_model=GrievanceOut)
def file_grievance(
    body: GrievanceIn, request: Request, caller: Manager, desk: GrievancesDep
) -> GrievanceOut:
    """Record a grievance; due 90 days after receipt (rule 14). A nominee needs a live
    nomination of the principal."""
    item = desk.file(
        body.principal,
        body.summary,
        channel=body.channel,
        filed_by=body.filed_by,
        actor=actor_of(caller),
        origin=origin_of(request),
    )
    return grievance_out(item, desk.clock())


@router.get("/grievances", response_model=list[GrievanceOut])
def list_grievances(
    caller: Reader, desk: GrievancesDep, open_only: bool = Query(default=False, alias="open")
) -> list[GrievanceOut]:
    now = desk.clock()
    return [grievance_out(g, now) for g in desk.grievances(open_only=open_only)]


@router.get("/grievances/{grievance_id}", response_model=GrievanceOut)
def get_grievance(grievance_id: Id, caller: Reader, desk: GrievancesDep) -> GrievanceOut:
    return grievance_out(desk.get(grievance_id), desk.clock())


@router.post("/grievances/{grievance_id}/transition", response_model=GrievanceOut)
def move_grievance(
    grievance_id: Id, body: MoveIn, request: Request, caller: Manager, desk: GrievancesDep
) -> GrievanceOut:
    item = desk.move(
        grievance_id,
        body.action,
        resolution=body.resolution,
        actor=actor_of(caller),
        origin=origin_of(request),
    )
    return grievance_out(item, desk.clock())


@router.post("/nominations", status_code=201, response_model=NominationOut)
def nominate(
    body: NominationIn, request: Request, caller: Manager, desk: GrievancesDep
) -> NominationOut:
    item = desk.nominate(
        body.principal,
        body.nominee,
        body.relationship,
        actor=actor_of(caller),
        origin=origin_of(request),
    )
    return nomination_out(item)


@router.get("/nominations", response_model=list[NominationOut])
def list_nominations(
    caller: Reader, desk: GrievancesDep, principal: Annotated[str, Query(pattern=ACCOUNT)]
) -> list[NominationOut]:
    return [nomination_out(n) for n in desk.nominations(principal)]


@router.post("/nominations/{nomination_id}/revoke", response_model=NominationOut)
def revoke_nomination(
    nomination_id: Id, request: Request, caller: Manager, desk: GrievancesDep
) -> NominationOut:
    item = desk.revoke(nomination_id, actor=actor_of(caller), origin=origin_of(request))
    return nomination_out(item)

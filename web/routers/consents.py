"""The consent ledger and privacy notices: the DPO's API (``consent:manage``; auditors read).

A withdrawal is one call, like a grant (DPDP s.6(4)). Notices are public: a data principal
reads what they are asked to consent to before having any account with trustplane.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from audit import Actor
from identity import Caller
from privacy import ConsentEvent, ConsentLedger
from web.deps import ConsentsDep, DsrIntakeLimiterDep, client_ip, require
from web.errors import RateLimitedError
from web.privacy_problems import PRIVACY_RESPONSES
from web.routers.dsr import actor_of, origin_of

router = APIRouter(prefix="/v1", tags=["consent"], responses=dict(PRIVACY_RESPONSES))
notices_router = APIRouter(prefix="/v1", tags=["consent"])
public_router = APIRouter(prefix="/v1/public", tags=["consent"], responses=dict(PRIVACY_RESPONSES))
PUBLIC_PRINCIPAL = Actor(id="data-principal", kind="user")


def _limiter(request: Request, limiter: DsrIntakeLimiterDep) -> None:
    retry = limiter.acquire(f"consent-withdraw:{client_ip(request)}")
    if retry > 0:
        raise RateLimitedError(retry)


Limited = Depends(_limiter)

Manager = Annotated[Caller, Depends(require("consent:manage", "consent"))]
Reader = Annotated[Caller, Depends(require("consent:read", "consent"))]
PRINCIPAL = r"^[A-Za-z0-9_.:-]{1,128}$"
NAME = r"^[a-z0-9_]{1,64}$"


class GrantIn(BaseModel):
    principal: str = Field(pattern=PRINCIPAL, description="the data principal's account id")
    purpose: str = Field(pattern=NAME)
    channel: str = Field(pattern=NAME, description="app, web, branch, call_centre, ...")
    notice_id: str = Field(pattern=r"^[a-z0-9-]{1,64}$")
    notice_version: int | None = Field(default=None, ge=1, description="latest when omitted")
    consent_manager_id: str | None = Field(default=None, max_length=200)


class WithdrawIn(BaseModel):
    principal: str = Field(pattern=PRINCIPAL)
    purpose: str = Field(pattern=NAME)
    channel: str = Field(pattern=NAME)
    consent_manager_id: str | None = Field(default=None, max_length=200)


class ConsentEventOut(BaseModel):
    id: int
    purpose: str
    action: Literal["grant", "withdraw"]
    at: datetime
    channel: str
    notice_id: str
    notice_version: int
    consent_manager_id: str | None
    actor: str
    audit_seq: int


class GrantOut(ConsentEventOut):
    withdraw_token: str | None = Field(
        default=None,
        description="hand it to the principal: POST /v1/public/consents/withdraw with it "
        "withdraws this consent in one call",
    )


class TokenIn(BaseModel):
    token: str = Field(min_length=10, max_length=200, pattern=r"^[A-Za-z0-9_-]+\.[0-9a-f]+$")


class ConsentStateOut(BaseModel):
    principal: str
    granted: list[str]
    history: list[ConsentEventOut]


class PurposeOut(BaseModel):
    name: str
    description: str


def event_out(event: ConsentEvent) -> ConsentEventOut:
    return ConsentEventOut(
        id=event.id,
        purpose=event.purpose,
        action=event.action.value,
        at=event.at,
        channel=event.channel,
        notice_id=event.notice_id,
        notice_version=event.notice_version,
        consent_manager_id=event.consent_manager_id,
        actor=event.actor,
        audit_seq=event.audit_seq,
    )


def state_out(ledger: ConsentLedger, principal: str) -> ConsentStateOut:
    state = ledger.state(principal)
    return ConsentStateOut(
        principal=principal,
        granted=sorted(state.granted),
        history=[event_out(event) for event in state.history],
    )


@router.post("/consents", status_code=201, response_model=GrantOut)
def grant_consent(
    body: GrantIn, request: Request, caller: Manager, ledger: ConsentsDep
) -> GrantOut:
    """Record a consent given under a notice version (an audit event, then the ledger)."""
    event = ledger.grant(
        body.principal,
        body.purpose,
        channel=body.channel,
        notice_id=body.notice_id,
        notice_version=body.notice_version,
        consent_manager_id=body.consent_manager_id,
        actor=actor_of(caller),
        origin=origin_of(request),
    )
    return GrantOut(**event_out(event).model_dump(), withdraw_token=ledger.withdrawal_token(event))


@router.post("/consents/withdraw", status_code=201, response_model=ConsentEventOut)
def withdraw_consent(
    body: WithdrawIn, request: Request, caller: Manager, ledger: ConsentsDep
) -> ConsentEventOut:
    """Withdraw a consent in force; the next decision for that principal sees it."""
    event = ledger.withdraw(
        body.principal,
        body.purpose,
        channel=body.channel,
        consent_manager_id=body.consent_manager_id,
        actor=actor_of(caller),
        origin=origin_of(request),
    )
    return event_out(event)


@router.get("/consents", response_model=ConsentStateOut)
def consent_state(
    caller: Reader,
    ledger: ConsentsDep,
    principal: Annotated[str, Query(pattern=PRINCIPAL)],
) -> ConsentStateOut:
    """A principal's consents in force and their whole history (each with its audit seq)."""
    return state_out(ledger, principal)


@router.get("/consents/purposes", response_model=list[PurposeOut])
def consent_purposes(caller: Reader, ledger: ConsentsDep) -> list[PurposeOut]:
    return [PurposeOut(name=p.name, description=p.description) for p in ledger.purpose_list()]


@notices_router.get(
    "/notices/{notice_id}",
    response_class=PlainTextResponse,
    responses={404: {"description": "No such notice, version or language"}},
    openapi_extra={"security": []},  # public: read before consenting, with no account
)
def read_notice(
    notice_id: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,64}$")],
    ledger: ConsentsDep,
    lang: Annotated[str, Query(pattern=r"^[a-z]{2}$")] = "en",
    version: Annotated[int | None, Query(ge=1)] = None,
) -> PlainTextResponse:
    """The notice in the principal's language (``en``, ``hi``), its latest version by default."""
    text = ledger.notices.render(notice_id, lang, version)
    return PlainTextResponse(text, headers={"Content-Language": lang})


@public_router.post(
    "/consents/withdraw",
    status_code=201,
    response_model=ConsentEventOut,
    dependencies=[Limited],
    summary="Withdraw a consent with the link given at grant",
    openapi_extra={"security": []},
)
def public_withdraw(body: TokenIn, request: Request, ledger: ConsentsDep) -> ConsentEventOut:
    """No account: the token withdraws exactly the consent it was issued for (rate limited)."""
    event = ledger.withdraw_by_token(body.token, actor=PUBLIC_PRINCIPAL, origin=origin_of(request))
    return event_out(event)

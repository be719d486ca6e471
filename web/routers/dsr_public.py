"""Public intake for data principals: no account, rate limited per client address.

The intake answers the same whether or not the identifier is known (or a request is already
open): it never tells a stranger who is a customer. The code goes to the identifier itself.
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from audit import Actor
from privacy import DsrType, DuplicateRequestError
from web.deps import DsrIntakeLimiterDep, PrivacyDep, client_ip
from web.errors import RateLimitedError
from web.privacy_problems import PRIVACY_RESPONSES
from web.routers.dsr import dsr_out, origin_of

router = APIRouter(prefix="/v1/public", tags=["privacy"], responses=dict(PRIVACY_RESPONSES))
UNSECURED: dict[str, object] = {"security": []}  # no account: data principals use these
PRINCIPAL = Actor(id="data-principal", kind="user")
ACCEPTED = (
    "If we hold data about this identifier, a verification code is on its way to it. "
    "Your request is answered within the period the law gives us."
)


def _limiter(request: Request, limiter: DsrIntakeLimiterDep) -> None:
    retry = limiter.acquire(f"dsr-intake:{client_ip(request)}")
    if retry > 0:
        raise RateLimitedError(retry)


Limited = Depends(_limiter)
ServiceDep = PrivacyDep


class PublicDsrIn(BaseModel):
    type: DsrType
    identifier: dict[str, str] = Field(description='{"email": "you@example.in"}')
    regime: Literal["gdpr", "dpdp"] | None = None


class AcceptedOut(BaseModel):
    status: Literal["received"] = "received"
    message: str = ACCEPTED


class CodeIn(BaseModel):
    code: str = Field(min_length=4, max_length=12)


@router.post(
    "/dsr",
    status_code=202,
    dependencies=[Limited],
    summary="Ask about your data",
    openapi_extra=UNSECURED,
)
def public_create(body: PublicDsrIn, request: Request, service: ServiceDep) -> AcceptedOut:
    with contextlib.suppress(DuplicateRequestError):  # a stranger must not learn it is open
        service.create(
            body.type.value,
            body.identifier,
            regime=body.regime,
            note="public intake",
            actor=PRINCIPAL,
            origin=origin_of(request),
        )
    return AcceptedOut()


@router.post(
    "/dsr/{dsr_id}/verify",
    dependencies=[Limited],
    summary="Enter your code",
    openapi_extra=UNSECURED,
)
def public_verify(dsr_id: str, body: CodeIn, service: ServiceDep) -> dict[str, str]:
    done = service.verify_code(dsr_id, body.code, PRINCIPAL)
    return {"id": done.id, "state": dsr_out(service, done, steps=False).state}


@router.get(
    "/dsr/{dsr_id}/package",
    dependencies=[Limited],
    summary="Download your access package (signed link)",
    openapi_extra=UNSECURED,
    responses={200: {"content": {"application/zip": {}}}},
)
def public_package(
    dsr_id: str,
    service: ServiceDep,
    expires: Annotated[int, Query(ge=0)],
    signature: Annotated[str, Query(min_length=10, max_length=100)],
) -> Response:
    content = service.package_by_link(dsr_id, expires, signature)
    return Response(
        content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="dsr-{dsr_id}.zip"'},
    )

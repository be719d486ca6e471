"""Data subject requests and the data map: the DPO's API (``dsr:manage``; auditors read)."""

from __future__ import annotations

import base64
import binascii
import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from audit import Actor, Origin
from identity import Caller
from privacy import DsrRequest, DsrService, DsrState, DsrType, InvalidDsrError
from web.deps import PrivacyDep, client_ip, require
from web.privacy_problems import PRIVACY_RESPONSES

router = APIRouter(prefix="/v1", tags=["privacy"], responses=dict(PRIVACY_RESPONSES))

Manager = Annotated[Caller, Depends(require("dsr:manage", "data_subject_request"))]
Reader = Annotated[Caller, Depends(require("dsr:read", "data_subject_request"))]
MAX_YAML = 1_000_000


ServiceDep = PrivacyDep


def actor_of(caller: Caller) -> Actor:
    return Actor(id=caller.id, kind=caller.kind.value, roles=tuple(sorted(caller.roles)))


def origin_of(request: Request) -> Origin:
    return Origin(ip=client_ip(request), request_id=getattr(request.state, "request_id", None))


class StepOut(BaseModel):
    id: str
    system: str
    action: str
    status: str
    error: str | None
    detail: dict[str, Any]
    audit_seq: int | None


class DsrOut(BaseModel):
    id: str
    type: str
    state: str
    regime: str
    identifier_kind: str
    received_at: datetime
    due_at: datetime
    days_left: int
    overdue: bool
    extended: bool
    verified_method: str | None
    approved_by: str | None
    reason: str | None
    note: str
    closed_at: datetime | None
    package_sha256: str | None
    steps: list[StepOut] = Field(default_factory=list)
    audit_seqs: list[int] = Field(default_factory=list)


class DsrPage(BaseModel):
    items: list[DsrOut]
    next_cursor: str | None


class DsrIn(BaseModel):
    type: DsrType
    identifier: dict[str, str] = Field(description='One kind, e.g. {"email": "a@b.example"}')
    regime: Literal["gdpr", "dpdp"] | None = None
    note: str = Field(default="", max_length=2000)
    correction: dict[str, dict[str, dict[str, Any]]] | None = Field(
        default=None, description="correction only: {system: {table: {column: value}}}"
    )


class VerifyIn(BaseModel):
    method: Literal["code", "dpo_attested"]
    code: str | None = Field(default=None, max_length=12)
    note: str = Field(default="", max_length=2000)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)


class NoticeIn(BaseModel):
    notice: str = Field(min_length=10, max_length=2000)


class TaskCloseIn(BaseModel):
    note: str = Field(min_length=3, max_length=2000)
    deleted: list[str] = Field(default_factory=list, max_length=500)


class LinkOut(BaseModel):
    url: str
    expires_at: datetime


def dsr_out(service: DsrService, request: DsrRequest, *, steps: bool = True) -> DsrOut:
    now = service.clock()
    return DsrOut(
        id=request.id,
        type=request.type.value,
        state=request.state.value,
        regime=request.regime.value,
        identifier_kind=request.identifier_kind,
        received_at=request.received_at,
        due_at=request.due_at,
        days_left=service.days_left(request),
        overdue=request.overdue(now),
        extended=request.extended,
        verified_method=request.verified_method,
        approved_by=request.approved_by,
        reason=request.reason,
        note=request.note,
        closed_at=request.closed_at,
        package_sha256=request.package_sha256,
        steps=[
            StepOut(
                id=s.id,
                system=s.system,
                action=s.action,
                status=s.status,
                error=s.error,
                detail=s.detail,
                audit_seq=s.audit_seq,
            )
            for s in request.steps
        ]
        if steps
        else [],
        audit_seqs=request.audit_seqs if steps else [],
    )


# --- data map ---------------------------------------------------------------------------


@router.get("/datamap", summary="The data map in force (version, SHA-256, systems)")
def get_datamap(_caller: Reader, service: ServiceDep) -> dict[str, Any]:
    stored, datamap = service.datamap()
    return {
        "version": stored.version,
        "sha256": stored.sha256,
        "loaded_at": stored.loaded_at.isoformat(),
        "loaded_by": stored.loaded_by,
        "datamap": datamap.model_dump(mode="json"),
    }


@router.put(
    "/datamap",
    summary="Load a data map (YAML body); validated, versioned, audited",
    openapi_extra={
        "requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}}
    },
)
async def put_datamap(request: Request, caller: Manager, service: ServiceDep) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_YAML:
        raise InvalidDsrError(f"data map larger than {MAX_YAML} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidDsrError("the data map must be UTF-8 YAML") from None
    stored = await run_in_threadpool(service.load_datamap, text, actor_of(caller))
    return {"version": stored.version, "sha256": stored.sha256, "audit_seq": stored.audit_seq}


# --- requests ---------------------------------------------------------------------------


@router.post("/dsr", status_code=201, summary="Record a data subject request")
def create_dsr(body: DsrIn, request: Request, caller: Manager, service: ServiceDep) -> DsrOut:
    created = service.create(
        body.type.value,
        body.identifier,
        regime=body.regime,
        note=body.note,
        correction=_flatten(body.correction),
        actor=actor_of(caller),
        origin=origin_of(request),
    )
    return dsr_out(service, created)


def _flatten(
    correction: dict[str, dict[str, dict[str, Any]]] | None,
) -> dict[str, dict[str, Any]] | None:
    return dict(correction) if correction else None


def _cursor(request: DsrRequest) -> str:
    raw = f"{request.received_at.astimezone(UTC).isoformat()}|{request.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        stamp, _, last = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(stamp), last
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidDsrError("invalid cursor") from None


CSV_COLUMNS = [
    "id", "type", "state", "regime", "identifier_kind", "received_at", "due_at", "days_left",
    "overdue", "extended", "verified_method", "approved_by", "reason", "closed_at",
]  # fmt: skip


@router.get(
    "/dsr",
    summary="The register of requests (filters, cursor pagination, ?format=csv)",
    responses={200: {"content": {"text/csv": {}}}},
    response_model=None,
)
def list_dsr(  # noqa: PLR0917 (query parameters)
    _caller: Reader,
    service: ServiceDep,
    state: DsrState | None = None,
    type: DsrType | None = None,
    overdue: bool = False,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    format: Literal["json", "csv"] = "json",
) -> DsrPage | Response:
    filters: dict[str, Any] = {
        "state": state,
        "dsr_type": type,
        "overdue_at": service.clock() if overdue else None,
    }
    if format == "csv":
        return _csv(service, filters)
    items = service.list(after=_after(cursor), limit=limit + 1, **filters)
    more = len(items) > limit
    items = items[:limit]
    return DsrPage(
        items=[dsr_out(service, r, steps=False) for r in items],
        next_cursor=_cursor(items[-1]) if more and items else None,
    )


def _csv(service: DsrService, filters: dict[str, Any]) -> Response:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    after = None
    while True:
        page = service.list(after=after, limit=500, **filters)
        for item in page:
            row = dsr_out(service, item, steps=False).model_dump(mode="json")
            writer.writerow({k: _csv_safe(v) for k, v in row.items()})
        if len(page) < 500:
            break
        after = (page[-1].received_at, page[-1].id)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="dsr-register.csv"'},
    )


def _csv_safe(value: Any) -> Any:
    """Cells a spreadsheet would run as a formula are quoted (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@router.get("/dsr/{dsr_id}", summary="One request with its steps")
def get_dsr(dsr_id: str, _caller: Reader, service: ServiceDep) -> DsrOut:
    return dsr_out(service, service.get(dsr_id))


@router.post("/dsr/{dsr_id}/verify", summary="Verify identity (code, or DPO attestation)")
def verify_dsr(dsr_id: str, body: VerifyIn, caller: Manager, service: ServiceDep) -> DsrOut:
    if body.method == "dpo_attested":
        done = service.attest(dsr_id, body.note, actor_of(caller))
    else:
        if not body.code:
            raise InvalidDsrError("method code needs the code the principal received")
        done = service.verify_code(dsr_id, body.code, actor_of(caller))
    return dsr_out(service, done)


class CorrectionIn(BaseModel):
    correction: dict[str, dict[str, dict[str, Any]]] = Field(
        description="{system: {table: {column: new value}}}"
    )


@router.put("/dsr/{dsr_id}/correction", summary="What a correction request changes")
def put_correction(dsr_id: str, body: CorrectionIn, caller: Manager, service: ServiceDep) -> DsrOut:
    return dsr_out(service, service.set_correction(dsr_id, body.correction, actor_of(caller)))


@router.post("/dsr/{dsr_id}/approve", summary="Approve an erasure")
def approve_dsr(dsr_id: str, caller: Manager, service: ServiceDep) -> DsrOut:
    return dsr_out(service, service.approve(dsr_id, actor_of(caller)))


@router.post("/dsr/{dsr_id}/reject", summary="Reject a request (with its reason)")
def reject_dsr(dsr_id: str, body: ReasonIn, caller: Manager, service: ServiceDep) -> DsrOut:
    return dsr_out(service, service.reject(dsr_id, body.reason, actor_of(caller)))


@router.post("/dsr/{dsr_id}/cancel", summary="Cancel a request")
def cancel_dsr(dsr_id: str, body: ReasonIn, caller: Manager, service: ServiceDep) -> DsrOut:
    return dsr_out(service, service.cancel(dsr_id, body.reason, actor_of(caller)))


@router.post("/dsr/{dsr_id}/extend", summary="Extend (GDPR, once, notice in the first month)")
def extend_dsr(dsr_id: str, body: NoticeIn, caller: Manager, service: ServiceDep) -> DsrOut:
    return dsr_out(service, service.extend(dsr_id, body.notice, actor_of(caller)))


@router.post("/dsr/{dsr_id}/execute", summary="Run the request over every system")
def execute_dsr(dsr_id: str, caller: Manager, service: ServiceDep) -> DsrOut:
    return dsr_out(service, service.execute(dsr_id, actor_of(caller)).request)


@router.post("/dsr/{dsr_id}/tasks/{step_id}/close", summary="Close a manual task with a note")
def close_task(
    dsr_id: str, step_id: str, body: TaskCloseIn, caller: Manager, service: ServiceDep
) -> DsrOut:
    closed = service.close_task(dsr_id, step_id, body.note, body.deleted, actor_of(caller))
    return dsr_out(service, closed)


ZIP: dict[int | str, dict[str, Any]] = {200: {"content": {"application/zip": {}}}}


def _zip(dsr_id: str, content: bytes) -> Response:
    return Response(
        content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="dsr-{dsr_id}.zip"'},
    )


@router.get("/dsr/{dsr_id}/package", summary="Download the access package", responses=ZIP)
def get_package(dsr_id: str, caller: Manager, service: ServiceDep) -> Response:
    return _zip(dsr_id, service.package(dsr_id, actor_of(caller)))


@router.post("/dsr/{dsr_id}/package-link", summary="A signed, expiring link for the principal")
def package_link(dsr_id: str, request: Request, _caller: Manager, service: ServiceDep) -> LinkOut:
    expires, signature = service.package_link(dsr_id)
    base = str(request.base_url).rstrip("/")
    return LinkOut(
        url=f"{base}/v1/public/dsr/{dsr_id}/package?expires={expires}&signature={signature}",
        expires_at=datetime.fromtimestamp(expires, UTC),
    )


@router.get(
    "/dsr/{dsr_id}/certificate",
    summary="Erasure certificate (JSON, or ?format=html)",
    response_model=None,
)
def get_certificate(
    dsr_id: str,
    _caller: Reader,
    service: ServiceDep,
    format: Literal["json", "html"] = "json",
) -> dict[str, Any] | Response:
    if format == "html":
        return Response(service.certificate_html(dsr_id), media_type="text/html; charset=utf-8")
    return service.certificate(dsr_id)

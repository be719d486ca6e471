"""Controls API: frameworks and posture, controls, evidence download, collections, attestations."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from controls import (
    ATTESTATION_KINDS,
    AttestationError,
    ControlPosture,
    ControlsService,
    ControlStatus,
    FrameworkPosture,
    PostureSnapshot,
)
from identity import Caller, actor_of
from web.deps import ControlsDep, require

router = APIRouter(prefix="/v1", tags=["controls"])

Reader = Annotated[Caller, Depends(require("controls:read", "control"))]
EvidenceReader = Annotated[Caller, Depends(require("evidence:read", "evidence"))]
Runner = Annotated[Caller, Depends(require("collections:run", "collection"))]
SHA256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the item")]


class FrameworkOut(BaseModel):
    id: str
    name: str
    version: str
    authority: str
    requirements: int


class FrameworkPostureOut(BaseModel):
    posture: FrameworkPosture
    history: list[PostureSnapshot]


class ControlSummary(BaseModel):
    id: str
    title: str
    owner: str
    frequency: str
    severity: str
    status: str
    checks: list[str]
    mappings: dict[str, list[str]]
    newest_evidence_at: datetime | None


class ControlDetail(BaseModel):
    control: ControlSummary
    posture: ControlPosture


class CollectionIn(BaseModel):
    collectors: list[str] | None = Field(
        default=None, description="Collector names; all configured collectors when omitted"
    )


class CollectionOut(BaseModel):
    run_id: str
    collections: list[dict[str, Any]]


class AttestationIn(BaseModel):
    kind: str = Field(description=f"One of: {', '.join(sorted(ATTESTATION_KINDS))}")
    title: str = Field(min_length=3, max_length=300)
    attested_by: str = Field(min_length=2, max_length=200)
    expires_at: datetime
    document_base64: str | None = Field(default=None, max_length=1_500_000)
    media_type: str = Field(default="application/octet-stream", max_length=100)


@router.get("/frameworks", summary="Frameworks in the catalog")
def list_frameworks(_caller: Reader, service: ControlsDep) -> list[FrameworkOut]:
    return [
        FrameworkOut(
            id=f.id,
            name=f.name,
            version=f.version,
            authority=f.authority,
            requirements=len(f.requirements),
        )
        for f in service.frameworks()
    ]


@router.get("/frameworks/{framework_id}/posture", summary="Posture of one framework, with history")
def get_framework_posture(
    framework_id: str,
    _caller: Reader,
    service: ControlsDep,
    history: Annotated[int, Query(ge=0, le=1000)] = 30,
) -> FrameworkPostureOut:
    posture = service.framework_posture(framework_id)
    return FrameworkPostureOut(
        posture=posture, history=service.posture_history(framework_id, history)
    )


def known_query(*names: str) -> Callable[[Request], None]:
    """Refuse query parameters the route does not read: a filter it would ignore must not
    look applied (``?state=fail`` answering every control)."""

    def dependency(request: Request) -> None:
        unknown = sorted(set(request.query_params) - set(names))
        if unknown:
            raise RequestValidationError(
                [
                    {"loc": ("query", name), "msg": "unknown query parameter", "type": "extra"}
                    for name in unknown
                ]
            )

    return dependency


@router.get(
    "/controls",
    summary="Unified controls with their current status",
    dependencies=[Depends(known_query("status"))],
)
def list_controls(
    _caller: Reader,
    service: ControlsDep,
    status: Annotated[
        ControlStatus | None, Query(description="Only controls in this status")
    ] = None,
) -> list[ControlSummary]:
    postures = service.control_postures()
    return [
        _summary(service, control_id, postures[control_id])
        for control_id in sorted(service.catalog.controls)
        if status is None or postures[control_id].status == status
    ]


@router.get("/controls/{control_id}", summary="One control: status, findings and evidence")
def get_control(control_id: str, _caller: Reader, service: ControlsDep) -> ControlDetail:
    _, posture = service.control(control_id)
    return ControlDetail(control=_summary(service, control_id, posture), posture=posture)


@router.get(
    "/evidence/{sha256}",
    summary="Download an evidence item (verified against its hash)",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_evidence(sha256: SHA256, _caller: EvidenceReader, service: ControlsDep) -> Response:
    meta, content = service.evidence(sha256)
    return Response(
        content=content,
        media_type=meta.media_type,
        headers={
            "ETag": f'"{meta.sha256}"',
            "X-Evidence-Collector": meta.collector,
            "X-Evidence-Collected-At": meta.collected_at.isoformat(),
            "Content-Disposition": f'attachment; filename="{meta.sha256}"',
        },
    )


@router.post("/collections", status_code=201, summary="Run collectors now")
def post_collection(body: CollectionIn, caller: Runner, service: ControlsDep) -> CollectionOut:
    report = service.collect(body.collectors, trigger="api", actor=actor_of(caller))
    return CollectionOut(
        run_id=report.run_id,
        collections=[
            {
                "collector": c.collector,
                "status": c.status,
                "evidence_sha256": c.evidence_sha256,
                "error": c.error,
                "findings": {
                    status: sum(1 for f in c.findings if f.status.value == status)
                    for status in ("pass", "fail", "error", "not_applicable")
                },
            }
            for c in report.collections
        ],
    )


@router.post("/attestations", status_code=201, summary="Record a manual attestation")
def post_attestation(body: AttestationIn, caller: Runner, service: ControlsDep) -> dict[str, Any]:

    document = None
    if body.document_base64 is not None:
        try:
            document = base64.b64decode(body.document_base64, validate=True)
        except (binascii.Error, ValueError):
            raise AttestationError("document_base64 is not valid base64") from None
    item = service.attest(
        kind=body.kind,
        title=body.title,
        attested_by=body.attested_by,
        expires_at=body.expires_at,
        document=document,
        media_type=body.media_type,
        actor=actor_of(caller),
    )
    return item.model_dump(mode="json")


def _summary(service: ControlsService, control_id: str, posture: ControlPosture) -> ControlSummary:
    control = service.catalog.control(control_id)
    return ControlSummary(
        id=control.id,
        title=control.title,
        owner=control.owner,
        frequency=control.frequency.value,
        severity=control.severity.value,
        status=posture.status.value,
        checks=list(control.checks),
        mappings={k: list(v) for k, v in control.mappings.items()},
        newest_evidence_at=posture.newest_evidence_at,
    )

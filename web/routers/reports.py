"""Reports and auditor evidence bundles: request, follow (state + percent), download.

Auditors see only the frameworks and window of their engagement scope; every generation and
download is an audit event (the download is refused if it cannot be recorded).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from identity import Caller
from reports import InvalidReportRequestError, Job, Requester, Window
from web.deps import ReportsDep, require

router = APIRouter(tags=["reports"])

Reader = Annotated[Caller, Depends(require("reports:read", "report"))]
Generator = Annotated[Caller, Depends(require("reports:generate", "report"))]
Scoper = Annotated[Caller, Depends(require("admin:manage", "auditor_scope"))]
JobId = Annotated[str, Path(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
FRAMEWORK = Field(pattern=r"^[a-z0-9_]{1,32}$")


ServiceDep = ReportsDep


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: Literal["framework", "access_review", "key_inventory", "privacy_performance"] = (
        "framework"
    )
    framework: str | None = Field(default=None, pattern=r"^[a-z0-9_]{1,32}$")
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    format: Literal["html", "pdf"] = "html"


class BundleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    framework: str = FRAMEWORK
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")


class ScopeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    frameworks: list[Annotated[str, FRAMEWORK]] = Field(min_length=1, max_length=8)
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")


def requester(caller: Caller) -> Requester:
    return Requester(id=caller.id, kind=caller.kind.value, roles=frozenset(caller.roles))


def _window(start: datetime, end: datetime) -> Window:
    try:
        return Window(_utc(start), _utc(end))
    except OverflowError as exc:  # e.g. 0001-01-01 with a positive offset
        raise InvalidReportRequestError("a window bound is out of range") from exc


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _out(job: Job, request: Request, base: str) -> dict[str, Any]:
    body = job.as_json()
    body["links"] = {
        "self": f"{base}/{job.id}",
        "download": (
            f"{base}/{job.id}/download"
            if job.state.value == "done" and job.pruned_at is None
            else None
        ),
    }
    return body


def _accepted(job: Job, request: Request, base: str) -> JSONResponse:
    return JSONResponse(
        _out(job, request, base), status_code=202, headers={"Location": f"{base}/{job.id}"}
    )


def _download(job: Job, path: Any) -> FileResponse:
    stamp = job.created_at.strftime("%Y%m%d")
    name = f"{job.kind.value}-{job.framework or 'all'}-{stamp}-{job.id}.{job.format}"
    return FileResponse(
        path,
        media_type=job.media_type,
        filename=name,
        headers={"X-Content-SHA256": job.sha256 or ""},
    )


# --- reports ----------------------------------------------------------------------------


@router.get("/v1/reports", summary="Reports the caller may see, newest first")
def list_reports(
    request: Request,
    caller: Reader,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    jobs = service.recent(requester(caller), bundles=False, limit=limit)
    return {"reports": [_out(job, request, "/v1/reports") for job in jobs]}


@router.post(
    "/v1/reports",
    status_code=202,
    summary="Request a report; it is built in the background (follow its Location)",
)
def create_report(
    body: ReportIn, request: Request, caller: Generator, service: ServiceDep
) -> JSONResponse:
    job = service.request(
        body.kind, body.framework, _window(body.start, body.end), body.format, requester(caller)
    )
    return _accepted(job, request, "/v1/reports")


@router.get("/v1/reports/{job_id}", summary="A report's state, percent and links")
def get_report(
    job_id: JobId, request: Request, caller: Reader, service: ServiceDep
) -> dict[str, Any]:
    return _out(service.job(job_id, requester(caller), bundle=False), request, "/v1/reports")


@router.get(
    "/v1/reports/{job_id}/download",
    summary="The finished report (HTML or PDF); the download is audited",
    response_class=FileResponse,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
def download_report(job_id: JobId, caller: Reader, service: ServiceDep) -> FileResponse:
    job, path = service.download(job_id, requester(caller), bundle=False)
    return _download(job, path)


# --- bundles ----------------------------------------------------------------------------


@router.get("/v1/bundles", summary="Evidence bundles the caller may see, newest first")
def list_bundles(
    request: Request,
    caller: Reader,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    jobs = service.recent(requester(caller), bundles=True, limit=limit)
    return {"bundles": [_out(job, request, "/v1/bundles") for job in jobs]}


@router.post(
    "/v1/bundles",
    status_code=202,
    summary="Request an auditor evidence bundle for a framework and window (background)",
)
def create_bundle(
    body: BundleIn, request: Request, caller: Generator, service: ServiceDep
) -> JSONResponse:
    job = service.request(
        "bundle", body.framework, _window(body.start, body.end), "zip", requester(caller)
    )
    return _accepted(job, request, "/v1/bundles")


@router.get("/v1/bundles/{job_id}", summary="A bundle's state, percent and links")
def get_bundle(
    job_id: JobId, request: Request, caller: Reader, service: ServiceDep
) -> dict[str, Any]:
    return _out(service.job(job_id, requester(caller), bundle=True), request, "/v1/bundles")


@router.get(
    "/v1/bundles/{job_id}/download",
    summary="The finished bundle (zip); verify it offline with `trustplane bundle verify`",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def download_bundle(job_id: JobId, caller: Reader, service: ServiceDep) -> FileResponse:
    job, path = service.download(job_id, requester(caller), bundle=True)
    return _download(job, path)


# --- auditor engagement scopes ----------------------------------------------------------


@router.put(
    "/v1/reports/scopes/{account_id}",
    summary="Set the frameworks and window an auditor's engagement covers",
)
def set_scope(
    account_id: Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")],
    body: ScopeIn,
    caller: Scoper,
    service: ServiceDep,
) -> dict[str, Any]:
    scope = service.set_scope(
        account_id, body.frameworks, _window(body.start, body.end), requester(caller)
    )
    return {
        "account_id": scope.account_id,
        "frameworks": sorted(scope.frameworks),
        **scope.window.as_json(),
    }

"""Decision point HTTP face: /v1/authorize(+batch), AuthZEN, OPA Data API, policy revisions,
and the OPA control plane (/bundles, /logs, /status)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from identity import Caller
from policies import (
    MAX_BATCH,
    POLICY_EVALUATION_FAILED,
    AuthorizationRequest,
    DecisionLogUnavailableError,
    DecisionOut,
    EvaluationError,
    FactRefusedError,
    PolicyRoom,
    RevisionNotFoundError,
    Uploader,
    query_for_path,
    validate_request,
)
from policies.authzen import evaluate_many, to_access_request, to_authzen_response
from policies.opa.control import ingest_decision_logs, record_status
from web.deps import PolicyRoomDep, client_ip, require, run_short
from web.settle import decide_durably

BUNDLE_NAME = "finsolve"
T = TypeVar("T")

router = APIRouter(tags=["policies"])

Decider = Annotated[Caller, Depends(require("decide", "decision"))]
PolicyReader = Annotated[Caller, Depends(require("policy:read", "policy"))]
PolicyManager = Annotated[Caller, Depends(require("policy:manage", "policy"))]
BundleReader = Annotated[Caller, Depends(require("bundles:read", "bundle"))]
LogWriter = Annotated[Caller, Depends(require("decision_logs:write", "decision_log"))]
AgentReporter = Annotated[Caller, Depends(require("agents:report", "agent"))]


async def decided(room: PolicyRoom, work: Callable[[], T]) -> T:
    """One decision: on the event loop when it is CPU work only (the loaded embedded engine,
    well under a millisecond, cheaper than a threadpool hop), else in the threadpool (a
    remote OPA, or the first decision, which loads the bundle). Batches always use the
    threadpool: a thousand decisions would hold up every other request (ADR 0007)."""
    return await run_short(room.decides_inline, work)


class BatchRequest(BaseModel):
    requests: list[Any] = Field(max_length=MAX_BATCH)


class DataRequest(BaseModel):
    input: Any = None


class RollbackRequest(BaseModel):
    revision: str = Field(pattern=r"^[0-9a-f]{64}$")


@router.post("/v1/authorize", response_model=DecisionOut, summary="Decide one request")
async def authorize(
    body: AuthorizationRequest, caller: Decider, room: PolicyRoomDep
) -> dict[str, Any]:
    request = body.model_dump(exclude_unset=True)
    decision = await decide_durably(
        room,
        lambda: room.decisions.evaluate(request, entry_point="authorize", requested_by=caller.id),
        request,
    )
    return decision.as_dict()


@router.post(
    "/v1/authorize/batch",
    summary="Decide up to 1,000 requests, in order",
    response_class=JSONResponse,
    responses={200: {"description": '{"decisions": [decision or {"error": {...}}, ...]}'}},
)
def authorize_batch(body: BatchRequest, caller: Decider, room: PolicyRoomDep) -> JSONResponse:
    answers = room.decisions.decide_many(body.requests, requested_by=caller.id)
    # plain JSON types already: skip FastAPI's per-item jsonable_encoder walk
    return JSONResponse({"decisions": [answer.as_dict() for answer in answers]})


@router.post("/access/v1/evaluation", summary="AuthZEN 1.0 access evaluation")
async def authzen_evaluation(
    body: dict[str, Any], caller: Decider, room: PolicyRoomDep
) -> dict[str, Any]:
    request = validate_request(to_access_request(body))
    decision = await decide_durably(
        room,
        lambda: room.decisions.evaluate(request, entry_point="authzen", requested_by=caller.id),
        request,
    )
    return to_authzen_response(decision)


@router.post("/access/v1/evaluations", summary="AuthZEN 1.0 access evaluations (batch)")
def authzen_evaluations(
    body: dict[str, Any], caller: Decider, room: PolicyRoomDep
) -> dict[str, Any]:
    return evaluate_many(
        body,
        lambda request: room.decisions.decide_raw(
            request, entry_point="authzen", requested_by=caller.id
        ),
        max_items=MAX_BATCH,
    )


def _data(path: str, input_document: Any, caller: Caller, room: PolicyRoom) -> dict[str, Any]:
    query = query_for_path(path)
    document = input_document if isinstance(input_document, dict) else {}
    try:
        result = room.decisions.query(query, document, requested_by=caller.id)
    except DecisionLogUnavailableError:
        raise  # not answered at all: 503 + Retry-After, never a decision without its event
    except FactRefusedError as refused:  # a cited record does not check out (ADR 0212)
        if query.endswith(".decision"):
            reasons = refused.reasons
            return {
                "decision_id": refused.decision_id,
                "result": {"allow": False, "reasons": reasons},
            }
        if query.endswith(".allow"):
            return {"decision_id": refused.decision_id, "result": False}
        raise
    except EvaluationError:
        if query.endswith(".decision"):
            return {"result": {"allow": False, "reasons": [POLICY_EVALUATION_FAILED]}}
        if query.endswith(".allow"):
            return {"result": False}
        raise
    body: dict[str, Any] = {"decision_id": result.decision_id}
    if result.evaluation.defined:
        body["result"] = result.evaluation.value
    return body


DATA_PATH_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A path segment is not a Rego identifier"}
}


@router.post(
    "/v1/data/{path:path}",
    summary="OPA Data API: evaluate data.<path> with input",
    responses=DATA_PATH_PROBLEMS,
)
async def data_post(
    caller: Decider,
    room: PolicyRoomDep,
    path: Annotated[str, Path(max_length=512)],
    body: DataRequest | None = None,
) -> dict[str, Any]:
    return await decided(room, lambda: _data(path, body.input if body else None, caller, room))


@router.get(
    "/v1/data/{path:path}", summary="OPA Data API without input", responses=DATA_PATH_PROBLEMS
)
async def data_get(
    caller: Decider, room: PolicyRoomDep, path: Annotated[str, Path(max_length=512)]
) -> dict[str, Any]:
    return await decided(room, lambda: _data(path, None, caller, room))


@router.get("/v1/policy/revisions", summary="Stored bundle revisions, newest first")
def revisions(caller: PolicyReader, room: PolicyRoomDep) -> dict[str, Any]:
    listed = room.store.revisions()
    active = next((info.revision for info in listed if info.active), None)
    return {"active": active, "revisions": [info.as_dict() for info in listed]}


@router.post("/v1/policy/rollback", summary="Activate an earlier stored revision")
def rollback(body: RollbackRequest, caller: PolicyManager, room: PolicyRoomDep) -> dict[str, Any]:
    if not room.store.exists(body.revision):
        raise RevisionNotFoundError(f"no stored revision {body.revision}")
    pointer = room.bundles.rollback(body.revision, actor=caller.id)
    return {"active": pointer.revision, "generation": pointer.generation}


@router.get("/v1/policy/agents", summary="Latest status report of each OPA agent")
def agents(caller: PolicyReader, room: PolicyRoomDep) -> dict[str, Any]:
    return {"agents": [agent.as_dict() for agent in room.store.agents()]}


@router.get(
    "/bundles/{name}",
    summary="OPA bundle service: the active revision as .tar.gz (ETag / If-None-Match)",
    response_class=Response,
    responses={
        200: {"content": {"application/gzip": {"schema": {"type": "string"}}}},
        304: {"description": "Not modified"},
    },
)
def bundle(
    name: str,
    caller: BundleReader,
    room: PolicyRoomDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    if name.removesuffix(".tar.gz") != BUNDLE_NAME:
        raise RevisionNotFoundError(f"no bundle named {name!r}")
    revision, archive = room.bundle_archive()
    etag = f'"{revision}"'
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(archive, media_type="application/gzip", headers={"ETag": etag})


def uploader_of(request: Request, caller: Caller) -> Uploader:
    """The authenticated uploader (account, address, request id), never the upload's claims."""
    return Uploader(
        account_id=caller.id,
        kind=caller.kind.value,
        roles=tuple(sorted(caller.roles)),
        ip=client_ip(request),
        request_id=getattr(request.state, "request_id", None),
    )


@router.post(
    "/logs",
    summary="OPA decision-log upload (gzip JSON array), recorded as reported by the agent",
    responses={
        200: {"description": '{"recorded": n, "refused": [{"decision_id", "reason"}]}'},
        503: {
            "description": "decision-ids-in-flight: an id is being recorded by another upload "
            "(the rest is recorded); send the upload again after Retry-After"
        },
    },
)
async def decision_logs(
    request: Request,
    caller: LogWriter,
    room: PolicyRoomDep,
    content_encoding: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    body = await request.body()
    report = await run_in_threadpool(
        lambda: ingest_decision_logs(
            body,
            content_encoding,
            recorder=room.logger.recorder,
            engine=room.bundles.current(),
            uploader=uploader_of(request, caller),
            known=room.decision_ids,
            hasher=room.logger.hasher,
            claims=room.reported_claims,
        )
    )
    return report.as_dict()


@router.post("/status", status_code=204, summary="OPA status report (kept with its reporter)")
async def status(
    request: Request,
    caller: AgentReporter,
    room: PolicyRoomDep,
    content_encoding: Annotated[str | None, Header()] = None,
) -> Response:
    body = await request.body()
    uploader = uploader_of(request, caller)
    await run_in_threadpool(
        lambda: record_status(body, content_encoding, store=room.store, uploader=uploader)
    )
    return Response(status_code=204)

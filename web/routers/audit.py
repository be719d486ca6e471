"""Audit log API: events (each read is itself audited), checkpoints, proofs, public key, hash.

Proofs and events carry hex hashes and base64 canonical bytes so an independent verifier
recomputes leaves and roots (RFC 6962) and checks checkpoints against the public key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from audit import (
    AuditEventIn,
    AuditLog,
    AuditNotFoundError,
    AuditRangeError,
    Checkpoint,
    EventFilter,
    EventType,
    Origin,
    Outcome,
    Target,
)
from identity import Caller, actor_of
from web.deps import AuditLogDep, client_ip, require
from web.jsonsafe import check_json_value

router = APIRouter(prefix="/v1/audit", tags=["audit"])

Reader = Annotated[Caller, Depends(require("audit:read", "audit_log"))]
Checkpointer = Annotated[Caller, Depends(require("audit:checkpoint", "audit_log"))]
Hasher = Annotated[Caller, Depends(require("audit:hash", "audit_log"))]
Index = Annotated[int, Query(ge=0, le=2**62)]
MAX_INDEX = 2**63 - 1  # the stored sequence number is a signed 64-bit integer
# filter values are compared with stored text: no NUL or other control characters
PLAIN_TEXT = r"^[^\x00-\x1f\x7f]*$"
NOTE = "text/plain; charset=utf-8"


def _record_read(
    log: AuditLog, request: Request, caller: Caller, action: str, **details: Any
) -> None:
    """Audit a read of the log (PCI DSS 10.2.1.3); raises AuditUnavailableError (503)."""
    log.record(
        AuditEventIn(
            type=EventType.AUDIT_READ,
            actor=actor_of(caller),
            origin=Origin(
                ip=client_ip(request), request_id=getattr(request.state, "request_id", None)
            ),
            target=Target(type="audit_log"),
            details={"action": action, **details},
        )
    )


class EventOut(BaseModel):
    index: int
    event: dict[str, Any]
    canonical: str = Field(description="RFC 8785 bytes of the event, base64")
    leaf_hash: str = Field(description="SHA-256(0x00 || canonical), hex")


class EventPageOut(BaseModel):
    events: list[EventOut]
    next_cursor: int | None = Field(description="Pass as ``cursor`` for the next page")


class InclusionOut(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    hashes: list[str]
    checkpoint: str = Field(
        description="The signed checkpoint (C2SP note) of ``tree_size`` the proof is against"
    )


class ConsistencyOut(BaseModel):
    first: int
    second: int
    hashes: list[str]


class HashIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any = Field(description="The known value (as it appeared in the event's details)")

    @field_validator("value")
    @classmethod
    def _carriable(cls, value: Any) -> Any:
        check_json_value(value)  # NaN, 2^60, a lone surrogate, deep nesting: 422, not 500
        return value


class HashOut(BaseModel):
    hash: str


@router.get("/events", summary="Events matching filters, oldest first (cursor pagination)")
def list_events(
    request: Request,
    caller: Reader,
    log: AuditLogDep,
    *,
    type: EventType | None = None,
    outcome: Outcome | None = None,
    actor_id: Annotated[str | None, Query(max_length=255, pattern=PLAIN_TEXT)] = None,
    target_type: Annotated[str | None, Query(max_length=128, pattern=PLAIN_TEXT)] = None,
    target_id: Annotated[str | None, Query(max_length=255, pattern=PLAIN_TEXT)] = None,
    request_id: Annotated[str | None, Query(max_length=128, pattern=PLAIN_TEXT)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Annotated[int, Query(ge=-1, le=2**62)] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPageOut:
    where = EventFilter(
        type=type.value if type else None,
        outcome=outcome.value if outcome else None,
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        request_id=request_id,
        since=_utc(since),
        until=_utc(until),
    )
    page = log.events(where, after=cursor, limit=limit)
    filters = {k: v for k, v in request.query_params.items() if k not in {"cursor", "limit"}}
    _record_read(log, request, caller, "events.list", filters=filters, count=len(page.events))
    return EventPageOut(
        events=[EventOut(**event.as_json()) for event in page.events],
        next_cursor=page.next_cursor,
    )


def _utc(moment: datetime | None) -> datetime | None:
    """Offsets in the query are honoured; a time without one is taken as UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@router.get("/events/{index}", summary="One stored event and its canonical bytes")
def get_event(
    index: Annotated[int, Path(le=MAX_INDEX)], request: Request, caller: Reader, log: AuditLogDep
) -> EventOut:
    if index < 0:
        raise AuditNotFoundError(f"no event at index {index}")
    event = log.event(index)
    _record_read(log, request, caller, "events.get", index=index)
    return EventOut(**event.as_json())


def _note(text: str) -> Response:
    return Response(content=text, media_type=NOTE)


@router.get(
    "/checkpoint",
    summary="The latest signed checkpoint (C2SP signed note)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def get_checkpoint(_caller: Reader, log: AuditLogDep) -> Response:
    checkpoint = log.latest_checkpoint()
    if checkpoint is None:
        raise AuditNotFoundError("no checkpoint has been issued yet")
    return _note(checkpoint.note)


@router.post(
    "/checkpoint",
    summary="Issue a checkpoint of the current tree now and return it",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def post_checkpoint(request: Request, caller: Checkpointer, log: AuditLogDep) -> Response:
    log.record(
        AuditEventIn(
            type=EventType.ADMIN_ACTION,
            actor=actor_of(caller),
            origin=Origin(
                ip=client_ip(request), request_id=getattr(request.state, "request_id", None)
            ),
            target=Target(type="audit_log"),
            details={"action": "checkpoint.issue"},
        )
    )
    return _note(log.checkpoint().note)


@router.get(
    "/proof/inclusion",
    summary="RFC 6962 inclusion proof of a leaf against a signed checkpoint",
    description=(
        "``tree_size`` is the size of a signed checkpoint (default: the latest one); the "
        "answer carries that checkpoint, so `trustplane audit verify-proof` checks it offline."
    ),
)
def inclusion_proof(
    _caller: Reader, log: AuditLogDep, index: Index, tree_size: Index | None = None
) -> InclusionOut:
    checkpoint = _signed_checkpoint(log, index, tree_size)
    proof = log.inclusion_proof(index, checkpoint.tree_size)
    return InclusionOut(**proof.as_json(), checkpoint=checkpoint.note)


def _signed_checkpoint(log: AuditLog, index: int, tree_size: int | None) -> Checkpoint:
    if tree_size is None:
        latest = log.latest_checkpoint()
        if latest is None or latest.tree_size <= index:
            raise AuditRangeError(
                f"no signed checkpoint covers event {index} yet (POST /v1/audit/checkpoint)"
            )
        return latest
    if tree_size > log.tree_size():
        raise AuditRangeError(f"tree size {tree_size} is beyond the log")
    found = log.checkpoint_at(tree_size)
    if found is None:
        raise AuditRangeError(f"tree size {tree_size} is not the size of a signed checkpoint")
    return found


@router.get("/proof/consistency", summary="RFC 6962 consistency proof between two tree sizes")
def consistency_proof(
    _caller: Reader, log: AuditLogDep, first: Index, second: Index | None = None
) -> ConsistencyOut:
    return ConsistencyOut(**log.consistency_proof(first, second).as_json())


@router.get(
    "/public-key",
    summary="The signed-note verifier key: name+hex(keyid)+base64(0x01||pubkey)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def public_key(_caller: Reader, log: AuditLogDep) -> Response:
    return _note(log.public_key() + "\n")


@router.post("/hash", summary="The redacted form of a known value, to search events by it")
def hash_value(body: HashIn, request: Request, caller: Hasher, log: AuditLogDep) -> HashOut:
    digest = log.hash_value(body.value)
    _record_read(log, request, caller, "hash")
    return HashOut(hash=digest)

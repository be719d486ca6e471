"""Field-level encryption API (vault room): encrypt, decrypt, blind index, shred, keys.

Batches of up to ``max_batch`` fields; every item is answered on its own, a bad item gets
its own RFC 9457 problem object while the others are answered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from audit import AuditEventIn, AuditLog, EventType, Origin, Outcome, Target
from identity import Caller, actor_of
from vault import (
    Accessor,
    BatchTooLargeError,
    FieldContext,
    FieldKind,
    VaultError,
    VaultServices,
)
from web.deps import AuditLogDep, BlindIndexGuardDep, MetricsDep, VaultDep, client_ip, require
from web.errors import RateLimitedError
from web.metrics import Metrics
from web.problems import PROBLEM_BASE, kind_for
from web.ratelimit import BlindIndexGuard

router = APIRouter(prefix="/v1", tags=["fields"])

MAX_ITEMS = 1000


class ContextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_type: str = Field(min_length=1, max_length=128)
    field: str = Field(min_length=1, max_length=128)
    owner_id: str = Field(default="", max_length=255)
    classification: int = Field(default=3, ge=1, le=4)


class EncryptItem(BaseModel):
    value: str = Field(max_length=65_536)
    context: ContextIn


class EncryptRequest(BaseModel):
    fields: list[EncryptItem] = Field(min_length=1, max_length=MAX_ITEMS)


class EncryptResponse(BaseModel):
    ciphertexts: list[str | None]
    errors: list[dict[str, Any] | None]


class DecryptItem(BaseModel):
    ciphertext: str = Field(max_length=200_000)
    context: ContextIn


class DecisionContextIn(BaseModel):
    """What the caller states for the decision point (docs/access-model.md request ``context``)."""

    model_config = ConfigDict(extra="forbid")

    ticket_customer_id: str | None = Field(default=None, max_length=255)
    dsr_id: str | None = Field(default=None, max_length=255)
    justification: str | None = Field(default=None, max_length=2000)
    incident_id: str | None = Field(default=None, max_length=255)
    consents: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=64)
    region: str | None = Field(default=None, max_length=64)
    residency: str | None = Field(default=None, max_length=8)
    # the data-map system holding the fields: its region is then trustplane's (ADR 0212)
    system: str | None = Field(default=None, max_length=64)


class DecryptRequest(BaseModel):
    purpose: str = Field(min_length=1, max_length=128)
    context: DecisionContextIn = Field(default_factory=DecisionContextIn)
    fields: list[DecryptItem] = Field(min_length=1, max_length=MAX_ITEMS)


class DecryptedValue(BaseModel):
    value: str | None
    masked: bool
    error: dict[str, Any] | None


class DecryptResponse(BaseModel):
    values: list[DecryptedValue]


class BlindIndexItem(BaseModel):
    value: str = Field(max_length=4096)
    context: ContextIn
    kind: FieldKind | None = None


class BlindIndexRequest(BaseModel):
    fields: list[BlindIndexItem] = Field(min_length=1, max_length=MAX_ITEMS)


class BlindIndexResponse(BaseModel):
    indexes: list[str | None]
    errors: list[dict[str, Any] | None]


class ShredResponse(BaseModel):
    subject_id: str
    shredded_at: datetime
    keys_destroyed: int


class KeyOut(BaseModel):
    name: str
    id: str
    provider: str
    version: int
    min_decryption_version: int
    created_at: str | None
    last_rotated_at: str | None
    rotation_age_days: float | None
    data_keys_by_version: dict[str, int]


class KeysResponse(BaseModel):
    keys: list[KeyOut]


def _context(services: VaultServices, context: ContextIn) -> FieldContext:
    return FieldContext(
        resource_type=context.resource_type,
        field=context.field,
        owner_id=context.owner_id,
        classification=context.classification,
        tenant=services.tenant,
    )


def item_problem(error: VaultError, index: int) -> dict[str, Any]:
    """The problem object of one failed item (never plaintext, never key material)."""
    kind = kind_for(error)  # the one map from room errors to problems (web.problems)
    problem: dict[str, Any] = {
        "type": PROBLEM_BASE + kind.slug,
        "title": kind.title,
        "status": kind.status,
        "detail": str(error) or kind.title,
        "index": index,
    }
    reasons = getattr(error, "reasons", ())
    if reasons:
        problem["reasons"] = list(reasons)
    return problem


def _origin(request: Request) -> Origin:
    return Origin(ip=client_ip(request), request_id=getattr(request.state, "request_id", None))


def _check_size(count: int, services: VaultServices) -> None:
    if count > services.cipher.max_batch:
        raise BatchTooLargeError(f"at most {services.cipher.max_batch} fields per batch")


EncryptCaller = Annotated[Caller, Depends(require("fields:encrypt", "field"))]
DecryptCaller = Annotated[Caller, Depends(require("fields:decrypt", "field"))]
ShredCaller = Annotated[Caller, Depends(require("subjects:shred", "data_subject"))]
KeysReader = Annotated[Caller, Depends(require("evidence:read", "key"))]
KeyAdmin = Annotated[Caller, Depends(require("admin:manage", "key"))]


@router.post("/fields/encrypt", summary="Encrypt fields (envelope AES-256-GCM)")
def encrypt_fields(
    body: EncryptRequest, services: VaultDep, caller: EncryptCaller
) -> EncryptResponse:
    _check_size(len(body.fields), services)
    ciphertexts: list[str | None] = []
    errors: list[dict[str, Any] | None] = []
    for index, item in enumerate(body.fields):
        try:
            ciphertexts.append(
                services.cipher.encrypt(item.value, _context(services, item.context))
            )
            errors.append(None)
        except VaultError as exc:
            ciphertexts.append(None)
            errors.append(item_problem(exc, index))
    return EncryptResponse(ciphertexts=ciphertexts, errors=errors)


@router.post("/fields/decrypt", summary="Decrypt fields (authorized per field, audited)")
def decrypt_fields(
    body: DecryptRequest, request: Request, services: VaultDep, caller: DecryptCaller
) -> DecryptResponse:
    _check_size(len(body.fields), services)
    items: list[tuple[str, FieldContext]] = []
    bad: dict[int, VaultError] = {}
    for index, item in enumerate(body.fields):
        try:
            items.append((item.ciphertext, _context(services, item.context)))
        except VaultError as exc:
            bad[index] = exc
    accessor = Accessor(
        actor=actor_of(caller),
        purpose=body.purpose,
        origin=_origin(request),
        attributes=dict(caller.attributes),
        context=body.context.model_dump(exclude_none=True),
    )
    outcomes = iter(services.cipher.decrypt_batch(items, accessor) if items else [])
    values = []
    for index in range(len(body.fields)):
        if index in bad:
            values.append(
                DecryptedValue(value=None, masked=False, error=item_problem(bad[index], index))
            )
            continue
        outcome = next(outcomes)
        if outcome.error is not None:
            values.append(
                DecryptedValue(value=None, masked=False, error=item_problem(outcome.error, index))
            )
        else:
            value = outcome.value
            text = value if isinstance(value, str) else str(value)
            values.append(DecryptedValue(value=text, masked=outcome.masked, error=None))
    return DecryptResponse(values=values)


def _admit_blind_indexing(
    request: Request,
    caller: Caller,
    count: int,
    *,
    guard: BlindIndexGuard,
    metrics: Metrics,
    log: AuditLog,
) -> None:
    retry_after = guard.limiter.acquire(f"blind:{caller.id}", count)
    if retry_after > 0:
        metrics.blind_indexes.labels("refused").inc(count)
        raise RateLimitedError(retry_after)
    metrics.blind_indexes.labels("indexed").inc(count)
    crossed = guard.alarm.add(caller.id, count)
    if crossed is not None:  # recorded once per caller and minute; a failed write fails closed
        log.record(
            AuditEventIn(
                type=EventType.KEY_OPERATION,
                outcome=Outcome.FAILURE,
                actor=actor_of(caller),
                origin=_origin(request),
                target=Target(type="blind_index", id=caller.id),
                details={"alert": "unusual_blind_index_volume", "values_last_minute": crossed},
            )
        )


@router.post("/fields/blind-index", summary="Blind indexes (keyed HMAC) for equality search")
def blind_index(
    body: BlindIndexRequest,
    request: Request,
    *,
    services: VaultDep,
    guard: BlindIndexGuardDep,
    metrics: MetricsDep,
    log: AuditLogDep,
    caller: EncryptCaller,
) -> BlindIndexResponse:
    _check_size(len(body.fields), services)
    _admit_blind_indexing(request, caller, len(body.fields), guard=guard, metrics=metrics, log=log)
    indexes: list[str | None] = []
    errors: list[dict[str, Any] | None] = []
    for index, item in enumerate(body.fields):
        try:
            context = _context(services, item.context)
            indexes.append(services.blind_index.index(item.value, context, item.kind))
            errors.append(None)
        except VaultError as exc:
            indexes.append(None)
            errors.append(item_problem(exc, index))
    return BlindIndexResponse(indexes=indexes, errors=errors)


@router.post("/subjects/{subject_id}/shred", summary="Crypto-shred a data principal")
def shred_subject(
    subject_id: Annotated[str, Path(min_length=1, max_length=255)],
    request: Request,
    services: VaultDep,
    caller: ShredCaller,
    force: Annotated[
        bool,
        Query(description="Block an id that no data key exists for (destroys nothing)"),
    ] = False,
) -> ShredResponse:
    stone = services.keys.shred(
        subject_id,
        tenant=services.tenant,
        actor=actor_of(caller),
        origin=_origin(request),
        force=force,
    )
    return ShredResponse(
        subject_id=stone.subject_id,
        shredded_at=stone.shredded_at,
        keys_destroyed=stone.keys_destroyed,
    )


@router.get("/keys", summary="Key inventory (PCI DSS v4.0.1 3.6/3.7 evidence)")
def list_keys(services: VaultDep, caller: KeysReader) -> KeysResponse:
    return KeysResponse(keys=[KeyOut(**e.as_dict()) for e in services.keys.inventory()])


@router.post("/keys/{name}/rotate", summary="Rotate a key-encryption key (new writes)")
def rotate_key(
    name: Annotated[str, Path(pattern="^[A-Za-z0-9_-]{1,64}$")],
    request: Request,
    services: VaultDep,
    caller: KeyAdmin,
) -> KeyOut:
    services.keys.rotate(name, actor=actor_of(caller), origin=_origin(request))
    entry = next(e for e in services.keys.inventory() if e.info.name == name)
    return KeyOut(**entry.as_dict())

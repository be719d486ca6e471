"""OPA control-plane inputs: decision-log uploads (into the audit log) and status reports.

Provenance (ADR 0210): what an agent uploads is recorded as *reported by that agent* — type
``decision_reported``, actor = the uploading account, origin = its address and the request
id, target = the reported decision id, the claims (masked) under ``details.reported`` —
never as a first-hand decision of the claimed subject. A reported ``decision_id`` that the
log already holds (a first-hand decision, or an earlier report) is refused for that entry;
a malformed or oversized upload is refused whole.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from audit import (
    Actor,
    AuditEventIn,
    AuditRecorder,
    AuditUnconfirmedError,
    EventType,
    Origin,
    Outcome,
    Target,
    scrub_strings,
)
from policies.decision_ids import REPORTED_TARGET_TYPE
from policies.decision_log import DecisionLogEntry, audit_event, ephemeral_hasher
from policies.engines.port import PolicyEngine
from policies.errors import (
    AgentIdTakenError,
    DecisionIdsInFlightError,
    InvalidRequestError,
    UploadTooLargeError,
)
from policies.log_fields import Hasher, scrub
from policies.models import Decision
from policies.store import BundleStore

MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # as sent (gzip or not)
MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024
MAX_EVENTS = 10_000
IN_FLIGHT_RETRY_SECONDS = 30  # Retry-After when another upload holds an id's claim
MAX_DECISION_ID_CHARS = 128


@dataclass(frozen=True)
class Uploader:
    """Who sent an upload, as authenticated by trustplane (not as the upload claims)."""

    account_id: str
    kind: str
    roles: tuple[str, ...] = ()
    ip: str | None = None
    request_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "kind": self.kind,
            "roles": list(self.roles),
            "ip": self.ip,
            "request_id": self.request_id,
        }


class DecisionIdLookup(Protocol):
    def existing(self, decision_ids: Sequence[str]) -> set[str]:
        """The ids among ``decision_ids`` that the audit log already holds."""
        ...


class DecisionIdClaims(Protocol):
    """Atomic claims on new reported ids (``policies.ReportedDecisionClaims``): two uploads
    of one new id racing on two workers record it once; a claim left by an uploader killed
    before it recorded is taken over by the agent's retry once its lease is over (ADR 0214)."""

    def claim(self, decision_ids: Iterable[str]) -> set[str]:
        """The ids this call claimed; the others hold a claim already."""
        ...

    def take_over_stale(self, decision_ids: Iterable[str]) -> set[str]:
        """The ids whose claim outlived its lease and is now this caller's (one winner)."""
        ...

    def release(self, decision_ids: Iterable[str]) -> None: ...


@dataclass(frozen=True)
class IngestReport:
    recorded: list[str] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"recorded": len(self.recorded), "refused": self.refused}


def decode_upload(body: bytes, content_encoding: str | None) -> Any:
    """JSON from a (possibly gzip-compressed) body, refusing decompression bombs."""
    if (content_encoding or "").lower() == "gzip" or body[:2] == b"\x1f\x8b":
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            raw = decompressor.decompress(body, MAX_DECOMPRESSED_BYTES + 1)
        except zlib.error as exc:
            raise InvalidRequestError("body is not valid gzip") from exc
        if len(raw) > MAX_DECOMPRESSED_BYTES or decompressor.unconsumed_tail:
            raise InvalidRequestError("decompressed body too large")
    else:
        raw = body
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequestError("body is not valid JSON") from exc


def _allow_and_reasons(result: Any) -> tuple[bool, list[str], list[dict[str, Any]]]:
    if isinstance(result, bool):
        return result, [], []
    if isinstance(result, dict):
        reasons = result.get("reasons") if isinstance(result.get("reasons"), list) else []
        obligations = result.get("obligations")
        if not isinstance(obligations, list):
            obligations = []
        assert isinstance(reasons, list)
        allow = result.get("allow") is True
        return allow, [str(r) for r in reasons], [o for o in obligations if isinstance(o, dict)]
    return False, ["undefined"], []


def _revision(event: dict[str, Any]) -> str:
    bundles = event.get("bundles")
    if isinstance(bundles, dict):
        for info in bundles.values():
            if isinstance(info, dict) and isinstance(info.get("revision"), str):
                return str(info["revision"])
    return str(event.get("revision") or "unknown")


def opa_event_to_audit(
    event: dict[str, Any],
    engine: PolicyEngine | None,
    uploader: Uploader,
    hasher: Hasher | None = None,
) -> AuditEventIn:
    """The ``decision_reported`` event for one uploaded OPA decision-log entry."""
    decision_id = event["decision_id"]
    input_document = event.get("input") if isinstance(event.get("input"), dict) else {}
    assert isinstance(input_document, dict)
    allow, reasons, obligations = _allow_and_reasons(event.get("result"))
    labels = event.get("labels") if isinstance(event.get("labels"), dict) else {}
    assert isinstance(labels, dict)
    agent = str(labels.get("id") or "opa")
    entry = DecisionLogEntry(
        decision=Decision(allow, reasons, obligations, _revision(event), decision_id),
        input_document=input_document,
        entry_point="opa-decision-log",
        latency_seconds=_latency(event),
        engine=engine,
        requested_by=f"opa:{agent}",
        path=str(event.get("path") or ""),
        extra={
            "agent_id": agent,
            "agent_timestamp": str(event.get("timestamp") or ""),
            "agent_erased": event.get("erased") or [],
            "agent_masked": event.get("masked") or [],
        },
    )
    hasher = hasher or ephemeral_hasher()
    claimed = audit_event(entry, None, hasher)  # masked and pseudonymized like a first-hand one
    reported = {key: value for key, value in claimed.details.items() if key != "entry_point"}
    reported["actor"] = claimed.actor.model_dump(mode="json")
    reported["target"] = claimed.target.model_dump(mode="json")
    return AuditEventIn(
        type=EventType.DECISION_REPORTED,
        outcome=Outcome.SUCCESS,  # the report was received; the claimed outcome is reported
        actor=Actor(id=uploader.account_id, kind=uploader.kind, roles=uploader.roles),
        origin=Origin(
            ip=uploader.ip,
            request_id=uploader.request_id,
            service=scrub(f"opa-agent:{agent}", hasher),
        ),
        target=Target(type=REPORTED_TARGET_TYPE, id=decision_id),
        details={"entry_point": "opa-decision-log", "reported": reported},
    )


def _latency(event: dict[str, Any]) -> float:
    metrics = event.get("metrics")
    if isinstance(metrics, dict):
        nanos = metrics.get("timer_server_handler_ns") or metrics.get("timer_rego_query_eval_ns")
        if isinstance(nanos, int | float):
            return float(nanos) / 1e9
    return 0.0


def _validated_upload(body: bytes, content_encoding: str | None) -> list[dict[str, Any]]:
    """The upload's entries, or ``InvalidRequestError`` for the whole upload."""
    if len(body) > MAX_UPLOAD_BYTES:
        raise UploadTooLargeError(f"a decision-log upload holds at most {MAX_UPLOAD_BYTES} bytes")
    events = decode_upload(body, content_encoding)
    if not isinstance(events, list):
        raise InvalidRequestError("a decision-log upload is a JSON array of events")
    if len(events) > MAX_EVENTS:
        raise UploadTooLargeError(f"at most {MAX_EVENTS} events per upload")
    seen: set[str] = set()
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise InvalidRequestError(f"event {index} is not a JSON object")
        decision_id = event.get("decision_id")
        if (
            not isinstance(decision_id, str)
            or not decision_id
            or len(decision_id) > MAX_DECISION_ID_CHARS
            or not decision_id.isprintable()
        ):
            raise InvalidRequestError(f"event {index} needs a decision_id (1-128 printable)")
        if decision_id in seen:
            raise InvalidRequestError(f"event {index} repeats a decision_id of this upload")
        seen.add(decision_id)
        for key in ("input", "labels", "bundles", "metrics"):
            if key in event and event[key] is not None and not isinstance(event[key], dict):
                raise InvalidRequestError(f"event {index}: {key} must be a JSON object")
    return events


def ingest_decision_logs(
    body: bytes,
    content_encoding: str | None,
    *,
    recorder: AuditRecorder,
    engine: PolicyEngine | None,
    uploader: Uploader,
    known: DecisionIdLookup,
    hasher: Hasher | None = None,
    claims: DecisionIdClaims | None = None,
) -> IngestReport:
    """Record an OPA decision-log upload (a JSON array of events) as reported by
    ``uploader``; entries whose decision id the log already holds are refused. An id another
    upload claimed within its lease (``claims``) and the log does not hold yet is neither:
    the rest is recorded, then ``DecisionIdsInFlightError`` asks the agent to send the upload
    again. A claim past its lease was left by an upload that died before recording: it is
    taken over, and its id recorded unless the log holds it by now (ADR 0214)."""
    events = _validated_upload(body, content_encoding)
    existing = known.existing([event["decision_id"] for event in events])
    fresh = [e["decision_id"] for e in events if e["decision_id"] not in existing]
    claimed = claims.claim(fresh) if claims is not None else set(fresh)
    contested = [i for i in fresh if i not in claimed]
    in_flight: list[str] = []
    if claims is not None and contested:
        taken = claims.take_over_stale(contested)
        # the claim's holder may have recorded after our first look at the log
        recorded_late = known.existing(sorted(contested))
        existing |= recorded_late
        claimed |= taken - recorded_late
        in_flight = [i for i in contested if i not in existing and i not in taken]
    report = IngestReport()
    audited: list[AuditEventIn] = []
    waiting = set(in_flight)
    for event in events:
        decision_id = event["decision_id"]
        if decision_id in waiting:
            continue  # neither recorded nor refused: the agent sends it again (below)
        if decision_id in existing or decision_id not in claimed:
            reason = "decision_id already in the audit log"
            report.refused.append({"decision_id": decision_id, "reason": reason})
            continue
        audited.append(opa_event_to_audit(event, engine, uploader, hasher))
        report.recorded.append(decision_id)
    try:
        if audited:
            recorder.record_many(audited)
    except AuditUnconfirmedError:
        # still queued, maybe written yet: the claims stay, so a retry is asked to send
        # again until the log holds the ids or their lease is over (never recorded twice)
        raise
    except BaseException:
        if claims is not None:  # not recorded: the agent's retry must be accepted
            claims.release(report.recorded)
        raise
    if in_flight:
        # a 2xx would tell the agent these were delivered; they are not in the log yet
        raise DecisionIdsInFlightError(in_flight, len(report.recorded), IN_FLIGHT_RETRY_SECONDS)
    return report


def record_status(
    body: bytes, content_encoding: str | None, *, store: BundleStore, uploader: Uploader
) -> str:
    """Store an OPA status report under its ``labels.id`` with who reported it (``reported_by``);
    an agent id another account reported first is refused. Returns the agent id."""
    if len(body) > MAX_UPLOAD_BYTES:
        raise UploadTooLargeError(f"a status report holds at most {MAX_UPLOAD_BYTES} bytes")
    report = decode_upload(body, content_encoding)
    if not isinstance(report, dict):
        raise InvalidRequestError("a status report is a JSON object")
    labels = report.get("labels")
    agent_id = labels.get("id") if isinstance(labels, dict) else None
    if not isinstance(agent_id, str) or not agent_id or len(agent_id) > 256:
        raise InvalidRequestError("status report needs labels.id")
    active: str | None = None
    bundles = report.get("bundles")
    if isinstance(bundles, dict):
        for info in bundles.values():
            if isinstance(info, dict) and isinstance(info.get("active_revision"), str):
                active = str(info["active_revision"])
                break
    previous = next((a for a in store.agents() if a.agent_id == agent_id), None)
    if previous is not None:
        owner = previous.status.get("reported_by", {}).get("account_id")
        if owner is not None and owner != uploader.account_id:
            raise AgentIdTakenError(f"agent id {agent_id!r} reports from another account")
    # a status report is free-form: personal-data patterns never reach the store in clear
    stored = scrub_strings(
        {key: value for key, value in report.items() if key != "reported_by"},
        lambda kind, _found: f"[redacted:{kind}]",
    )
    stored["reported_by"] = uploader.as_dict()
    store.record_agent_status(agent_id, active, stored)
    return agent_id

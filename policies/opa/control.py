"""OPA control-plane inputs: decision-log uploads (into the audit log) and status reports."""

from __future__ import annotations

import json
import zlib
from typing import Any

from audit import AuditEventIn, AuditRecorder, Outcome
from policies.decision_log import DecisionLogEntry, audit_event
from policies.engines.port import PolicyEngine
from policies.errors import InvalidRequestError
from policies.models import Decision
from policies.store import BundleStore

MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024
MAX_EVENTS = 10_000


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


def opa_event_to_audit(event: dict[str, Any], engine: PolicyEngine | None) -> AuditEventIn:
    decision_id = event.get("decision_id")
    if not isinstance(decision_id, str) or not decision_id:
        raise InvalidRequestError("every decision-log event needs a decision_id")
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
    audited = audit_event(entry)
    if not allow:
        return audited.model_copy(update={"outcome": Outcome.FAILURE})
    return audited


def _latency(event: dict[str, Any]) -> float:
    metrics = event.get("metrics")
    if isinstance(metrics, dict):
        nanos = metrics.get("timer_server_handler_ns") or metrics.get("timer_rego_query_eval_ns")
        if isinstance(nanos, int | float):
            return float(nanos) / 1e9
    return 0.0


def ingest_decision_logs(
    body: bytes,
    content_encoding: str | None,
    *,
    recorder: AuditRecorder,
    engine: PolicyEngine | None,
) -> int:
    """Record an OPA decision-log upload (a JSON array of events); returns how many."""
    events = decode_upload(body, content_encoding)
    if not isinstance(events, list):
        raise InvalidRequestError("a decision-log upload is a JSON array of events")
    if len(events) > MAX_EVENTS:
        raise InvalidRequestError(f"at most {MAX_EVENTS} events per upload")
    if not all(isinstance(event, dict) for event in events):
        raise InvalidRequestError("every decision-log event is a JSON object")
    audited = [opa_event_to_audit(event, engine) for event in events]
    if audited:
        recorder.record_many(audited)
    return len(audited)


def record_status(body: bytes, content_encoding: str | None, *, store: BundleStore) -> str:
    """Store an OPA status report under its ``labels.id``; returns the agent id."""
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
    store.record_agent_status(agent_id, active, report)
    return agent_id

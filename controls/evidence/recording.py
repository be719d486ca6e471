"""Store an item and record it in the audit log with its hash (one call, used by runs)."""

from __future__ import annotations

from datetime import datetime

from audit import Actor, AuditEventIn, AuditRecorder, EventType, Target
from controls.evidence.model import EvidenceMeta, EvidenceStore


def store_and_record(
    store: EvidenceStore,
    recorder: AuditRecorder,
    content: bytes,
    *,
    collector: str,
    scope: str,
    collected_at: datetime,
    media_type: str = "application/json",
    actor: Actor | None = None,
) -> EvidenceMeta:
    """Put ``content`` in the store, then record ``evidence_collected`` carrying its SHA-256.

    ``AuditUnavailableError`` propagates: the caller fails closed.
    """
    meta = store.put(
        content, collector=collector, scope=scope, collected_at=collected_at, media_type=media_type
    )
    event = AuditEventIn(
        type=EventType.EVIDENCE_COLLECTED,
        target=Target(type="evidence", id=meta.sha256),
        details={
            "sha256": meta.sha256,
            "collector": collector,
            "scope": scope,
            "size": len(content),
            "media_type": media_type,
            "collected_at": collected_at.isoformat(),
        },
        **({"actor": actor} if actor else {}),
    )
    recorder.record(event)
    return meta

"""Manual attestations: validated, stored with their document as evidence, audited."""

from __future__ import annotations

from datetime import datetime

from audit import Actor, AuditRecorder
from controls.errors import AttestationError
from controls.evidence.model import EvidenceStore
from controls.evidence.recording import store_and_record
from controls.repository import ControlsRepository, new_id
from controls.snapshots.manual import ATTESTATION_KINDS, AttestationInfo


def attest(
    repository: ControlsRepository,
    store: EvidenceStore,
    recorder: AuditRecorder,
    *,
    kind: str,
    title: str,
    attested_by: str,
    attested_at: datetime,
    expires_at: datetime,
    document: bytes | None = None,
    media_type: str = "application/octet-stream",
    actor: Actor | None = None,
) -> AttestationInfo:
    if kind not in ATTESTATION_KINDS:
        raise AttestationError(
            f"unknown attestation kind {kind!r}; known: {sorted(ATTESTATION_KINDS)}"
        )
    if expires_at.tzinfo is None or attested_at.tzinfo is None:
        raise AttestationError("times must be timezone-aware")
    if expires_at <= attested_at:
        raise AttestationError("expires_at must be after attested_at")
    sha256 = None
    if document is not None:
        meta = store_and_record(
            store,
            recorder,
            document,
            collector="manual",
            scope=f"attestation:{kind}",
            collected_at=attested_at,
            media_type=media_type,
            actor=actor,
        )
        sha256 = meta.sha256
    return repository.add_attestation(
        AttestationInfo(
            id=new_id(),
            kind=kind,
            title=title,
            attested_by=attested_by,
            attested_at=attested_at,
            expires_at=expires_at,
            evidence_sha256=sha256,
        )
    )

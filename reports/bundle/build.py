"""Building an auditor evidence bundle from the evidence store and the audit log.

Two steps so the caller can render the report and OSCAL documents over exactly the
evidence that goes in: ``select_evidence`` reads the log for the window, ``write_bundle``
writes the zip, records the manifest's SHA-256 as the bundle's own audit event, takes a
checkpoint covering it and adds the inclusion proofs of every listed event against it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from audit import (
    SYSTEM_ACTOR,
    Actor,
    AuditEventIn,
    Checkpoint,
    EventFilter,
    EventPage,
    EventType,
    InclusionProof,
    RecordedEvent,
    Target,
)
from reports.bundle.layout import (
    BUNDLE_TARGET,
    CHECKPOINT,
    CONTROL_EVENT,
    EVENTS,
    EVIDENCE_EVENT,
    MANIFEST,
    MANIFEST_DIGEST_KEY,
    PROOFS,
    PUBLIC_KEY,
    event_line,
    evidence_meta_path,
    evidence_path,
    json_bytes,
)
from reports.bundle.spell import meta_document, proofs_document, rfc3339
from reports.errors import InvalidReportRequestError, ReportsError

PAGE = 1000
# members below this size, or already compressed, are stored: deflating them costs the
# writer and the verifier time and saves (almost) nothing
STORE_BELOW = 2048
COMPRESSED_TYPES = frozenset(
    {
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/pdf",
        "image/png",
        "image/jpeg",
        "application/zstd",
    }
)
MIN_YEAR, MAX_YEAR = 2000, 2999
Progress = Callable[[int, int], None]  # (done, total)


class BundleLog(Protocol):
    """What the builder needs of the audit log (``audit.AuditLog`` implements it)."""

    def events(
        self, where: EventFilter | None = None, *, after: int = -1, limit: int = 100
    ) -> EventPage: ...

    def record(self, event: AuditEventIn) -> RecordedEvent: ...

    def checkpoint(self) -> Checkpoint: ...

    def inclusion_proofs(self, indices: Sequence[int], tree_size: int) -> list[InclusionProof]: ...

    def public_key(self) -> str: ...


class EvidenceReader(Protocol):
    """What the builder reads of the evidence store: content, re-hashed (``EvidenceStore``)."""

    def get(self, sha256: str) -> bytes: ...


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InvalidReportRequestError("window bounds need a UTC offset")
        if self.end <= self.start:
            raise InvalidReportRequestError("the window's end must be after its start")
        if not (self.start.year >= MIN_YEAR and self.end.year <= MAX_YEAR):
            raise InvalidReportRequestError(f"a window lies within {MIN_YEAR}..{MAX_YEAR}")

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def as_json(self) -> dict[str, str]:
        return {"from": rfc3339(self.start), "to": rfc3339(self.end)}


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """One evidence_collected event in the window: the item and when it was stored."""

    index: int
    canonical: bytes
    sha256: str
    collector: str
    scope: str
    collected_at: datetime
    stored_at: datetime
    media_type: str = "application/json"
    size: int = 0


@dataclass
class Selection:
    """The events a bundle lists: evidence items collected in the window, control results."""

    framework: str
    window: Window
    evidence: list[EvidenceRecord] = field(default_factory=list)
    control_results: list[tuple[int, bytes]] = field(default_factory=list)

    def evidence_hashes(self) -> list[str]:
        return sorted({record.sha256 for record in self.evidence})


@dataclass(frozen=True)
class BundleResult:
    path: Path
    manifest_sha256: str
    event_index: int
    tree_size: int
    files: int
    evidence_items: int
    events: int


def select_evidence(log: BundleLog, framework: str, window: Window) -> Selection:
    """Evidence collected inside the window (stored at or after its start) and the
    control results recorded in it, read page by page through the log's type index."""
    return _select_evidence(log, framework, window)


def _select_evidence(log: BundleLog, framework: str, window: Window) -> Selection:
    selection = Selection(framework, window)
    for logged in _all(log, EventFilter(type=EVIDENCE_EVENT, since=window.start)):
        record = _evidence_record(logged.seq, logged.canonical)
        if record is not None and window.contains(record.collected_at):
            selection.evidence.append(record)
    where = EventFilter(type=CONTROL_EVENT, since=window.start, until=window.end)
    selection.control_results = [(e.seq, e.canonical) for e in _all(log, where)]
    return selection


def _all(log: BundleLog, where: EventFilter) -> Any:
    after = -1
    while True:
        page = log.events(where, after=after, limit=PAGE)
        yield from page.events
        if page.next_cursor is None:
            return
        after = page.next_cursor


def _evidence_record(index: int, canonical: bytes) -> EvidenceRecord | None:
    event = json.loads(canonical)
    details = event.get("details", {})
    try:
        return EvidenceRecord(
            index=index,
            canonical=canonical,
            sha256=str(details["sha256"]),
            collector=str(details.get("collector", "")),
            scope=str(details.get("scope", "")),
            collected_at=_parse(details["collected_at"]),
            stored_at=_parse(event["time"]),
            media_type=str(details.get("media_type", "application/octet-stream")),
            size=int(details.get("size", 0)),
        )
    except (KeyError, ValueError, TypeError):
        return None  # not an item this builder can place; it stays out of the bundle


def write_bundle(
    selection: Selection,
    documents: Mapping[str, bytes],
    destination: Path,
    *,
    log: BundleLog,
    store: EvidenceReader,
    bundle_id: str,
    actor: Actor = SYSTEM_ACTOR,
    generated_at: datetime | None = None,
    progress: Progress | None = None,
) -> BundleResult:
    """Write the bundle to ``destination`` (a temporary name, renamed when complete)."""
    return _write_bundle(
        selection,
        documents,
        destination,
        log=log,
        store=store,
        bundle_id=bundle_id,
        actor=actor,
        generated_at=generated_at,
        progress=progress,
    )


def _write_bundle(
    selection: Selection,
    documents: Mapping[str, bytes],
    destination: Path,
    *,
    log: BundleLog,
    store: EvidenceReader,
    bundle_id: str,
    actor: Actor,
    generated_at: datetime | None,
    progress: Progress | None,
) -> BundleResult:
    hashes = selection.evidence_hashes()
    total = len(hashes) + 3
    step = max(1, len(hashes) // 100)
    files: dict[str, str] = {}
    partial = destination.with_name(destination.name + ".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as out:

        def add(path: str, content: bytes, digest: str | None = None, media: str = "") -> None:
            stored = len(content) < STORE_BELOW or media in COMPRESSED_TYPES
            out.writestr(path, content, zipfile.ZIP_STORED if stored else None)
            files[path] = digest or hashlib.sha256(content).hexdigest()

        for path, content in sorted(documents.items()):
            add(path, content, media="application/pdf" if path.endswith(".pdf") else "")
        for done, (sha256, records) in enumerate(_items(selection.evidence), start=1):
            # get() re-hashes the content against its name: that hash is the manifest's
            add(evidence_path(sha256), store.get(sha256), sha256, _media_type(records))
            add(evidence_meta_path(sha256), meta_document(sha256, records))
            if progress is not None and done % step == 0:
                progress(done, total)
        manifest = json_bytes(
            {
                "framework": selection.framework,
                "window": selection.window.as_json(),
                "generated_at": rfc3339(generated_at or datetime.now(UTC)),
                "files": files,
            }
        )
        out.writestr(MANIFEST, manifest)
        digest = hashlib.sha256(manifest).hexdigest()
        receipt = log.record(_bundle_event(selection, digest, bundle_id, len(files), actor))
        if progress is not None:
            progress(len(hashes) + 1, total)
        checkpoint = log.checkpoint()
        if checkpoint.tree_size <= receipt.seq:
            raise ReportsError("the checkpoint does not cover the bundle's own event")
        listed = _listed_events(selection, receipt.seq, log)
        proofs = log.inclusion_proofs([index for index, _ in listed], checkpoint.tree_size)
        if progress is not None:
            progress(len(hashes) + 2, total)
        out.writestr(EVENTS, b"".join(event_line(i, c) for i, c in listed))
        out.writestr(CHECKPOINT, checkpoint.note)
        out.writestr(
            PROOFS,
            proofs_document(checkpoint.tree_size, proofs),
        )
        out.writestr(PUBLIC_KEY, log.public_key() + "\n")
    partial.replace(destination)
    if progress is not None:
        progress(total, total)
    return BundleResult(
        path=destination,
        manifest_sha256=digest,
        event_index=receipt.seq,
        tree_size=checkpoint.tree_size,
        files=len(files) + 1,
        evidence_items=len(hashes),
        events=len(listed),
    )


def _items(records: Sequence[EvidenceRecord]) -> Iterator[tuple[str, list[EvidenceRecord]]]:
    """Each item's events, items by hash, events earliest collection first: one sort, no
    list per item held for the whole build (the cyclic collector walks every held one)."""
    ordered = sorted(records, key=_item_order)
    for sha256, group in itertools.groupby(ordered, key=_sha256_of):
        yield sha256, list(group)


def _item_order(record: EvidenceRecord) -> tuple[str, datetime, int]:
    return record.sha256, record.collected_at, record.index


def _sha256_of(record: EvidenceRecord) -> str:
    return record.sha256


def _media_type(records: Sequence[EvidenceRecord]) -> str:
    """The type the item's first logged event gave it (decides deflate or store)."""
    if len(records) == 1:
        return records[0].media_type
    return min(records, key=_index_of).media_type


def _index_of(record: EvidenceRecord) -> int:
    return record.index


def _bundle_event(
    selection: Selection, digest: str, bundle_id: str, files: int, actor: Actor
) -> AuditEventIn:
    return AuditEventIn(
        type=EventType.REPORT_GENERATED,
        actor=actor,
        target=Target(type=BUNDLE_TARGET, id=bundle_id),
        details={
            MANIFEST_DIGEST_KEY: digest,
            "framework": selection.framework,
            **selection.window.as_json(),
            "files": files,
            "evidence_items": len(selection.evidence_hashes()),
        },
    )


def _listed_events(selection: Selection, own: int, log: BundleLog) -> list[tuple[int, bytes]]:
    events = {record.index: record.canonical for record in selection.evidence}
    events.update(dict(selection.control_results))
    own_filter = EventFilter(type=EventType.REPORT_GENERATED.value)
    own_page = log.events(own_filter, after=own - 1, limit=1)
    if not own_page.events or own_page.events[0].seq != own:
        raise ReportsError("the bundle's own audit event cannot be read back")
    events[own] = own_page.events[0].canonical
    return sorted(events.items())


def _parse(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)

"""Retention tiers (seed §8.2.2, PCI DSS 10.5.1, DPDP Rules 2025).

Events stay hot in the database for ``hot_days``; older ones are written as export-format
segments (signed checkpoint + range proof, verifiable offline) to an ``ArchiveStore``.
A segment's rows leave the database only after its archived copy has been read back and
verified; archived copies are deleted only once older than ``archive_days`` (>= 365).
Tree nodes are never deleted, so the tree over all time stays verifiable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from audit.archive import ArchiveStore
from audit.canonical import parse_time
from audit.errors import AuditError, AuditIntegrityError
from audit.export import export_lines, verify_export
from audit.log import AuditLog
from audit.store import as_utc

log = structlog.get_logger("audit.retention")

MIN_ARCHIVE_DAYS = 365


@dataclass
class RetentionReport:
    archived: list[str] = field(default_factory=list)
    purged_events: int = 0
    expired: list[str] = field(default_factory=list)


class RetentionService:
    def __init__(
        self,
        audit_log: AuditLog,
        archive: ArchiveStore,
        *,
        hot_days: int = 90,
        archive_days: int = 366,
        segment_events: int = 100_000,
    ) -> None:
        if archive_days < MIN_ARCHIVE_DAYS:
            raise AuditError("archived audit segments are kept at least 365 days")
        self.log = audit_log
        self.archive = archive
        self.hot = timedelta(days=hot_days)
        self.kept = timedelta(days=archive_days)
        self.segment_events = segment_events

    def run(self) -> RetentionReport:
        report = RetentionReport()
        report.archived = self.archive_due()
        report.purged_events = self.purge_verified()
        report.expired = self.expire_archives()
        return report

    def archive_due(self) -> list[str]:
        """Write segments for every event older than the hot period."""
        store = self.log.store
        cutoff = self.log.clock() - self.hot
        names: list[str] = []
        while True:
            head = store.head()
            start = max([row.end for row in store.segments()] + [head.archived_upto])
            stop = store.first_event_at_or_after(start, cutoff)
            end = min(head.tree_size if stop is None else stop, start + self.segment_events)
            if end <= start:
                return names
            names.append(self._archive_segment(start, end))

    def _archive_segment(self, start: int, end: int) -> str:
        checkpoint = self.log.checkpoint()
        data = ("\n".join(export_lines(self.log.store, checkpoint, start, end)) + "\n").encode()
        name = f"segments/{start:020d}-{end:020d}.jsonl"
        self.archive.put(name, data)
        self._verify_copy(name, hashlib.sha256(data).hexdigest())
        last = self.log.event(end - 1).document["time"]
        with self.log.store.engine.begin() as conn:
            self.log.store.add_segment(
                conn,
                start=start,
                end=end,
                name=name,
                sha256=hashlib.sha256(data).hexdigest(),
                last_event_at=parse_time(last),
                archived_at=self.log.clock(),
            )
        log.info("audit_segment_archived", start=start, end=end)
        return name

    def _verify_copy(self, name: str, sha256: str) -> None:
        data = self.archive.get(name)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise AuditIntegrityError(f"archived segment {name} differs from what was written")
        report = verify_export(data.decode().splitlines(), self.log.verifier, self.log.origin)
        if not report.ok:
            raise AuditIntegrityError(f"archived segment {name} does not verify")

    def purge_verified(self) -> int:
        """Delete hot rows of archived segments whose archive copy verifies now."""
        store = self.log.store
        purged = 0
        for segment in store.segments():
            if segment.purged_at is not None:
                continue
            self._verify_copy(segment.name, segment.sha256)
            with store.append_lock() as (conn, head):
                if head.archived_upto < segment.end:
                    store.write_head(conn, archived_upto=segment.end)
            purged += store.purge_events(segment.start, segment.end)
            store.mark_segment(segment.start, purged_at=self.log.clock())
        return purged

    def expire_archives(self) -> list[str]:
        """Delete archived segments past the archive retention period."""
        store = self.log.store
        now = self.log.clock()
        expired: list[str] = []
        for segment in store.segments():
            if segment.expired_at is not None or segment.purged_at is None:
                continue
            if now - as_utc(segment.last_event_at) < self.kept:
                continue
            self.archive.delete(segment.name)
            store.mark_segment(segment.start, expired_at=now)
            expired.append(segment.name)
        return expired

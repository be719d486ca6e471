"""Whole-log verification: re-hash every stored event, rebuild the tree, check checkpoints.

Finds edited, deleted, inserted, reordered and truncated events (reported with the first
bad index) and forged or inconsistent checkpoints. Events already archived out of the hot
store are covered by their stored leaf hashes (the archive segments verify separately).

A large log is cut into segments verified side by side, one per process (ADR 0104): a
segment starts from the tree's right edge at its first index, read from stored rows, and
is accepted only once the segment before it, rebuilt from its events, ends on exactly that
edge. The outcome — problems, first bad index, events checked — is the same as one walk's.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from audit.errors import AuditIntegrityError
from audit.forking import map_forked
from audit.merkle import HASH_SIZE, TreeBuilder, frontier_nodes, leaf_hash, root_from_frontier
from audit.model import Checkpoint, VerificationReport
from audit.note import NoteVerifier, open_checkpoint
from audit.store import AuditStore, Head

CHUNK = 20_000
MIN_SEGMENT = 100_000  # fewer events per process than this do not repay a fork


def available_cpus() -> int:
    return len(os.sched_getaffinity(0))


def _signed_roots(
    checkpoints: Sequence[Checkpoint],
    trusted: Sequence[str],
    verifier: NoteVerifier,
    origin: str,
    report: VerificationReport,
) -> dict[int, bytes]:
    """Size -> root of every checkpoint whose signature verifies; forgeries are problems."""
    roots: dict[int, bytes] = {}
    forged: list[tuple[int, str]] = []
    for row in checkpoints:
        try:
            body = open_checkpoint(row.note, verifier, origin)
        except AuditIntegrityError as exc:
            forged.append((row.tree_size, f"checkpoint at size {row.tree_size}: {exc}"))
            continue
        if body.tree_size != row.tree_size or body.root_hash != row.root_hash:
            forged.append(
                (row.tree_size, f"checkpoint at size {row.tree_size}: note and row disagree")
            )
            continue
        roots[body.tree_size] = body.root_hash
    for size, problem in forged:
        # what a forged checkpoint claimed is unproven from the last good one before it
        good = max((s for s in roots if s < size), default=0)
        report.fail(good, f"index {good}: {problem} (first bad index at or after {good})")
    for note in trusted:
        try:
            body = open_checkpoint(note, verifier, origin)
        except AuditIntegrityError as exc:
            report.fail(None, f"trusted checkpoint: {exc}")
            continue
        if roots.setdefault(body.tree_size, body.root_hash) != body.root_hash:
            report.fail(None, f"trusted checkpoint at size {body.tree_size} differs from stored")
    report.checkpoints_checked = len(checkpoints) + len(trusted)
    return roots


@dataclass(frozen=True)
class Segment:
    """Leaves [lo, hi), rebuilt from the right edge ``frontier`` of the tree of size lo."""

    lo: int
    hi: int
    frontier: tuple[bytes, ...]
    last_good_checkpoint: int  # the largest signed checkpoint size <= lo (0 if none)


@dataclass
class SegmentOutcome:
    """What verifying one segment found; ``frontier`` is the right edge at its end."""

    problems: list[tuple[int | None, str]] = field(default_factory=list)
    events_checked: int = 0
    frontier: tuple[bytes, ...] = ()


def plan_segments(size: int, workers: int, min_segment: int) -> list[tuple[int, int]]:
    """[lo, hi) ranges, one per process, each at least ``min_segment`` leaves."""
    count = max(1, min(workers, size // max(1, min_segment)))
    bounds = [size * k // count for k in range(count + 1)]
    return list(itertools.pairwise(bounds)) if size else [(0, 0)]


def segments_from_rows(
    store: AuditStore, conn: Connection, ranges: list[tuple[int, int]], roots: dict[int, bytes]
) -> list[Segment] | None:
    """Each range with the right edge at its start, read from stored rows (None: unreadable,
    so the log is walked in one piece and the walk reports the missing row precisely)."""
    wanted = {lo: frontier_nodes(lo) for lo, _ in ranges}
    found = store.nodes([node for nodes in wanted.values() for node in nodes], conn)
    segments: list[Segment] = []
    for lo, hi in ranges:
        if any(node not in found for node in wanted[lo]):
            return None
        good = max((s for s in roots if s <= lo), default=0)
        segments.append(Segment(lo, hi, tuple(found[node] for node in wanted[lo]), good))
    return segments


def verify_segment(
    store: AuditStore,
    conn: Connection,
    segment: Segment,
    roots: dict[int, bytes],
    archived_upto: int,
) -> SegmentOutcome:
    """Re-hash the segment's events chunk by chunk, checking tree rows and checkpoints."""
    walk = _Walk(segment, roots, archived_upto)
    for lo in range(segment.lo, segment.hi, CHUNK):
        hi = min(lo + CHUNK, segment.hi)
        tree = store.raw_chunk(conn, "audit_tree", "leaf_index", "hashes", start=lo, end=hi)
        events = store.raw_chunk(conn, "audit_event", "seq", "canonical", start=lo, end=hi)
        if not walk.chunk(lo, hi, tree, events):
            break
        walk.outcome.events_checked = hi
    else:
        walk.outcome.frontier = tuple(walk.builder.frontier)
    return walk.outcome


def verify_log(
    store: AuditStore,
    verifier: NoteVerifier,
    origin: str,
    trusted: Sequence[str] = (),
    *,
    workers: int = 1,
    min_segment: int | None = None,
) -> VerificationReport:
    report = VerificationReport()
    with store.snapshot() as (conn, head):
        roots = _signed_roots(store.checkpoints(conn), trusted, verifier, origin, report)
        size = head.tree_size
        if not store.forkable():
            workers = 1
        ranges = plan_segments(size, workers, min_segment or MIN_SEGMENT)
        segments = segments_from_rows(store, conn, ranges, roots) if len(ranges) > 1 else None
        if segments is None:
            segments = [Segment(0, size, (), 0)]
        snapshot_id = store.export_snapshot(conn) if len(segments) > 1 else None

        def here(segment: Segment) -> SegmentOutcome:
            return verify_segment(store, conn, segment, roots, head.archived_upto)

        def forked(segment: Segment) -> SegmentOutcome:
            with store.joined_snapshot(snapshot_id) as own:
                return verify_segment(store, own, segment, roots, head.archived_upto)

        outcomes = map_forked(forked, here, segments, stop=lambda outcome: bool(outcome.problems))
        frontier = _merge(report, segments, outcomes)
        if frontier is None:
            return _finish(report, size)
        extra_event, extra_node = store.count_beyond(conn, size)
    if extra_event >= 0 or extra_node >= 0:
        report.fail(size, f"index {size}: rows beyond the tree head (inserted)")
    if list(frontier) != head.frontier:
        report.fail(size, "tree head does not match the rebuilt tree")
    _check_signed_head(
        report, head, list(frontier), size=size, roots=roots, verifier=verifier, origin=origin
    )
    with store.snapshot() as (conn, _):
        _check_filter_columns(report, store, conn, size, head.archived_upto)
    beyond = [s for s in roots if s > size]
    if beyond:
        report.fail(size, f"log truncated: checkpoint at size {max(beyond)} > {size} events")
    return _finish(report, size)


def _check_signed_head(
    report: VerificationReport,
    head: Head,
    frontier: list[bytes],
    *,
    size: int,
    roots: dict[int, bytes],
    verifier: NoteVerifier,
    origin: str,
) -> None:
    """The rebuilt tree against the head every commit signs (ADR 0107)."""
    good = max((s for s in roots if s <= size), default=0)
    if head.signed_head is None:
        if size > good:
            report.fail(
                good,
                f"index {good}: unsigned tail: events {good}..{size - 1} have no signed tree head",
            )
        return
    try:
        body = open_checkpoint(head.signed_head, verifier, origin)
    except AuditIntegrityError as exc:
        report.fail(good, f"index {good}: the signed tree head does not verify: {exc}")
        return
    if body.tree_size < size:
        signed_good = max(body.tree_size, 0)
        report.fail(
            signed_good,
            f"index {signed_good}: unsigned tail: events {signed_good}..{size - 1} are beyond "
            "the signed tree head",
        )
    elif body.tree_size > size:
        report.fail(
            size, f"log truncated: signed tree head at size {body.tree_size} > {size} events"
        )
    elif body.root_hash != root_from_frontier(frontier):
        report.fail(
            good,
            f"index {good}: the tail does not match its signed tree head "
            f"(first bad index at or after {good})",
        )


FILTER_COLUMNS = ("type", "outcome", "actor_id", "target_type", "target_id", "request_id")


def _filter_values(document: dict[str, object]) -> tuple[object, ...]:
    def part(name: str, key: str) -> object:
        value = document.get(name)
        return value.get(key) if isinstance(value, dict) else None

    return (
        document.get("type"),
        document.get("outcome"),
        part("actor", "id"),
        part("target", "type"),
        part("target", "id"),
        part("origin", "request_id"),
    )


def _check_filter_columns(
    report: VerificationReport, store: AuditStore, conn: Connection, size: int, start: int
) -> None:
    """Each event's filter columns (what ``GET /v1/audit/events`` searches) must say what
    its canonical bytes say: an edited column hides an event from queries."""
    for lo in range(start, size, CHUNK):
        for row in store.filter_rows(conn, lo, min(lo + CHUNK, size)):
            seq, columns, canonical = row[0], tuple(row[1:-1]), bytes(row[-1])
            if columns != _filter_values(json.loads(canonical)):
                names = [
                    name
                    for name, stored, wanted in zip(
                        FILTER_COLUMNS, columns, _filter_values(json.loads(canonical)), strict=True
                    )
                    if stored != wanted
                ]
                report.fail(
                    seq, f"index {seq}: filter column {', '.join(names)} disagrees with the event"
                )
                return


def _merge(
    report: VerificationReport, segments: list[Segment], outcomes: list[SegmentOutcome]
) -> tuple[bytes, ...] | None:
    """Accept segments in order; the first with a problem ends the walk (its problems are
    the report's). Returns the right edge at the end of the log, None on a problem."""
    frontier: tuple[bytes, ...] = ()
    for segment, outcome in zip(segments, outcomes, strict=False):
        if segment.frontier != frontier:  # only if rows changed under a SQLite child
            report.fail(segment.lo, f"index {segment.lo}: tree node changed during verification")
            return None
        for index, problem in outcome.problems:
            report.fail(index, problem)
        report.events_checked = outcome.events_checked or segment.lo
        if outcome.problems:
            return None
        frontier = outcome.frontier
    return frontier


def _contiguous(rows: list[tuple[int, bytes]], lo: int, hi: int) -> bool:
    """Rows ordered by a unique key hold exactly lo..hi-1 when count and ends match."""
    return len(rows) == hi - lo and rows[0][0] == lo and rows[-1][0] == hi - 1


class _Walk:
    """Re-hashes one segment's events in order, rebuilding the tree and checking checkpoints."""

    def __init__(self, segment: Segment, roots: dict[int, bytes], archived_upto: int) -> None:
        self.roots = roots
        self.archived_upto = archived_upto
        self.outcome = SegmentOutcome()
        self.builder = TreeBuilder(segment.lo, segment.frontier)
        self.last_good_checkpoint = segment.last_good_checkpoint

    def chunk(
        self,
        lo: int,
        hi: int,
        tree: list[tuple[int, bytes]],
        events: list[tuple[int, bytes]],
    ) -> bool:
        if lo >= self.archived_upto and _contiguous(tree, lo, hi) and _contiguous(events, lo, hi):
            return self._fast(tree, events)
        nodes = dict(tree)
        texts = dict(events)
        for i in range(lo, hi):
            stored = nodes.get(i)
            canonical = texts.get(i)
            if stored is None:
                return self._bad(i, f"index {i}: tree node missing")
            if canonical is None and i >= self.archived_upto:
                return self._bad(i, f"index {i}: event missing (deleted)")
            leaf = leaf_hash(canonical) if canonical is not None else stored[:HASH_SIZE]
            if not self._step(i, leaf, stored):
                return False
        return True

    def _fast(self, tree: list[tuple[int, bytes]], events: list[tuple[int, bytes]]) -> bool:
        sha256 = hashlib.sha256
        append = self.builder.append
        roots = self.roots
        for (i, stored), (_, canonical) in zip(tree, events, strict=True):
            if append(sha256(b"\x00" + canonical).digest()) != stored:
                return self._bad(i, f"index {i}: event or tree node does not match its hash")
            if i + 1 in roots and not self._checkpoint(i):
                return False
        return True

    def _step(self, i: int, leaf: bytes, stored: bytes) -> bool:
        if self.builder.append(leaf) != stored:
            return self._bad(i, f"index {i}: event or tree node does not match its hash")
        return i + 1 not in self.roots or self._checkpoint(i)

    def _checkpoint(self, i: int) -> bool:
        if self.builder.root() != self.roots[i + 1]:
            good = self.last_good_checkpoint
            return self._bad(
                good,
                f"checkpoint at size {i + 1}: root differs from the rebuilt tree "
                f"(first bad index at or after {good})",
            )
        self.last_good_checkpoint = i + 1
        return True

    def _bad(self, index: int, problem: str) -> bool:
        self.outcome.problems.append((index, problem))
        return False


def _finish(report: VerificationReport, size: int) -> VerificationReport:
    report.tree_size = size
    return report

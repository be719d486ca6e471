"""Whole-log verification: re-hash every stored event, rebuild the tree, check checkpoints.

Finds edited, deleted, inserted, reordered and truncated events (reported with the first
bad index) and forged or inconsistent checkpoints. Events already archived out of the hot
store are covered by their stored leaf hashes (the archive segments verify separately).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from audit.errors import AuditIntegrityError
from audit.merkle import HASH_SIZE, TreeBuilder, leaf_hash
from audit.model import Checkpoint, VerificationReport
from audit.note import NoteVerifier, open_checkpoint
from audit.store import AuditStore

CHUNK = 20_000


def _signed_roots(
    checkpoints: Sequence[Checkpoint],
    trusted: Sequence[str],
    verifier: NoteVerifier,
    origin: str,
    report: VerificationReport,
) -> dict[int, bytes]:
    """Size -> root of every checkpoint whose signature verifies; forgeries are problems."""
    roots: dict[int, bytes] = {}
    for row in checkpoints:
        try:
            body = open_checkpoint(row.note, verifier, origin)
        except AuditIntegrityError as exc:
            report.fail(None, f"checkpoint at size {row.tree_size}: {exc}")
            continue
        if body.tree_size != row.tree_size or body.root_hash != row.root_hash:
            report.fail(None, f"checkpoint at size {row.tree_size}: note and row disagree")
            continue
        roots[body.tree_size] = body.root_hash
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


def verify_log(
    store: AuditStore, verifier: NoteVerifier, origin: str, trusted: Sequence[str] = ()
) -> VerificationReport:
    report = VerificationReport()
    with store.snapshot() as (conn, head):
        roots = _signed_roots(store.checkpoints(conn), trusted, verifier, origin, report)
        walk = _Walk(roots, head.archived_upto, report)
        size = head.tree_size
        for lo in range(0, size, CHUNK):
            hi = min(lo + CHUNK, size)
            tree = store.raw_chunk(conn, "audit_tree", "leaf_index", "hashes", start=lo, end=hi)
            events = store.raw_chunk(conn, "audit_event", "seq", "canonical", start=lo, end=hi)
            if not walk.chunk(lo, hi, tree, events):
                return _finish(report, size)
            report.events_checked = hi
        extra_event, extra_node = store.count_beyond(conn, size)
    if extra_event >= 0 or extra_node >= 0:
        report.fail(size, f"index {size}: rows beyond the tree head (inserted)")
    if walk.builder.frontier != head.frontier:
        report.fail(size, "tree head does not match the rebuilt tree")
    beyond = [s for s in roots if s > size]
    if beyond:
        report.fail(size, f"log truncated: checkpoint at size {max(beyond)} > {size} events")
    return _finish(report, size)


def _contiguous(rows: list[tuple[int, bytes]], lo: int, hi: int) -> bool:
    """Rows ordered by a unique key hold exactly lo..hi-1 when count and ends match."""
    return len(rows) == hi - lo and rows[0][0] == lo and rows[-1][0] == hi - 1


class _Walk:
    """Re-hashes events in order, rebuilding the tree and checking checkpoints."""

    def __init__(
        self, roots: dict[int, bytes], archived_upto: int, report: VerificationReport
    ) -> None:
        self.roots = roots
        self.archived_upto = archived_upto
        self.report = report
        self.builder = TreeBuilder()
        self.last_good_checkpoint = 0

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
        self.report.fail(index, problem)
        return False


def _finish(report: VerificationReport, size: int) -> VerificationReport:
    report.tree_size = size
    return report

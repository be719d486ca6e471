"""Whole-log verification: re-hash every stored event, rebuild the tree, check checkpoints.

Finds edited, deleted, inserted, reordered and truncated events (reported with the first
bad index) and forged or inconsistent checkpoints. Events already archived out of the hot
store are covered by their stored leaf hashes (the archive segments verify separately).
"""

from __future__ import annotations

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
    head = store.head()
    with store.reading() as conn:
        roots = _signed_roots(store.checkpoints(conn), trusted, verifier, origin, report)
        builder = TreeBuilder()
        last_good_checkpoint = 0
        size = head.tree_size
        index = 0
        while index < size:
            end = min(index + CHUNK, size)
            tree = {row.leaf_index: bytes(row.hashes) for row in store.tree_chunk(conn, index, end)}
            events = {row.seq: bytes(row.canonical) for row in store.event_chunk(conn, index, end)}
            for i in range(index, end):
                stored = tree.get(i)
                canonical = events.get(i)
                if stored is None:
                    report.fail(i, f"index {i}: tree node missing")
                    return _finish(report, size)
                if canonical is None and i >= head.archived_upto:
                    report.fail(i, f"index {i}: event missing (deleted)")
                    return _finish(report, size)
                leaf = leaf_hash(canonical) if canonical is not None else stored[:HASH_SIZE]
                if builder.append(leaf) != stored:
                    report.fail(i, f"index {i}: event or tree node does not match its hash")
                    return _finish(report, size)
                expected = roots.get(i + 1)
                if expected is not None:
                    if builder.root() != expected:
                        report.fail(
                            last_good_checkpoint,
                            f"checkpoint at size {i + 1}: root differs from the rebuilt tree "
                            f"(first bad index at or after {last_good_checkpoint})",
                        )
                        return _finish(report, size)
                    last_good_checkpoint = i + 1
            report.events_checked = end
            index = end
        extra_event, extra_node = store.count_beyond(conn, size)
    if extra_event >= 0 or extra_node >= 0:
        report.fail(size, f"index {size}: rows beyond the tree head (inserted)")
    if builder.frontier != head.frontier:
        report.fail(size, "tree head does not match the rebuilt tree")
    beyond = [s for s in roots if s > size]
    if beyond:
        report.fail(size, f"log truncated: checkpoint at size {max(beyond)} > {size} events")
    return _finish(report, size)


def _finish(report: VerificationReport, size: int) -> VerificationReport:
    report.tree_size = size
    return report

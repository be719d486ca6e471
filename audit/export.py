"""Export a range of the log as JSON Lines that verify offline, with no database.

Line 1 is a header: the signed checkpoint of a tree that contains the range, and the
hashes of every subtree outside the range (``range_proof``), so a verifier holding only
the log's public key recomputes the checkpoint's root from the exported events. Each
further line is one event: ``{"index", "event", "canonical" (base64), "leaf_hash"}``.
Archive segments use the same format.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.canonical import decode
from audit.errors import AuditArchivedError, AuditIntegrityError, AuditRangeError
from audit.merkle import (
    Range,
    hashes_for,
    leaf_hash,
    node_hash,
    plan,
    root_from_leaves,
    split_point,
)
from audit.model import Checkpoint
from audit.note import NoteVerifier, open_checkpoint
from audit.store import AuditStore

FORMAT = "trustplane-audit-export/1"
CHUNK = 5_000


def range_proof_ranges(start: int, end: int, size: int) -> list[Range]:
    """Subtrees of MTH(D[0:size]) disjoint from [start, end), left to right."""
    out: list[Range] = []

    def walk(lo: int, hi: int) -> None:
        if hi <= start or lo >= end:
            out.append((lo, hi))
        elif not (start <= lo and hi <= end):
            k = split_point(hi - lo)
            walk(lo, lo + k)
            walk(lo + k, hi)

    walk(0, size)
    return out


def root_from_range(
    start: int, end: int, size: int, leaves: Sequence[bytes], proof: Sequence[bytes]
) -> bytes:
    """Root of a tree of ``size`` from the leaves of [start, end) and its range proof."""
    supplied = iter(proof)

    def walk(lo: int, hi: int) -> bytes:
        if hi <= start or lo >= end:
            try:
                return next(supplied)
            except StopIteration:
                raise AuditIntegrityError("range proof is too short") from None
        if start <= lo and hi <= end:
            return root_from_leaves(leaves[lo - start : hi - start])
        k = split_point(hi - lo)
        return node_hash(walk(lo, lo + k), walk(lo + k, hi))

    root = walk(0, size)
    if next(supplied, None) is not None:
        raise AuditIntegrityError("range proof is too long")
    return root


def export_lines(store: AuditStore, checkpoint: Checkpoint, start: int, end: int) -> Iterator[str]:
    """The export of [start, end) against ``checkpoint`` (which must cover ``end``)."""
    size = checkpoint.tree_size
    if not 0 <= start < end <= size:
        raise AuditRangeError(f"cannot export [{start}, {end}) from a tree of size {size}")
    if start < store.head().archived_upto:
        raise AuditArchivedError(f"events before {store.head().archived_upto} are archived")
    ranges = range_proof_ranges(start, end, size)
    nodes = store.nodes(plan(ranges))
    header = {
        "format": FORMAT,
        "start": start,
        "end": end,
        "tree_size": size,
        "checkpoint": checkpoint.note,
        "range_proof": [h.hex() for h in hashes_for(ranges, nodes)],
    }
    yield json.dumps(header, sort_keys=True)
    with store.reading() as conn:
        for lo in range(start, end, CHUNK):
            rows = store.event_chunk(conn, lo, min(lo + CHUNK, end))
            if len(rows) != min(lo + CHUNK, end) - lo:
                raise AuditArchivedError("events of the range are missing from the hot store")
            for row in rows:
                canonical = bytes(row.canonical)
                yield json.dumps(
                    {
                        "index": row.seq,
                        "event": decode(canonical),
                        "canonical": base64.b64encode(canonical).decode(),
                        "leaf_hash": leaf_hash(canonical).hex(),
                    },
                    sort_keys=True,
                )


@dataclass
class ExportReport:
    start: int = 0
    end: int = 0
    tree_size: int = 0
    events: int = 0
    first_bad_index: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, index: int | None, problem: str) -> ExportReport:
        self.problems.append(problem)
        if index is not None and self.first_bad_index is None:
            self.first_bad_index = index
        return self


def verify_export(
    lines: Iterable[str], verifier: NoteVerifier, origin: str | None = None
) -> ExportReport:
    """Check an export with nothing but the log's public key."""
    report = ExportReport()
    iterator = iter(lines)
    try:
        header = json.loads(next(iterator))
        if header.get("format") != FORMAT:
            return report.fail(None, "not a trustplane audit export")
        report.start, report.end = int(header["start"]), int(header["end"])
        body = open_checkpoint(str(header["checkpoint"]), verifier, origin)
        report.tree_size = body.tree_size
        if int(header["tree_size"]) != body.tree_size:
            return report.fail(None, "header tree size differs from the signed checkpoint")
        proof = [bytes.fromhex(h) for h in header["range_proof"]]
    except StopIteration:
        return report.fail(None, "empty export")
    except AuditIntegrityError as exc:
        return report.fail(None, f"checkpoint: {exc}")
    except (ValueError, KeyError, TypeError) as exc:
        return report.fail(None, f"malformed header: {exc}")
    leaves = _leaves(iterator, report)
    if not report.ok:
        return report
    if not 0 <= report.start < report.end <= report.tree_size or len(leaves) != (
        report.end - report.start
    ):
        return report.fail(report.start + len(leaves), "export does not hold the stated range")
    try:
        root = root_from_range(report.start, report.end, report.tree_size, leaves, proof)
    except AuditIntegrityError as exc:
        return report.fail(None, str(exc))
    if root != body.root_hash:
        return report.fail(report.start, "events do not hash to the signed checkpoint root")
    return report


def _leaves(lines: Iterator[str], report: ExportReport) -> list[bytes]:
    leaves: list[bytes] = []
    expected = report.start
    for line in lines:
        if not line.strip():
            continue
        try:
            entry: dict[str, Any] = json.loads(line)
            canonical = base64.b64decode(entry["canonical"], validate=True)
            index = int(entry["index"])
            document = decode(canonical)
        except (ValueError, KeyError, TypeError, binascii.Error):
            report.fail(expected, f"index {expected}: malformed line")
            return leaves
        if index != expected:
            report.fail(expected, f"index {expected}: found index {index} (missing or reordered)")
            return leaves
        if document != entry.get("event"):
            report.fail(index, f"index {index}: event differs from its canonical bytes")
            return leaves
        leaves.append(leaf_hash(canonical))
        report.events += 1
        expected += 1
    return leaves

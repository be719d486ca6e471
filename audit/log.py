"""The SQL-backed audit log: group-committed appends, checkpoints, proofs, reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.engine import Connection

from audit.archive import ArchiveStore
from audit.canonical import format_time
from audit.errors import (
    AuditArchivedError,
    AuditError,
    AuditIntegrityError,
    AuditInvalidEventError,
    AuditNotFoundError,
    AuditRangeError,
    AuditStaleHeadError,
    AuditUnavailableError,
    AuditUnconfirmedError,
)
from audit.events import AuditEventIn, RecordedEvent
from audit.merkle import (
    HASH_SIZE,
    Range,
    TreeBuilder,
    consistency_from_nodes,
    consistency_plan,
    frontier_nodes,
    inclusion_from_nodes,
    inclusion_plan,
    leaf_hash,
    range_nodes,
    root_from_frontier,
    shared_inclusion_proofs,
    shared_inclusion_ranges,
)
from audit.model import (
    Checkpoint,
    ConsistencyProof,
    EventFilter,
    EventPage,
    InclusionProof,
    LoggedEvent,
    VerificationReport,
)
from audit.note import CheckpointBody, NoteVerifier, open_checkpoint
from audit.ports import CheckpointSigner
from audit.prepare import PreparedEvent, prepare
from audit.redaction import Redactor
from audit.store import CHECKPOINTS, AuditStore, Head, as_utc
from audit.writer import GroupCommitWriter, Pending

log = structlog.get_logger("audit")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class AuditLog:
    """Implements ``AuditRecorder`` over SQLite or PostgreSQL, plus the log's read side."""

    def __init__(
        self,
        store: AuditStore,
        redactor: Redactor,
        signer: CheckpointSigner,
        *,
        checkpoint_every_events: int = 1000,
        checkpoint_every_seconds: float = 60.0,
        record_timeout_seconds: float = 30.0,
        max_batch: int = 2000,
        witness: ArchiveStore | None = None,
        clock: Clock = utc_now,
        on_alert: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.redactor = redactor
        self.signer = signer
        self.origin = signer.name
        self._every_events = checkpoint_every_events
        self._every = timedelta(seconds=checkpoint_every_seconds)
        self._timeout = record_timeout_seconds
        self._witness = witness
        self.clock = clock
        self._on_alert = on_alert
        self._last_signed: str | None = None  # the head note this process signed last
        self._writer: GroupCommitWriter[PreparedEvent, int] = GroupCommitWriter(
            self._commit,
            max_batch=max_batch,
            idle_seconds=min(checkpoint_every_seconds, 5.0),
            on_idle=self._idle_checkpoint,
        )

    # --- AuditRecorder -----------------------------------------------------------------

    def record(self, event: AuditEventIn) -> RecordedEvent:
        return self.record_many([event])[0]

    def record_many(
        self, events: Sequence[AuditEventIn], *, timeout: float | None = None
    ) -> list[RecordedEvent]:
        """Durable receipts for ``events`` (one group commit); ``AuditUnconfirmedError`` (an
        ``AuditUnavailableError``) when the writer does not confirm within ``timeout``
        (default: the log's own): the events may still be written after it."""
        if not events:
            return []
        prepared = self._prepare(events)
        future = self._writer.submit(prepared)
        try:
            seqs = future.result(timeout=self._timeout if timeout is None else timeout)
        except TimeoutError as exc:
            raise AuditUnconfirmedError("audit log did not confirm the event in time") from exc
        # receipts are built here, in the caller's thread: the writer thread is the log's
        # one serial section, so it hands back sequence numbers only
        return [
            RecordedEvent(seq=seq, id=item.event_id, time=item.time)
            for seq, item in zip(seqs, prepared, strict=True)
        ]

    def submit_many(self, events: Sequence[AuditEventIn]) -> Pending[int]:
        """Queue ``events`` for the next group commit without waiting: the returned
        ``Pending`` settles (sequence numbers, or ``AuditUnavailableError``) once they are
        durable, and can call back (``add_done_callback``) a waiter that must not block.
        ``AuditInvalidEventError`` at once when an event cannot be canonicalized."""
        return self._writer.submit(self._prepare(events))

    def _prepare(self, events: Sequence[AuditEventIn]) -> list[PreparedEvent]:
        now = self.clock()
        try:
            stamp = format_time(now)
            return [prepare(event, self.redactor, now, stamp) for event in events]
        except (TypeError, ValueError) as exc:
            raise AuditInvalidEventError(f"event cannot be canonicalized: {exc}") from exc

    def close(self) -> None:
        self._writer.close()
        self.store.close()

    # --- the writer's transaction ------------------------------------------------------

    def _commit(
        self, prepared: list[PreparedEvent], more: Callable[[], list[PreparedEvent]] = list
    ) -> list[int]:
        """One transaction for ``prepared`` plus what ``more()`` (the writer's queue) has
        gathered while the head lock was taken; their sequence numbers in that order.

        First without the head lock when the store knows the head from its own last
        append (ADR 0103); if another appender moved it, nothing was stored and the batch
        is written again under the lock.
        """
        batch = list(prepared)  # grows in place: a retry keeps what more() gathered
        try:
            return self._commit_once(batch, more, optimistic=True)
        except AuditStaleHeadError:
            return self._commit_once(batch, more, optimistic=False)

    def _commit_once(
        self,
        prepared: list[PreparedEvent],
        more: Callable[[], list[PreparedEvent]],
        *,
        optimistic: bool,
    ) -> list[int]:
        now = self.clock()
        issued: Checkpoint | None = None
        with self.store.append_lock(optimistic=optimistic) as (conn, head):
            prepared.extend(more())
            builder = TreeBuilder(head.tree_size, head.frontier)
            events: list[tuple[Any, ...]] = []
            tree: list[tuple[int, bytes]] = []
            db_time = self.store.db_time
            for item in prepared:
                seq = builder.size
                data = item.canonical(seq)
                tree.append((seq, builder.append(leaf_hash(data))))
                events.append(
                    (
                        seq,
                        item.event_id,
                        db_time(item.time),
                        item.type,
                        item.outcome,
                        item.actor_id,
                        item.target_type,
                        item.target_id,
                        item.request_id,
                        data,
                    )
                )
            due = self._checkpoint_due(head, builder.size, now)
            self._check_extends(conn, head, rehash=due)
            root = builder.root()
            signed = self.signer.sign(CheckpointBody(self.origin, builder.size, root).encode())
            values: dict[str, Any] = {
                "tree_size": builder.size,
                "frontier": builder.frontier,
                "signed_head": signed,
            }
            if due:
                issued = Checkpoint(builder.size, root, now, signed)
                values.update(checkpoint_size=issued.tree_size, checkpoint_at=now)
            self.store.write_batch(conn, events, tree, values, issued)
        self._last_signed = signed
        if issued is not None:
            self._send_to_witness(issued)
        return list(range(head.tree_size, head.tree_size + len(prepared)))

    def _check_extends(self, conn: Connection, head: Head, *, rehash: bool) -> None:
        """Refuse to sign a tree that does not extend what this log signed before (ADR 0107).

        The stored head must carry a signed note of exactly its (size, root); with
        ``rehash`` (before a checkpoint) the events since the last checkpoint are re-hashed
        from their canonical bytes and must rebuild that same head.
        """
        if head.tree_size == 0:
            return
        problem = None
        if head.signed_head is None:
            if head.tree_size > head.checkpoint_size:
                problem = f"the tail from index {head.checkpoint_size} has no signed tree head"
        elif head.signed_head != self._last_signed:  # a note this process did not just write
            try:
                body = open_checkpoint(head.signed_head, self.verifier, self.origin)
            except AuditIntegrityError as exc:
                problem = f"the signed tree head does not verify: {exc}"
            else:
                if body.tree_size != head.tree_size:
                    problem = (
                        f"the tree head holds {head.tree_size} events, its signed head "
                        f"{body.tree_size}"
                    )
                elif body.root_hash != root_from_frontier(head.frontier):
                    problem = "the tree head's root differs from its signed head"
        if problem is None and rehash:
            problem = self._rehash_tail(conn, head)
        if problem is not None:
            self._alert(problem)
            raise AuditIntegrityError(f"refusing to sign the audit tree: {problem}")

    def _rehash_tail(self, conn: Connection, head: Head) -> str | None:
        """Rebuild the tail after the last checkpoint from its events; a problem or None."""
        start = head.checkpoint_size
        if start >= head.tree_size:
            return None
        edge = frontier_nodes(start)
        nodes = self.store.nodes(edge, conn)
        if len(nodes) != len(edge):
            return f"the tree rows at index {start} are missing"
        frontier = [nodes[node] for node in edge]
        signed = _checkpoint_of(conn, start) if start else None
        if start and (signed is None or signed.root_hash != root_from_frontier(frontier)):
            return f"the tree at index {start} differs from its signed checkpoint"
        builder = TreeBuilder(start, frontier)
        rows = self.store.raw_chunk(
            conn, "audit_event", "seq", "canonical", start=start, end=head.tree_size
        )
        for expected, (seq, data) in enumerate(rows, start):
            if seq != expected:
                return f"index {expected}: event missing from the tail"
            builder.append(leaf_hash(bytes(data)))
        if builder.size != head.tree_size or builder.frontier != head.frontier:
            return f"the events from index {start} do not rebuild the signed tree head"
        return None

    def _alert(self, problem: str) -> None:
        log.critical("audit_tree_tampering_detected", problem=problem)
        if self._on_alert is not None:
            try:
                self._on_alert(problem)
            except Exception as exc:  # the refusal stands whatever the alert channel does
                log.error("audit_alert_failed", error=type(exc).__name__)

    def _checkpoint_due(self, head: Head, size: int, now: datetime) -> bool:
        if size - head.checkpoint_size >= self._every_events:
            return True
        return head.checkpoint_at is None or now - head.checkpoint_at >= self._every

    def _sign(self, size: int, root: bytes, now: datetime) -> Checkpoint:
        body = CheckpointBody(self.origin, size, root).encode()
        return Checkpoint(size, root, now, self.signer.sign(body))

    def _send_to_witness(self, checkpoint: Checkpoint) -> None:
        if self._witness is None:
            return
        try:
            self._witness.put(
                f"checkpoints/{checkpoint.tree_size:020d}.note", checkpoint.note.encode()
            )
        except Exception as exc:  # the checkpoint is stored; the copy is best effort
            log.warning("audit_witness_copy_failed", error=type(exc).__name__)

    def witness_notes(self) -> list[str]:
        """Every checkpoint note the witness holds (``verify --witness`` trusts them):
        kept outside the database, they expose a log rolled back below them."""
        if self._witness is None:
            raise AuditUnavailableError("no witness is configured for this audit log")
        try:
            names = self._witness.names("checkpoints/")
            return [self._witness.get(name).decode() for name in names if name.endswith(".note")]
        except AuditError as exc:
            raise AuditUnavailableError("the witness could not be read") from exc

    def _idle_checkpoint(self) -> None:
        head = self.store.head()
        if head.tree_size > head.checkpoint_size and self._checkpoint_due(
            head, head.tree_size, self.clock()
        ):
            self.checkpoint()

    # --- checkpoints -------------------------------------------------------------------

    def checkpoint(self) -> Checkpoint:
        """Issue a checkpoint for the current tree now (or return it if one exists)."""
        now = self.clock()
        try:
            with self.store.append_lock() as (conn, head):
                existing = _checkpoint_of(conn, head.tree_size)
                if existing is not None:
                    return existing
                self._check_extends(conn, head, rehash=True)
                issued = self._sign(head.tree_size, root_from_frontier(head.frontier), now)
                self.store.add_checkpoint(conn, issued)
                self.store.write_head(conn, checkpoint_size=issued.tree_size, checkpoint_at=now)
        except (AuditUnavailableError, AuditIntegrityError):
            raise
        except Exception as exc:
            raise AuditUnavailableError("audit log could not issue a checkpoint") from exc
        self._send_to_witness(issued)
        return issued

    def latest_checkpoint(self) -> Checkpoint | None:
        return self.store.latest_checkpoint()

    def checkpoints(self) -> list[Checkpoint]:
        return self.store.checkpoints()

    @property
    def verifier(self) -> NoteVerifier:
        return self.signer.verifier

    def public_key(self) -> str:
        """The signed-note verifier key ``name+hex(keyid)+base64(0x01||pubkey)``."""
        return self.verifier.encode()

    # --- tree and proofs ---------------------------------------------------------------

    def tree_size(self) -> int:
        return self.store.head().tree_size

    def root(self, size: int | None = None) -> bytes:
        current = self.tree_size()
        size = current if size is None else size
        if not 0 <= size <= current:
            raise AuditRangeError(f"tree size {size} is beyond the log ({current})")
        wanted = frontier_nodes(size)
        nodes = self._nodes(set(wanted))
        return root_from_frontier([nodes[node] for node in wanted])

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> InclusionProof:
        size = self._size_within(tree_size)
        try:
            wanted = inclusion_plan(index, size)
        except ValueError as exc:
            raise AuditRangeError(str(exc)) from exc
        nodes = self._nodes(wanted)
        return InclusionProof(
            index, size, nodes[(0, index)], inclusion_from_nodes(index, size, nodes)
        )

    def inclusion_proofs(self, indices: Sequence[int], tree_size: int) -> list[InclusionProof]:
        """Inclusion proofs of many leaves against one tree size, from one read of nodes.

        Leaves share the upper part of their paths: the RFC split is walked once over the
        sorted leaves, a sibling that holds a listed leaf is hashed on the way up instead of
        read, and only siblings without one are read (one stored node each, a few on the
        right edge). See ``shared_inclusion_ranges`` (ADR 0708). When a checkpoint of
        ``tree_size`` was issued, the root the walk rebuilds must be its signed root.
        """
        size = self._size_within(tree_size)
        for index in indices:
            if not 0 <= index < size:
                raise AuditRangeError(f"leaf index {index} is outside a tree of size {size}")
        distinct = sorted(set(indices))
        if not distinct:
            return []
        ranges = shared_inclusion_ranges(distinct, size)
        rows = self.store.tree_rows(_rows_of(ranges, distinct))
        siblings = _range_hashes(ranges, rows)
        leaves = [_stored_node(rows, index, 0) for index in distinct]
        paths, root = shared_inclusion_proofs(distinct, size, leaves, siblings)
        signed = self.checkpoint_at(size)
        if signed is not None and signed.root_hash != root:
            # the walk rebuilt the root from the nodes read: an altered one fails closed here
            # instead of in the hands of whoever checks the proofs
            raise AuditIntegrityError("stored tree nodes do not match the signed checkpoint")
        by_index = {
            index: InclusionProof(index, size, leaf, path)
            for index, leaf, path in zip(distinct, leaves, paths, strict=True)
        }
        return [by_index[index] for index in indices]

    def checkpoint_at(self, size: int) -> Checkpoint | None:
        """The signed checkpoint of exactly ``size`` leaves, if one was issued."""
        with self.store.reading() as conn:
            return _checkpoint_of(conn, size)

    def checkpoint_covering(self, size: int) -> Checkpoint | None:
        """The first stored checkpoint whose tree has at least ``size`` leaves (None if none)."""
        return self.store.checkpoint_at_least(size)

    def consistency_proof(self, first: int, second: int | None = None) -> ConsistencyProof:
        size = self._size_within(second)
        try:
            wanted = consistency_plan(first, size)
        except ValueError as exc:
            raise AuditRangeError(str(exc)) from exc
        return ConsistencyProof(
            first, size, consistency_from_nodes(first, size, self._nodes(wanted))
        )

    def _size_within(self, size: int | None) -> int:
        current = self.tree_size()
        if size is None:
            return current
        if not 0 <= size <= current:
            raise AuditRangeError(f"tree size {size} is beyond the log ({current})")
        return size

    def _nodes(self, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        nodes = self.store.nodes(wanted)
        if len(nodes) != len(wanted):
            raise AuditIntegrityError("stored tree is missing nodes")
        return nodes

    # --- reads -------------------------------------------------------------------------

    def event(self, index: int) -> LoggedEvent:
        found = self.store.event(index)
        if found is not None:
            return found
        head = self.store.head()
        if 0 <= index < head.archived_upto:
            raise AuditArchivedError(f"event {index} has been archived")
        raise AuditNotFoundError(f"no event at index {index}")

    def events(
        self, where: EventFilter | None = None, *, after: int = -1, limit: int = 100
    ) -> EventPage:
        limit = max(1, min(limit, 1000))
        found = self.store.events(where or EventFilter(), after, limit + 1)
        more = len(found) > limit
        page = found[:limit]
        return EventPage(page, page[-1].seq if more and page else None)

    def hash_value(self, value: Any) -> str:
        return self.redactor.hash_value(value)

    def verify(
        self, trusted: Sequence[str] = (), *, workers: int | None = None
    ) -> VerificationReport:
        """Re-hash the whole log; ``workers`` processes (default: one per available CPU)."""
        from audit.verify import available_cpus, verify_log

        return verify_log(
            self.store,
            self.verifier,
            self.origin,
            trusted=trusted,
            workers=workers or available_cpus(),
        )


def _checkpoint_of(conn: Connection, size: int) -> Checkpoint | None:
    row = conn.execute(select(CHECKPOINTS).where(CHECKPOINTS.c.tree_size == size)).first()
    if row is None:
        return None
    return Checkpoint(row.tree_size, bytes(row.root_hash), as_utc(row.created_at), row.note)


def _rows_of(ranges: Sequence[Range], leaves: Sequence[int]) -> list[int]:
    """The ``audit_tree`` rows holding the nodes of ``ranges`` and the ``leaves``: a range
    that is one aligned perfect subtree (all but a few on the right edge) is the node in the
    row of its last leaf; any other range is the fold of ``range_nodes``."""
    rows = list(leaves)
    for start, end in ranges:
        width = end - start
        if width & (width - 1) == 0 and start & (width - 1) == 0:
            rows.append(end - 1)
        else:
            rows.extend(((index + 1) << level) - 1 for level, index in range_nodes(start, end))
    return rows


def _range_hashes(ranges: Sequence[Range], rows: dict[int, bytes]) -> list[bytes]:
    """MTH of each range from whole tree rows (``_rows_of`` named the rows to read)."""
    hashes: list[bytes] = []
    for start, end in ranges:
        width = end - start
        if width & (width - 1) == 0 and start & (width - 1) == 0:
            hashes.append(_stored_node(rows, end - 1, width.bit_length() - 1))
        else:
            nodes = [
                _stored_node(rows, ((index + 1) << level) - 1, level)
                for level, index in range_nodes(start, end)
            ]
            hashes.append(root_from_frontier(nodes))
    return hashes


def _stored_node(rows: dict[int, bytes], row: int, level: int) -> bytes:
    """Node ``level`` of a tree row; a missing row or a short one is a damaged tree."""
    blob = rows.get(row)
    value = b"" if blob is None else bytes(blob[level * HASH_SIZE : (level + 1) * HASH_SIZE])
    if len(value) != HASH_SIZE:
        raise AuditIntegrityError("stored tree is missing nodes")
    return value

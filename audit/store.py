"""SQL access for the log (SQLite and PostgreSQL through SQLAlchemy Core).

Appends happen inside ``append_lock()``: ``BEGIN IMMEDIATE`` on SQLite and a row lock on
the single ``audit_head`` row on PostgreSQL, so writers in any number of processes assign
sequence numbers one transaction at a time, without gaps or duplicates.

On SQLite, processes sharing the file (``serve --workers N``) take an advisory ``flock`` on a
sidecar file (``<database>-append.lock``) before ``BEGIN IMMEDIATE``: a waiting writer then
sleeps in the kernel and wakes the moment the other commits, instead of in SQLite's busy
handler, whose growing sleeps (1, 2, 5, 10 ... 100 ms) overshoot commits of a few
milliseconds. The kernel drops the lock of a killed process.

On PostgreSQL a group commit costs two round trips (ADR 0102): ``BEGIN`` and the head's
``SELECT ... FOR UPDATE`` in one, then one statement writing events, tree rows, head (and
checkpoint) pipelined with ``COMMIT``, whose result is awaited before callers return.

When this store made the last append itself it already knows the head, and an append may
skip the first round trip (ADR 0103): ``BEGIN``, the statement and ``COMMIT`` go in one
pipeline, and the statement only succeeds if the head is still the one assumed (the tree
rows' primary key and a guarded head ``UPDATE``); otherwise it changes nothing and raises
``AuditStaleHeadError`` so the caller retries under the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import errors as pg_errors
from sqlalchemy import Row, Select, and_, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, SQLAlchemyError

from audit.errors import AuditInvalidQueryError, AuditStaleHeadError, AuditUnavailableError
from audit.merkle import HASH_SIZE, NodeId
from audit.model import Checkpoint, EventFilter, LoggedEvent
from audit.tables import (
    AuditCheckpointRow,
    AuditEventRow,
    AuditHeadRow,
    AuditSegmentRow,
    AuditTreeRow,
)

EVENTS = AuditEventRow.__table__  # type: ignore[attr-defined]
TREE = AuditTreeRow.__table__  # type: ignore[attr-defined]
CHECKPOINTS = AuditCheckpointRow.__table__  # type: ignore[attr-defined]
HEAD = AuditHeadRow.__table__  # type: ignore[attr-defined]
SEGMENTS = AuditSegmentRow.__table__  # type: ignore[attr-defined]
NODE_CHUNK = 900  # keys per proof-node read (SQLite allows 999 bound parameters)


_SNAPSHOT_ID = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")
_INHERITED_POOLS: list[Any] = []  # in a forked child: the parent's pools, never collected

HEAD_COLUMNS = "tree_size, frontier, checkpoint_size, checkpoint_at, archived_upto, signed_head"
_HEAD_WRITABLE = frozenset(HEAD_COLUMNS.split(", "))

EVENT_COLUMNS = (
    "seq",
    "event_id",
    "time",
    "type",
    "outcome",
    "actor_id",
    "target_type",
    "target_id",
    "request_id",
    "canonical",
)

# PostgreSQL: the whole batch in one statement (arrays unnested into rows).
_PG_EVENT_TYPES = (
    "bigint", "varchar", "timestamptz", "varchar", "varchar",
    "varchar", "varchar", "varchar", "varchar", "bytea",
)  # fmt: skip
_PG_LOCK_HEAD = (
    f"BEGIN; SELECT {HEAD_COLUMNS} FROM audit_head WHERE id = 1 FOR UPDATE"  # noqa: S608
).encode()
_PG_WRITE_EVENTS = (
    f"WITH ev AS (INSERT INTO audit_event ({', '.join(EVENT_COLUMNS)}) "  # noqa: S608
    f"SELECT * FROM unnest({', '.join(f'%b::{t}[]' for t in _PG_EVENT_TYPES)})), "
    "tr AS (INSERT INTO audit_tree (leaf_index, hashes) "
    "SELECT * FROM unnest(%b::bigint[], %b::bytea[]))"
)
# optimistic appends: the head must still be the assumed one, else the statement fails
# (``1 / 0``: a runtime error, so PostgreSQL cannot fold it away at planning time)
_PG_GUARDED_HEAD = (
    ", hd AS (UPDATE audit_head SET {assignments} WHERE id = 1 AND tree_size = %b RETURNING 1)"
    " SELECT 1 / (SELECT count(*) FROM hd)::int"
)
_PG_WRITE_CHECKPOINT = (
    ", cp AS (INSERT INTO audit_checkpoint (tree_size, root_hash, created_at, note) "
    "VALUES (%b, %b, %b, %b))"
)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def split_hashes(blob: bytes) -> list[bytes]:
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]


MAX_SEQ = 2**63 - 1  # events.seq is a signed 64-bit column
_PG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE
# after an optimistic append lost a race, take the head lock for this long before trying
# again (another process is appending too: each lost race would cost a wasted round trip)
OPTIMISTIC_BACKOFF_SECONDS = 1.0


@dataclass(frozen=True)
class Head:
    tree_size: int
    frontier: list[bytes]
    checkpoint_size: int
    checkpoint_at: datetime | None
    archived_upto: int
    # the signed note of (tree_size, root), written by every commit (ADR 0107)
    signed_head: str | None = None


def _head(  # noqa: PLR0917 - a head row's columns, in order
    tree_size: int,
    frontier: bytes,
    checkpoint_size: int,
    checkpoint_at: datetime | None,
    archived_upto: int,
    signed_head: str | None = None,
) -> Head:
    return Head(
        tree_size=tree_size,
        frontier=split_hashes(frontier),
        checkpoint_size=checkpoint_size,
        checkpoint_at=as_utc(checkpoint_at) if checkpoint_at else None,
        archived_upto=archived_upto,
        signed_head=signed_head,
    )


class AuditStore:
    """Every statement the log runs; no domain decisions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._append_mutex = threading.Lock()
        self._append_conn: Connection | None = None
        # the head as this store's last append left it (None: unknown, take the lock)
        self._known: Head | None = None
        self._assumed: Head | None = None  # set while an optimistic append is open
        self._optimistic_after = 0.0  # monotonic time; optimism paused until then
        self._locked_head: Head | None = None  # read under the lock by the open append
        self._file_lock = _sidecar_lock(engine) if self.is_sqlite else None

    # --- transactions ------------------------------------------------------------------

    @contextmanager
    def append_lock(self, *, optimistic: bool = False) -> Iterator[tuple[Connection, Head]]:
        """A transaction holding the log's append lock, with the current head.

        Appends reuse one connection (on SQLite, closing the last connection of a WAL
        database checkpoints the WAL: far too costly per batch). ``optimistic`` (PostgreSQL,
        for ``write_batch`` only): when the head is known from this store's last append,
        no lock is taken now; ``write_batch`` then raises ``AuditStaleHeadError`` (and
        stores nothing) if another appender moved the head meanwhile.
        """
        with self._append_mutex:
            conn = self._append_conn
            if conn is None or conn.closed:
                conn = self.engine.connect()
                if not self.is_sqlite:
                    # BEGIN/COMMIT are ours (sent in the same round trips as the work);
                    # the pool restores the isolation level when the connection returns
                    conn.execution_options(isolation_level="AUTOCOMMIT")
                self._append_conn = conn
            known, self._known = self._known, None  # set again by a successful write_batch
            if (
                optimistic
                and known is not None
                and not self.is_sqlite
                and time.monotonic() >= self._optimistic_after
            ):
                self._assumed = known
                try:
                    yield conn, known
                except BaseException:
                    # a failed pipeline leaves psycopg's prepared-statement cache unsure of
                    # the server's: a fresh connection (one per lost race at most per
                    # OPTIMISTIC_BACKOFF_SECONDS) is simpler than repairing it
                    self._drop_append_connection()
                    raise
                finally:
                    self._assumed = None
                return
            try:
                with self._between_processes():
                    if self.is_sqlite:
                        conn.exec_driver_sql("BEGIN IMMEDIATE")
                        head = self._read_head(conn, lock=False)  # BEGIN IMMEDIATE locks
                    else:
                        head = self._locked_head = self._lock_head_pg(conn)
                    yield conn, head
                    conn.commit()
                    if not self.is_sqlite:
                        self._commit_pg(conn)
            except BaseException:
                self._drop_append_connection()
                raise

    @contextmanager
    def _between_processes(self) -> Iterator[None]:
        """The SQLite file's sidecar ``flock`` (none on PostgreSQL or in memory)."""
        if self._file_lock is None:
            yield
            return
        fcntl.flock(self._file_lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._file_lock, fcntl.LOCK_UN)

    def _drop_append_connection(self) -> None:
        conn, self._append_conn = self._append_conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.rollback()
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        with self._append_mutex:
            self._drop_append_connection()
            if self._file_lock is not None:
                os.close(self._file_lock)
                self._file_lock = None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except DataError as exc:  # the database refused a value of the query: not an outage
            raise AuditInvalidQueryError(
                "the audit store cannot take a value of this query"
            ) from exc
        except SQLAlchemyError as exc:
            raise AuditUnavailableError("audit store unavailable") from exc

    @contextmanager
    def snapshot(self) -> Iterator[tuple[Connection, Head]]:
        """One consistent read of the whole log: head, checkpoints and rows as of one moment.

        Verification of a live log must not see rows appended after it read the head (they
        would look inserted). PostgreSQL: a REPEATABLE READ transaction; SQLite (WAL): one
        explicit read transaction, whose snapshot starts at its first read.
        """
        with self.reading() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    yield conn, self._read_head(conn, lock=False)
                return
            conn.exec_driver_sql("BEGIN")
            try:
                yield conn, self._read_head(conn, lock=False)
            finally:
                conn.exec_driver_sql("ROLLBACK")

    def forkable(self) -> bool:
        """Whether a forked child can open this database itself (not an in-memory SQLite)."""
        return not self.is_sqlite or self.engine.url.database not in (None, "", ":memory:")

    @staticmethod
    def export_snapshot(conn: Connection) -> str | None:
        """An id under which other sessions read ``conn``'s snapshot (PostgreSQL), else None.

        Only valid while ``conn``'s ``snapshot()`` transaction is open.
        """
        if conn.dialect.name != "postgresql":
            return None
        return str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())

    @contextmanager
    def joined_snapshot(self, snapshot_id: str | None) -> Iterator[Connection]:
        """In a forked child: a new connection reading the snapshot ``export_snapshot`` named.

        The child's copy of the pool (the parent's connections) is replaced unclosed first, as
        SQLAlchemy prescribes after ``fork`` (closing them would end the parent's PostgreSQL
        sessions), and kept referenced until the child leaves through ``os._exit``: collected,
        the inherited SQLite handles would be closed here, and closing any descriptor of the
        database file drops this process's POSIX locks on it, its own read lock included.
        SQLite (None): the child's own read transaction; rows below the head the parent read
        are never changed by the application.
        """
        _INHERITED_POOLS.append(self.engine.pool)
        self.engine.dispose(close=False)
        if snapshot_id is not None and not _SNAPSHOT_ID.fullmatch(snapshot_id):
            raise AuditUnavailableError("not a PostgreSQL snapshot id")
        with self.reading() as conn:
            if snapshot_id is None:
                conn.exec_driver_sql("BEGIN")
                try:
                    yield conn
                finally:
                    conn.exec_driver_sql("ROLLBACK")
                return
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # the id is validated above; SET TRANSACTION SNAPSHOT takes no parameters
                conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot_id}'")
                yield conn

    def _read_head(self, conn: Connection, *, lock: bool) -> Head:
        query: Select[Any] = select(HEAD).where(HEAD.c.id == 1)
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).one()
        return _head(
            row.tree_size,
            row.frontier,
            row.checkpoint_size,
            row.checkpoint_at,
            row.archived_upto,
            row.signed_head,
        )

    @staticmethod
    def _lock_head_pg(conn: Connection) -> Head:
        """``BEGIN`` and the head's row lock in one round trip (simple query protocol)."""
        cursor = conn.connection.cursor()
        try:
            cursor.execute(_PG_LOCK_HEAD)
            cursor.nextset()  # the first result is BEGIN's
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            raise AuditUnavailableError("the audit head row is missing")
        return _head(*row)

    @staticmethod
    def _commit_pg(conn: Connection) -> None:
        """COMMIT unless ``write_batch`` already did (in the same round trip as its writes)."""
        raw = conn.connection.driver_connection
        if raw is not None and raw.info.transaction_status != _PG_IDLE:
            with raw.cursor() as cursor:
                cursor.execute(b"COMMIT")

    def head(self) -> Head:
        with self.reading() as conn:
            return self._read_head(conn, lock=False)

    # --- writes (inside append_lock) ---------------------------------------------------

    def db_time(self, moment: datetime) -> Any:
        """A UTC time as the driver should bind it (SQLAlchemy's SQLite text format)."""
        if self.is_sqlite:
            return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return moment

    def append(
        self, conn: Connection, events: list[tuple[Any, ...]], tree: list[tuple[int, bytes]]
    ) -> None:
        """Bulk insert through the driver's ``executemany`` (the hot path of the writer).

        ``events`` rows follow ``EVENT_COLUMNS``; times must come from ``db_time``.
        """
        mark = "?" if self.is_sqlite else "%s"
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(
                f"INSERT INTO audit_event ({', '.join(EVENT_COLUMNS)}) "  # noqa: S608
                f"VALUES ({', '.join([mark] * len(EVENT_COLUMNS))})",
                events,
            )
            cursor.executemany(
                f"INSERT INTO audit_tree (leaf_index, hashes) VALUES ({mark}, {mark})",  # noqa: S608
                tree,
            )
        finally:
            cursor.close()

    def write_batch(
        self,
        conn: Connection,
        events: list[tuple[Any, ...]],
        tree: list[tuple[int, bytes]],
        head: dict[str, Any],
        checkpoint: Checkpoint | None,
    ) -> None:
        """Everything one group commit writes (rows as for ``append``; ``head`` as for
        ``write_head``). PostgreSQL: one statement sent together with ``COMMIT``, and this
        returns once the server has confirmed the commit (durable)."""
        if self.is_sqlite:
            self.append(conn, events, tree)
            if checkpoint is not None:
                self.add_checkpoint(conn, checkpoint)
            self.write_head(conn, **head)
            return
        columns = [list(column) for column in zip(*events, strict=True)]
        params: list[Any] = [*columns, [t[0] for t in tree], [t[1] for t in tree]]
        sql = _PG_WRITE_EVENTS
        if checkpoint is not None:
            sql += _PG_WRITE_CHECKPOINT
            params += [
                checkpoint.tree_size,
                checkpoint.root_hash,
                checkpoint.created_at,
                checkpoint.note,
            ]
        names = list(head)
        if not set(names) <= _HEAD_WRITABLE:
            raise ValueError(f"not audit_head columns: {sorted(set(names) - _HEAD_WRITABLE)}")
        values = [b"".join(v) if n == "frontier" else v for n, v in head.items()]
        assignments = ", ".join(f"{n} = %b" for n in names)
        assumed = self._assumed
        if assumed is None:
            sql += f" UPDATE audit_head SET {assignments} WHERE id = 1"  # noqa: S608 - checked names
        else:
            sql += _PG_GUARDED_HEAD.format(assignments=assignments)
            values.append(assumed.tree_size)
        raw = conn.connection.driver_connection
        assert raw is not None
        try:
            with raw.pipeline(), raw.cursor() as cursor:
                if assumed is not None:
                    cursor.execute(b"BEGIN")
                cursor.execute(sql.encode(), [*params, *values])
                cursor.execute(b"COMMIT")
        except (pg_errors.UniqueViolation, pg_errors.DivisionByZero) as exc:
            if assumed is None:
                raise
            # another appender moved the head: the transaction failed, nothing is stored
            self._optimistic_after = time.monotonic() + OPTIMISTIC_BACKOFF_SECONDS
            raise AuditStaleHeadError("the audit head moved; retry under the lock") from exc
        previous = assumed or self._locked_head
        assert previous is not None
        self._known = Head(
            tree_size=head.get("tree_size", previous.tree_size),
            frontier=list(head.get("frontier", previous.frontier)),
            checkpoint_size=head.get("checkpoint_size", previous.checkpoint_size),
            checkpoint_at=head.get("checkpoint_at", previous.checkpoint_at),
            archived_upto=previous.archived_upto,
            signed_head=head.get("signed_head", previous.signed_head),
        )

    @staticmethod
    def write_head(conn: Connection, **values: Any) -> None:
        if "frontier" in values:
            values["frontier"] = b"".join(values["frontier"])
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(**values))

    @staticmethod
    def add_checkpoint(conn: Connection, checkpoint: Checkpoint) -> None:
        conn.execute(
            insert(CHECKPOINTS).values(
                tree_size=checkpoint.tree_size,
                root_hash=checkpoint.root_hash,
                created_at=checkpoint.created_at,
                note=checkpoint.note,
            )
        )

    # --- reads -------------------------------------------------------------------------

    def nodes(
        self, wanted: Iterable[NodeId], conn: Connection | None = None
    ) -> dict[NodeId, bytes]:
        """Perfect-subtree hashes; node (level, index) lives in the row of its last leaf.

        Read on ``conn`` (e.g. a ``snapshot()``) when given, else on a connection of its own.
        """
        by_leaf: dict[int, list[NodeId]] = {}
        for level, index in wanted:
            by_leaf.setdefault(((index + 1) << level) - 1, []).append((level, index))
        if not by_leaf:
            return {}
        rows = self.tree_rows(by_leaf, conn)
        found: dict[NodeId, bytes] = {}
        for leaf_index, blob in rows.items():
            for node in by_leaf[leaf_index]:
                offset = node[0] * HASH_SIZE
                value = bytes(blob[offset : offset + HASH_SIZE])
                if len(value) == HASH_SIZE:
                    found[node] = value
        return found

    def tree_rows(self, leaves: Iterable[int], conn: Connection | None = None) -> dict[int, bytes]:
        """Whole ``audit_tree`` rows by leaf index (``hashes``: level ``l`` at ``32 * l``).

        For callers that locate many nodes themselves (``AuditLog.inclusion_proofs``): one
        dict, no per-node tuple or list. A row that is not stored is absent from the result.
        """
        keys = sorted(set(leaves))
        if not keys:
            return {}
        if conn is not None:
            return self._tree_rows(conn, keys)
        with self.reading() as own:
            return self._tree_rows(own, keys)

    @staticmethod
    def _tree_rows(conn: Connection, leaves: list[int]) -> dict[int, bytes]:
        """``audit_tree`` rows of the given leaves through the raw driver, in chunks of at
        most ``NODE_CHUNK`` keys (SQLite's bound-parameter limit; a bundle asks for tens of
        thousands of rows, and SQLAlchemy's expanding ``IN`` costs more than the read)."""
        mark = "?" if conn.dialect.name == "sqlite" else "%s"
        rows: dict[int, bytes] = {}
        cursor = conn.connection.cursor()
        try:
            for start in range(0, len(leaves), NODE_CHUNK):
                chunk = leaves[start : start + NODE_CHUNK]
                cursor.execute(
                    "SELECT leaf_index, hashes FROM audit_tree "  # noqa: S608 - marks only
                    f"WHERE leaf_index IN ({', '.join([mark] * len(chunk))})",
                    chunk,
                )
                # both drivers give int keys and bytes values (sqlite3 BLOB, psycopg bytea)
                rows.update(cursor.fetchall())
        finally:
            cursor.close()
        return rows

    def event(self, seq: int) -> LoggedEvent | None:
        if not 0 <= seq <= MAX_SEQ:  # beyond the signed 64-bit column: no such event
            return None
        with self.reading() as conn:
            row = conn.execute(
                select(EVENTS.c.seq, EVENTS.c.canonical).where(EVENTS.c.seq == seq)
            ).first()
        return LoggedEvent(row.seq, bytes(row.canonical)) if row else None

    def events(self, where: EventFilter, after: int, limit: int) -> list[LoggedEvent]:
        clauses = [EVENTS.c.seq > after]
        for column, value in (
            (EVENTS.c.type, where.type),
            (EVENTS.c.outcome, where.outcome),
            (EVENTS.c.actor_id, where.actor_id),
            (EVENTS.c.target_type, where.target_type),
            (EVENTS.c.target_id, where.target_id),
            (EVENTS.c.request_id, where.request_id),
        ):
            if value is not None:
                clauses.append(column == value)
        if where.since is not None:
            clauses.append(EVENTS.c.time >= where.since)
        if where.until is not None:
            clauses.append(EVENTS.c.time < where.until)
        query = (
            select(EVENTS.c.seq, EVENTS.c.canonical)
            .where(and_(*clauses))
            .order_by(EVENTS.c.seq)
            .limit(limit)
        )
        with self.reading() as conn:
            return [LoggedEvent(r.seq, bytes(r.canonical)) for r in conn.execute(query)]

    def event_chunk(self, conn: Connection, start: int, end: int) -> list[Row[Any]]:
        return list(
            conn.execute(
                select(EVENTS.c.seq, EVENTS.c.canonical, EVENTS.c.time)
                .where(EVENTS.c.seq >= start, EVENTS.c.seq < end)
                .order_by(EVENTS.c.seq)
            )
        )

    @staticmethod
    def raw_chunk(
        conn: Connection, table: str, key: str, column: str, *, start: int, end: int
    ) -> list[tuple[int, bytes]]:
        """``(key, column)`` rows with start <= key < end, ordered, via the raw driver."""
        mark = "?" if conn.dialect.name == "sqlite" else "%s"
        cursor = conn.connection.cursor()
        try:
            cursor.execute(
                f"SELECT {key}, {column} FROM {table} "  # noqa: S608 - names are ours
                f"WHERE {key} >= {mark} AND {key} < {mark} ORDER BY {key}",
                (start, end),
            )
            # both drivers give int keys and bytes values (sqlite3 BLOB, psycopg bytea)
            rows: list[tuple[int, bytes]] = list(cursor.fetchall())
            return rows
        finally:
            cursor.close()

    @staticmethod
    def filter_rows(conn: Connection, start: int, end: int) -> list[Any]:
        """``(seq, type, outcome, actor_id, target_type, target_id, request_id, canonical)``
        for start <= seq < end, ordered (verification of the filter columns)."""
        query = (
            select(
                EVENTS.c.seq,
                EVENTS.c.type,
                EVENTS.c.outcome,
                EVENTS.c.actor_id,
                EVENTS.c.target_type,
                EVENTS.c.target_id,
                EVENTS.c.request_id,
                EVENTS.c.canonical,
            )
            .where(EVENTS.c.seq >= start, EVENTS.c.seq < end)
            .order_by(EVENTS.c.seq)
        )
        return list(conn.execute(query).all())

    def count_beyond(self, conn: Connection, size: int) -> tuple[int, int]:
        """Event and tree rows at or past ``size`` (there should be none)."""
        events = conn.execute(select(EVENTS.c.seq).where(EVENTS.c.seq >= size).limit(1)).first()
        tree = conn.execute(
            select(TREE.c.leaf_index).where(TREE.c.leaf_index >= size).limit(1)
        ).first()
        return (events[0] if events else -1, tree[0] if tree else -1)

    def checkpoints(self, conn: Connection | None = None) -> list[Checkpoint]:
        query = select(CHECKPOINTS).order_by(CHECKPOINTS.c.tree_size)
        if conn is None:
            with self.reading() as own:
                rows = own.execute(query).all()
        else:
            rows = conn.execute(query).all()
        return [
            Checkpoint(r.tree_size, bytes(r.root_hash), as_utc(r.created_at), r.note) for r in rows
        ]

    def latest_checkpoint(self) -> Checkpoint | None:
        query = select(CHECKPOINTS).order_by(CHECKPOINTS.c.tree_size.desc()).limit(1)
        with self.reading() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return Checkpoint(row.tree_size, bytes(row.root_hash), as_utc(row.created_at), row.note)

    def checkpoint_at_least(self, size: int) -> Checkpoint | None:
        query = (
            select(CHECKPOINTS)
            .where(CHECKPOINTS.c.tree_size >= size)
            .order_by(CHECKPOINTS.c.tree_size)
            .limit(1)
        )
        with self.reading() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return Checkpoint(row.tree_size, bytes(row.root_hash), as_utc(row.created_at), row.note)

    # --- retention ---------------------------------------------------------------------

    def first_event_at_or_after(self, start: int, moment: datetime) -> int | None:
        """The lowest seq >= start whose time is >= moment (None: every later event is older)."""
        query = (
            select(EVENTS.c.seq)
            .where(EVENTS.c.seq >= start, EVENTS.c.time >= moment)
            .order_by(EVENTS.c.seq)
            .limit(1)
        )
        with self.reading() as conn:
            row = conn.execute(query).first()
        return None if row is None else int(row[0])

    def segments(self) -> list[Row[Any]]:
        with self.reading() as conn:
            return list(conn.execute(select(SEGMENTS).order_by(SEGMENTS.c.start)))

    @staticmethod
    def add_segment(conn: Connection, **values: Any) -> None:
        conn.execute(insert(SEGMENTS).values(**values))

    def mark_segment(self, start: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(SEGMENTS).where(SEGMENTS.c.start == start).values(**values))

    def purge_events(self, start: int, end: int) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(delete(EVENTS).where(EVENTS.c.seq >= start, EVENTS.c.seq < end))
            return int(result.rowcount or 0)


def _sidecar_lock(engine: Engine) -> int | None:
    """An open descriptor of ``<database>-append.lock`` (0600) beside a SQLite file, or None
    for an in-memory database."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.open(f"{database}-append.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

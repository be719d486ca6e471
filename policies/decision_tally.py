"""Decision counts per UTC day, tallied from the audit log's decision events (ADR 0840).

The audit log is the record; this is a derived, exact index of it. ``catch_up`` reads the
decision events after the high-water mark (the last audit index tallied), counts them and
adds the counts in one transaction that also moves the mark, conditionally on the mark it
started from: two replicas catching up at once never count an event twice (the loser's
update finds the mark moved, rolls back and reads on from the new mark), and a crash
between two transactions loses nothing (the mark moved with the counts or not at all).
Appends are serialized on the log's head, so an index seen committed has every earlier
index committed before it: the mark never skips an event still to come.

The pure part (``tally_of``, ``summary_of``) is what tests compare against: the full
computation over every decision event gives the same counts as the incremental one.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from audit import EventFilter, EventType
from policies.decision_ids import EventReader
from policies.tables import DecisionTallyMarkRow, DecisionTallyRow

TALLY: Table = DecisionTallyRow.__table__  # type: ignore[attr-defined]
MARK: Table = DecisionTallyMarkRow.__table__  # type: ignore[attr-defined]

ALLOW, DENY, REASON, SUBJECT = "allow", "deny", "reason", "subject"
UNKNOWN = "unknown"
PAGE = 1000  # the audit log's largest page
CHUNK_EVENTS = 10_000  # decision events per catch-up transaction
FOLD_AT = 256  # a process counts up to this many events past the mark in memory, then folds
TOP = 10

# (day, kind, label) -> count
TallyKey = tuple[str, str, str]


def _text(value: object) -> str:
    return value if isinstance(value, str) and value else UNKNOWN


def _member(document: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = document.get(name)
    return value if isinstance(value, Mapping) else {}


def tally_of(documents: Iterable[Mapping[str, Any]]) -> Counter[TallyKey]:
    """Pure: the counts of decision event documents (missing members count as unknown).

    Per day and service: allowed and denied decisions; per day: each deny reason and each
    denied subject (the actor id, which the decision log writes as a keyed HMAC)."""
    counts: Counter[TallyKey] = Counter()
    for document in documents:
        details = _member(document, "details")
        allow = details.get("allow")
        if not isinstance(allow, bool):
            allow = document.get("outcome") == "success"
        day = _text(document.get("time"))[:10]
        service = _text(_member(document, "origin").get("service"))
        counts[(day, ALLOW if allow else DENY, service)] += 1
        if allow:
            continue
        reasons = details.get("reasons")
        for reason in reasons if isinstance(reasons, list) else []:
            counts[(day, REASON, str(reason))] += 1
        counts[(day, SUBJECT, _text(_member(document, "actor").get("id")))] += 1
    return counts


@dataclass(frozen=True)
class DayServiceCount:
    day: str
    service: str
    allowed: int
    denied: int

    @property
    def deny_percent(self) -> float:
        total = self.allowed + self.denied
        return round(100.0 * self.denied / total, 1) if total else 0.0


@dataclass(frozen=True)
class DecisionSummary:
    """What the decisions page shows for the days from ``since`` on."""

    since: str
    decisions: int = 0
    rows: list[DayServiceCount] = field(default_factory=list)
    deny_reasons: list[tuple[str, int]] = field(default_factory=list)
    denied_subjects: list[tuple[str, int]] = field(default_factory=list)
    tallied_upto: int = -1


def _top(counter: Counter[str], top: int) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:top]


def summary_of(
    counts: Mapping[TallyKey, int], since: str, *, top: int = TOP, tallied_upto: int = -1
) -> DecisionSummary:
    """Pure: rates by day and service, and the top deny reasons and denied subjects
    (ties in label order), over the days from ``since`` (``YYYY-MM-DD``) on."""
    per_row: dict[tuple[str, str], list[int]] = {}
    reasons: Counter[str] = Counter()
    subjects: Counter[str] = Counter()
    for (day, kind, label), count in counts.items():
        if day < since or count == 0:
            continue
        if kind in (ALLOW, DENY):
            per_row.setdefault((day, label), [0, 0])[kind == DENY] += count
        elif kind == REASON:
            reasons[label] += count
        elif kind == SUBJECT:
            subjects[label] += count
    rows = [
        DayServiceCount(day, service, allowed, denied)
        for (day, service), (allowed, denied) in sorted(per_row.items())
    ]
    return DecisionSummary(
        since=since,
        decisions=sum(row.allowed + row.denied for row in rows),
        rows=rows,
        deny_reasons=_top(reasons, top),
        denied_subjects=_top(subjects, top),
        tallied_upto=tallied_upto,
    )


def _key_hash(label: str) -> str:
    return hashlib.sha256(label.encode("utf-8", "surrogatepass")).hexdigest()


class _MarkMovedError(Exception):
    """Another catch-up moved the mark first: this one's counts are dropped."""


class DecisionTally:
    """The tally in the database, caught up from the audit log on demand."""

    def __init__(
        self,
        engine: Engine,
        events: EventReader,
        *,
        chunk_events: int = CHUNK_EVENTS,
        fold_at: int = FOLD_AT,
    ) -> None:
        self._engine = engine
        self._events = events
        self._chunk = max(1, chunk_events)
        self._fold_at = max(1, fold_at)
        # (mark, last index counted, events counted, their counts): the tail after the mark
        self._tail: tuple[int, int, int, Counter[TallyKey]] | None = None
        self._lock = threading.Lock()
        # ((mark, since), counts of the window at that mark), replaced whole
        self._kept: tuple[tuple[int, str], dict[TallyKey, int]] | None = None

    def mark(self) -> int:
        """The last audit index tallied (-1: none)."""
        with self._engine.connect() as conn:
            upto = conn.execute(select(MARK.c.upto).where(MARK.c.id == 1)).scalar()
        return -1 if upto is None else int(upto)

    def catch_up(self) -> int:
        """Tally the decision events after the mark; the number of events this call added.

        One thread of a process catches up at a time (the others wait and find the mark
        moved); replicas that race are settled by the conditional mark update."""
        added = 0
        with self._lock:
            while True:
                mark = self.mark()
                documents, last, _ = self._read_after(mark, self._chunk)
                if last is None:
                    return added
                try:
                    self._add(mark, last, tally_of(documents))
                except _MarkMovedError:
                    continue
                added += len(documents)

    def _read_after(
        self, mark: int, limit: int | None
    ) -> tuple[list[dict[str, Any]], int | None, bool]:
        """Up to ``limit`` (None: all) decision documents after ``mark``, the index of the
        last one read, and whether they reach the end of the log as it was read."""
        where = EventFilter(type=EventType.DECISION.value)
        documents: list[dict[str, Any]] = []
        after, last = mark, None
        while limit is None or len(documents) < limit:
            size = PAGE if limit is None else min(PAGE, limit - len(documents))
            page = self._events.events(where, after=after, limit=size)
            documents.extend(event.document for event in page.events)
            if page.events:
                last = after = page.events[-1].seq
            if page.next_cursor is None:
                return documents, last, True
        return documents, last, False

    def _add(self, mark: int, last: int, counts: Counter[TallyKey]) -> None:
        try:
            with self._engine.begin() as conn:
                self._move_mark(conn, mark, last)
                self._add_counts(conn, counts)
        except IntegrityError as exc:  # a concurrent first catch-up inserted the mark
            raise _MarkMovedError() from exc

    @staticmethod
    def _move_mark(conn: Connection, mark: int, last: int) -> None:
        if mark < 0:
            conn.execute(MARK.insert().values(id=1, upto=last))
            return
        moved = conn.execute(
            update(MARK).where(MARK.c.id == 1, MARK.c.upto == mark).values(upto=last)
        )
        if moved.rowcount != 1:
            raise _MarkMovedError()

    @staticmethod
    def _add_counts(conn: Connection, counts: Counter[TallyKey]) -> None:
        if not counts:
            return
        days = sorted({day for day, _, _ in counts})
        held = {
            (row.day, row.kind, row.key_hash)
            for row in conn.execute(
                select(TALLY.c.day, TALLY.c.kind, TALLY.c.key_hash).where(TALLY.c.day.in_(days))
            )
        }
        updates, inserts = [], []
        for (day, kind, label), count in counts.items():
            key = {"d": day, "k": kind, "h": _key_hash(label)}
            if (day, kind, key["h"]) in held:
                updates.append({**key, "n": count})
            else:
                inserts.append(
                    {"day": day, "kind": kind, "key_hash": key["h"], "label": label, "count": count}
                )
        if updates:
            conn.execute(
                update(TALLY)
                .where(
                    and_(
                        TALLY.c.day == bindparam("d"),
                        TALLY.c.kind == bindparam("k"),
                        TALLY.c.key_hash == bindparam("h"),
                    )
                )
                .values(count=TALLY.c.count + bindparam("n")),
                updates,
            )
        if inserts:
            conn.execute(TALLY.insert(), inserts)

    def counts(self, since: str = "") -> tuple[dict[TallyKey, int], int]:
        """The stored counts of the days from ``since`` on and the mark they stand at, in one
        statement (one snapshot on every backend; no catch-up)."""
        query = (
            select(MARK.c.upto, TALLY.c.day, TALLY.c.kind, TALLY.c.label, TALLY.c.count)
            .select_from(MARK.outerjoin(TALLY, TALLY.c.day >= since))
            .where(MARK.c.id == 1)
        )
        counts: dict[TallyKey, int] = {}
        mark = -1
        with self._engine.connect() as conn:
            for upto, day, kind, label, n in conn.execute(query):
                mark = int(upto)
                if day is not None:
                    counts[(day, kind, label)] = int(n)
        return counts, mark

    def _window(self, since: str) -> tuple[dict[TallyKey, int], int]:
        """``counts(since)``, kept per process while the mark stays where it was: the counts
        at a mark never change (mark and counts move together), so a kept copy is exact."""
        kept = self._kept
        if kept is not None and kept[0] == (self.mark(), since):
            return kept[1], kept[0][0]
        counts, mark = self.counts(since)
        self._kept = ((mark, since), counts)
        return counts, mark

    def summary(self, since: str, *, top: int = TOP) -> DecisionSummary:
        """Exact over the days from ``since`` on: the stored counts at their mark plus the
        decision events after it, counted in memory. This process keeps that tail's counts
        (for the mark they extend), so a read decodes only the events new since the last
        read; once ``fold_at`` events are waiting, the read first folds them into the table
        (``catch_up``) and starts a new tail from the new mark."""
        counts, mark = self._window(since)
        kept = self._tail
        if kept is not None and kept[0] == mark:
            _, after, seen, tail = kept
        else:
            after, seen, tail = mark, 0, Counter()
        documents, last, complete = self._read_after(after, self._fold_at)
        if not complete or seen + len(documents) >= self._fold_at:
            self.catch_up()
            counts, mark = self._window(since)
            documents, last, _ = self._read_after(mark, None)
            after, seen, tail = mark, 0, Counter()
        tail = tail + tally_of(documents)  # a new counter: the kept one is never changed
        upto = after if last is None else last
        self._tail = (mark, upto, seen + len(documents), tail)
        total = Counter(counts)
        total.update(tail)
        return summary_of(total, since, top=top, tallied_upto=upto)

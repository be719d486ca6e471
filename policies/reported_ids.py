"""Claims on reported decision ids (issue 14, item 4; ADR 0214): a ``decision_id`` an OPA
agent reports is recorded once, even when two uploads of it race on two workers or replicas,
and a claim whose uploader died is not a reason to refuse the agent's retry.

The audit log answers "is this id already recorded?" (``DecisionIdLookup``), but two uploads
can both ask before either records. Each upload therefore first claims its new ids in a
table whose primary key is the id (one transaction, ``ON CONFLICT DO NOTHING RETURNING``):
the database lets exactly one claim win. An upload the log then fails to record releases
its claims, so the agent's retry is accepted.

A process killed between the claim's commit and the record leaves the claim behind, and
the agent (no 2xx) retries. A claim older than the lease (far longer than one upload's
claim-to-record) is stale: ``take_over_stale`` renews it for the caller in one conditional
``UPDATE ... WHERE reported_at < now - lease RETURNING`` (of two retries racing, the row
lock lets one win; the other sees the renewed stamp and is refused). The taker asks the log
again before recording, since the original may have recorded after all. A claim within its
lease is refused as before.

Claims are not kept for ever: one older than the retention (an hour, twelve leases) is
deleted, at most once a minute per process, after a claim. Its id needs no claim by then:
the log holds a recorded id and refuses it on lookup, and a dead uploader's claim would have
been taken over anyway. Pruning is housekeeping: when it fails, the claim it followed
stands, and the next one tries again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from policies.tables import ReportedDecisionRow

REPORTED = ReportedDecisionRow.__table__  # type: ignore[attr-defined]
CHUNK = 500  # rows per statement (bound parameters: two per inserted row, one per id)
LOG = logging.getLogger(__name__)


class ReportedDecisionClaims:
    """``claim``/``take_over_stale``/``release``/``prune`` of reported decision ids in the
    policies database. ``lease_seconds``: how long a claim's uploader may take to record
    before the claim counts as left by a dead process; ``retention_seconds``: how long a
    claim is kept at all (ADR 0214)."""

    DEFAULT_LEASE_SECONDS = 300.0
    DEFAULT_RETENTION_SECONDS = 3600.0
    PRUNE_EVERY_SECONDS = 60.0

    def __init__(
        self,
        engine: Engine,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not lease_seconds > 0:
            raise ValueError("a claim's lease is a positive number of seconds")
        if not retention_seconds >= lease_seconds:
            raise ValueError("claims are kept at least as long as their lease")
        self._engine = engine
        self._lease = timedelta(seconds=lease_seconds)
        self._retention = timedelta(seconds=retention_seconds)
        self._clock = clock
        self._monotonic = monotonic
        self._next_prune = monotonic()  # the first claim prunes what earlier runs left

    def _now(self) -> datetime:
        # UTC always: SQLite stores the stamp as text without its offset, compared as text
        return self._clock().astimezone(UTC)

    def claim(self, decision_ids: Iterable[str]) -> set[str]:
        """The ids among ``decision_ids`` this call claimed; the others were claimed before."""
        ids = list(dict.fromkeys(decision_ids))
        claimed: set[str] = set()
        now = self._now()
        insert = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        with self._engine.begin() as connection:  # one transaction: one commit per upload
            for start in range(0, len(ids), CHUNK):
                rows = [{"decision_id": i, "reported_at": now} for i in ids[start : start + CHUNK]]
                statement = (
                    insert(REPORTED)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["decision_id"])
                    .returning(REPORTED.c.decision_id)
                )
                claimed.update(connection.execute(statement).scalars())
        self._prune_when_due()
        return claimed

    def take_over_stale(self, decision_ids: Iterable[str]) -> set[str]:
        """The ids among ``decision_ids`` whose claim was older than the lease and is now this
        caller's (renewed); a claim within its lease, or none, is not taken."""
        ids = sorted(set(decision_ids))  # one lock order for every caller: no deadlock
        if not ids:
            return set()
        now = self._now()
        taken: set[str] = set()
        with self._engine.begin() as connection:
            for start in range(0, len(ids), CHUNK):
                statement = (
                    update(REPORTED)
                    .where(
                        REPORTED.c.decision_id.in_(ids[start : start + CHUNK]),
                        REPORTED.c.reported_at < now - self._lease,
                    )
                    .values(reported_at=now)
                    .returning(REPORTED.c.decision_id)
                )
                taken.update(connection.execute(statement).scalars())
        return taken

    def release(self, decision_ids: Iterable[str]) -> None:
        """Give back claims whose upload was not recorded."""
        ids = list(decision_ids)
        if not ids:
            return
        with self._engine.begin() as connection:
            connection.execute(delete(REPORTED).where(REPORTED.c.decision_id.in_(ids)))

    def prune(self) -> int:
        """Delete the claims older than the retention; how many were deleted."""
        cutoff = self._now() - self._retention
        with self._engine.begin() as connection:
            deleted = connection.execute(delete(REPORTED).where(REPORTED.c.reported_at < cutoff))
        return int(deleted.rowcount)

    def _prune_when_due(self) -> None:
        now = self._monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + self.PRUNE_EVERY_SECONDS
        try:
            self.prune()
        except SQLAlchemyError as exc:  # housekeeping: the claim made stands
            LOG.warning("pruning old reported-decision claims failed: %s", type(exc).__name__)

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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from policies.tables import ReportedDecisionRow

REPORTED = ReportedDecisionRow.__table__  # type: ignore[attr-defined]
CHUNK = 500  # rows per statement (bound parameters: two per inserted row, one per id)


class ReportedDecisionClaims:
    """``claim``/``take_over_stale``/``release`` of reported decision ids in the policies
    database. ``lease_seconds``: how long a claim's uploader may take to record before the
    claim counts as left by a dead process (ADR 0214)."""

    DEFAULT_LEASE_SECONDS = 300.0

    def __init__(
        self,
        engine: Engine,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not lease_seconds > 0:
            raise ValueError("a claim's lease is a positive number of seconds")
        self._engine = engine
        self._lease = timedelta(seconds=lease_seconds)
        self._clock = clock

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

"""Claims on reported decision ids (issue 14, item 4): a ``decision_id`` an OPA agent
reports is recorded once, even when two uploads of it race on two workers or replicas.

The audit log answers "is this id already recorded?" (``DecisionIdLookup``), but two uploads
can both ask before either records. Each upload therefore first claims its new ids in a
table whose primary key is the id (one transaction, ``ON CONFLICT DO NOTHING RETURNING``):
the database lets exactly one claim win. An upload the log then fails to record releases
its claims, so the agent's retry is accepted. A process killed between the claim and the
record leaves the claim: the agent's retry of those ids is refused as already reported (at
most once, never twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from policies.tables import ReportedDecisionRow

REPORTED = ReportedDecisionRow.__table__  # type: ignore[attr-defined]
CHUNK = 500  # rows per insert (two bound parameters each)


class ReportedDecisionClaims:
    """``claim``/``release`` of reported decision ids in the policies database."""

    def __init__(
        self, engine: Engine, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._engine = engine
        self._clock = clock

    def claim(self, decision_ids: Iterable[str]) -> set[str]:
        """The ids among ``decision_ids`` this call claimed; the others were claimed before."""
        ids = list(dict.fromkeys(decision_ids))
        claimed: set[str] = set()
        now = self._clock()
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

    def release(self, decision_ids: Iterable[str]) -> None:
        """Give back claims whose upload was not recorded."""
        ids = list(decision_ids)
        if not ids:
            return
        with self._engine.begin() as connection:
            connection.execute(delete(REPORTED).where(REPORTED.c.decision_id.in_(ids)))

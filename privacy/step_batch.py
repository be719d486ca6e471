"""One execution's audit events and row changes, written together (ADR 0605).

The events go to the log first, as one ``record_many`` (one durable group commit); then the
request's values, its steps and the events' sequence numbers change in one transaction that
applies only while the request is still in the state the batch started from (ADR 0601: a
step the log cannot record changes nothing). The request object is kept equal to what was
written, so the caller need not read it back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from audit import AuditEventIn, AuditRecorder
from privacy.errors import IllegalTransitionError
from privacy.model import DsrRequest, Step
from privacy.repository import DsrRepository


class StepBatch:
    def __init__(self, request: DsrRequest) -> None:
        self.request = request
        self.expected = request.state  # the state the stored row must still be in
        self.events: list[AuditEventIn] = []
        self.actions: list[str] = []
        self.steps: list[tuple[Step, int]] = []  # a step and the index of its event
        self.values: dict[str, Any] = {}

    def add(self, action: str, event: AuditEventIn) -> int:
        """Queue an event; returns its index in the batch."""
        self.events.append(event)
        self.actions.append(action)
        return len(self.events) - 1

    def add_step(self, step: Step, event_index: int) -> None:
        """Save ``step`` with the flush; its ``audit_seq`` is the event at ``event_index``."""
        self.steps = [(s, i) for s, i in self.steps if s.id != step.id]
        self.steps.append((step, event_index))

    def set(self, **values: Any) -> None:
        """Values of the request's row (and of the request object) written with the flush."""
        self.values.update(values)

    def flush(
        self,
        audit: AuditRecorder,
        repository: DsrRepository,
        now: datetime,
        *,
        before_rows: Callable[[], object] | None = None,
    ) -> list[int]:
        """Record the events durably, then (after ``before_rows``: e.g. waiting for a file
        written meanwhile to be durable) apply the row changes; their sequence numbers."""
        if not self.events and not self.values:
            return []
        seqs = [receipt.seq for receipt in audit.record_many(self.events)]
        if before_rows is not None:
            before_rows()
        for step, index in self.steps:
            step.audit_seq = seqs[index]
        applied = repository.apply(
            self.request.id,
            self.expected,
            self.values,
            now,
            steps=[step for step, _ in self.steps],
            events=list(zip(self.actions, seqs, strict=True)),
        )
        if not applied:
            raise IllegalTransitionError("the request changed meanwhile; reload it")
        for step, _ in self.steps:
            step.updated_at = now  # stored: the next save updates it
        self._mirror(seqs)
        return seqs

    def _mirror(self, seqs: list[int]) -> None:
        request = self.request
        for key, value in self.values.items():
            setattr(request, key, value)
        known = {step.id for step in request.steps}
        request.steps.extend(step for step, _ in self.steps if step.id not in known)
        request.audit_seqs = sorted([*request.audit_seqs, *seqs])
        self.expected = request.state
        self.events, self.actions, self.steps, self.values = [], [], [], {}

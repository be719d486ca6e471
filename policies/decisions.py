"""The decision service: one fail-closed ``decide()`` behind every entry point."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from ulid import ULID

from policies.consent import ConsentSource
from policies.decision_log import DecisionLogEntry, DecisionLogger, LogReceipt
from policies.engines.port import DECISION_QUERY, BatchEngine, Evaluation, PolicyEngine
from policies.errors import (
    DecisionLogUnavailableError,
    EvaluationError,
    EvaluationTimeoutError,
    FactRefusedError,
    InvalidRequestError,
)
from policies.facts import ConsentFacts, FactCheck, Facts, FactsView
from policies.input_limits import check_representable
from policies.metrics import DecisionMetrics, NullMetrics
from policies.models import (
    DECISION_LOG_UNAVAILABLE,
    POLICY_EVALUATION_FAILED,
    Decision,
    validate_request,
)
from policies.requests import access_request

MAX_BATCH = 1000
# Requests per engine call in a batch (ADR 0207): small enough that a chunk stays far below
# the per-decision timeout, large enough to amortise the per-call cost.
BATCH_CHUNK = 64


class EngineSource(Protocol):
    """Hands out the engine of the active bundle revision."""

    def current(self) -> PolicyEngine: ...


class PolicyDecider(Protocol):
    """What a consumer of in-process decisions needs (``DecisionService`` implements it)."""

    def check(
        self,
        subject: Mapping[str, Any],
        action: str | Mapping[str, Any],
        resource: Mapping[str, Any],
        context: Mapping[str, Any] | None = None,
        *,
        entry_point: str = "in-process",
        requested_by: str | None = None,
    ) -> Decision: ...


class StaticEngineSource:
    def __init__(self, engine: PolicyEngine) -> None:
        self._engine = engine

    def current(self) -> PolicyEngine:
        return self._engine


class _UnavailableEngine:
    """Stands in when no engine could be loaded: every evaluation is an error."""

    revision = "unavailable"

    def ready(self) -> None:
        """Nothing to prepare: every evaluation fails."""

    def evaluate(self, query: str, input_document: Mapping[str, Any]) -> Evaluation:
        raise EvaluationError("no policy engine available")


_UNAVAILABLE = _UnavailableEngine()


def _undecided() -> Decision:
    """The decision a refused or failed fact check replaces (never answered as such)."""
    return Decision(False, [], [], "", new_decision_id())


def new_decision_id() -> str:
    return str(ULID())


@dataclass(frozen=True)
class BatchItem:
    """One answer of a batch: a decision, or the error that kept an item from being decided."""

    decision: Decision | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        if self.decision is not None:
            return self.decision.as_dict()
        return {"error": {"status": 422, "detail": self.error}}


@dataclass(frozen=True)
class DataResult:
    """A Data API answer: the value (when defined), decision id and revision."""

    evaluation: Evaluation
    decision_id: str
    policy_revision: str


@dataclass(frozen=True)
class Evaluated:
    """A decision made but not answered yet: its event is still to be made durable."""

    decision: Decision
    entry: DecisionLogEntry
    logged: bool = True  # False: an allow the log does not record (ADR 0209)


class DecisionReceipt:
    """Decisions handed to the decision log (``DecisionService.submit``), answerable once
    ``settle()`` returned: it waits (bounded) until their events are durable, counts them,
    and raises ``DecisionLogUnavailableError`` (503 + Retry-After) when they are not."""

    __slots__ = ("_answered", "_items", "_log", "_service")

    def __init__(
        self,
        service: DecisionService,
        items: Sequence[Evaluated],
        log: LogReceipt | None,
        answered: list[Decision] | None = None,
    ) -> None:
        self._service = service
        self._items = items
        self._log = log
        self._answered = answered if answered is not None else [i.decision for i in items]

    @property
    def needs_thread(self) -> bool:
        """True when ``settle`` still has blocking I/O to do (run it in a worker thread)."""
        return self._log is not None and self._log.needs_thread

    @property
    def done(self) -> bool:
        return self._log is None or self._log.done

    def add_done_callback(self, callback: Callable[[], None]) -> None:
        """``callback()`` once ``settle`` would not wait (on the audit writer's thread)."""
        if self._log is None:
            callback()
        else:
            self._log.add_done_callback(callback)

    def settle(self, timeout: float | None = None) -> list[Decision]:
        if self._log is not None:
            try:
                self._log.settle(timeout)
            except DecisionLogUnavailableError:
                self._service.metrics.log_queue_full()
                raise
        self._service.count(self._items, self._answered)
        return self._answered


class DecisionService:
    """Evaluates requests on the active engine, fails closed, logs every decision.

    Fail closed: an engine error (a remote engine's network timeout included), an
    evaluation that burnt more than ``timeout_seconds`` of this thread's CPU time (a runaway
    policy), an undefined or malformed result, and a full decision-log queue all become a
    deny with a reason. A result that is merely late on the wall clock (GIL or CPU
    contention, a slow network answer within the engine's own timeout) is kept: it is as
    correct as a prompt one (issue 15, item 7).
    """

    def __init__(
        self,
        engines: EngineSource,
        logger: DecisionLogger | None,
        *,
        metrics: DecisionMetrics | None = None,
        timeout_seconds: float = 0.05,
        query: str = DECISION_QUERY,
        consents: ConsentSource | None = None,
        facts: Sequence[FactCheck] = (),
    ) -> None:
        self._engines = engines
        self._facts = Facts([*([ConsentFacts(consents)] if consents else []), *facts])
        self._logger = logger
        self._metrics = metrics or NullMetrics()
        self._timeout = timeout_seconds
        self._query = query

    @property
    def engines(self) -> EngineSource:
        return self._engines

    @property
    def metrics(self) -> DecisionMetrics:
        return self._metrics

    def _ledger_view(self, request: Mapping[str, Any]) -> FactsView:
        """The request with trustplane's records applied (consent ledger, DSR register,
        data map: ADR 0602, ADR 0212); unchanged without any."""
        if not self._facts:
            return FactsView(request)
        return self._facts.apply(request)

    def reads_records(self, request: Mapping[str, Any]) -> bool:
        """True when deciding ``request`` may read trustplane's records now (a DSR citation,
        a consent or data map not in memory): evaluate it off the event loop (ADR 0213)."""
        return self._facts.reads(request)

    def _with_ledger(self, engine: PolicyEngine, view: FactsView, decision: Decision) -> Decision:
        if view.failed:
            return self._failed(engine, decision.decision_id, "error", view.failure)
        if view.refused:  # a record the request names does not check out: deny, unevaluated
            return Decision(
                False, [*view.refusals, *view.notes], [], engine.revision, decision.decision_id
            )
        if not view.notes:
            return decision
        return replace(decision, reasons=[*decision.reasons, *view.notes])

    def decide(
        self,
        request: Mapping[str, Any],
        *,
        entry_point: str = "authorize",
        requested_by: str | None = None,
        query: str | None = None,
        log_allow: bool = True,
    ) -> Decision:
        """Decide one (already shape-checked) request.

        ``log_allow=False`` records only denies (the route gate on the decision endpoints,
        whose own decision event is the record of the call: ADR 0209).
        ``DecisionLogUnavailableError`` when a durable decision log could not record it.
        """
        evaluated = self.evaluate(
            request,
            entry_point=entry_point,
            requested_by=requested_by,
            query=query,
            log_allow=log_allow,
        )
        return self.submit([evaluated]).settle()[0]

    def evaluate(
        self,
        request: Mapping[str, Any],
        *,
        entry_point: str = "authorize",
        requested_by: str | None = None,
        query: str | None = None,
        log_allow: bool = True,
    ) -> Evaluated:
        """Evaluate one (already shape-checked) request, fail closed, and log nothing yet:
        the decision may be answered only once ``submit([...]).settle()`` returned (ADR 0213).

        CPU work only on a loaded embedded engine, unless a fact check must read a store
        (``reads_records``: a DSR citation, a consent or data map not in memory);
        ``log_allow=False``: an allow is not to be logged (ADR 0209), a deny still is.
        """
        decision, entry = self._decide_entry(request, entry_point, requested_by, query)
        return Evaluated(decision, entry, logged=log_allow or not decision.allow)

    def submit(self, items: Sequence[Evaluated]) -> DecisionReceipt:
        """Hand the decisions to the decision log without waiting for durability.

        Durable log: the events are built here and queued for the audit writer's next group
        commit; the receipt settles once they are durable. Async log: queued in memory at
        once (a full queue turns a decision into a fail-closed deny). Decisions to be
        answered come from ``settle()`` only.
        """
        logger = self._logger
        logged = [item.entry for item in items if item.logged]
        if logger is not None and logger.durable:
            return DecisionReceipt(self, items, logger.submit_durable(logged))
        answered = [
            self._finish_async(item.decision, item.entry) if item.logged else item.decision
            for item in items
        ]
        return DecisionReceipt(self, items, None, answered)

    def count(self, items: Sequence[Evaluated], answered: Sequence[Decision]) -> None:
        """Count answered decisions in the metrics (``DecisionReceipt.settle`` does, once)."""
        for decision, item in zip(answered, items, strict=True):
            self._metrics.decision(
                item.entry.entry_point, decision.allow, item.entry.latency_seconds
            )

    def _decide_entry(
        self,
        request: Mapping[str, Any],
        entry_point: str,
        requested_by: str | None,
        query: str | None = None,
    ) -> tuple[Decision, DecisionLogEntry]:
        started = time.perf_counter()
        try:
            engine = self._engines.current()
        except Exception:  # no engine (database down, no bundle): fail closed
            engine = _UNAVAILABLE
        view = self._ledger_view(request)
        if view.failed or view.refused:
            decision = self._with_ledger(engine, view, _undecided())
        else:
            decision = self._with_ledger(
                engine,
                view,
                self._evaluate(engine, query or self._query, view.request, new_decision_id()),
            )
        entry = DecisionLogEntry(
            decision=decision,
            input_document=dict(view.request),
            entry_point=entry_point,
            latency_seconds=time.perf_counter() - started,
            engine=engine,
            requested_by=requested_by,
            path=(query or self._query).removeprefix("data.").replace(".", "/"),
        )
        return decision, entry

    def check(
        self,
        subject: Mapping[str, Any],
        action: str | Mapping[str, Any],
        resource: Mapping[str, Any],
        context: Mapping[str, Any] | None = None,
        *,
        entry_point: str = "in-process",
        requested_by: str | None = None,
    ) -> Decision:
        """The in-process decision API for the composition root (e.g. vault field decrypts).

        ``subject``/``resource``/``context`` are the ACCESS-MODEL.md parts; ``action`` is the
        action name or ``{"name": ...}``. Returns a ``Decision`` (``allow``, ``reasons``,
        ``obligations``, ``policy_revision``, ``decision_id``), logged like every decision;
        ``InvalidRequestError`` when the parts are malformed. This signature is stable.
        """
        request = access_request(subject, action, resource, context)
        return self.decide_raw(request, entry_point=entry_point, requested_by=requested_by)

    def decide_raw(self, raw: Any, **kwargs: Any) -> Decision:
        """Validate the request shape first; ``InvalidRequestError`` when it is malformed."""
        return self.decide(validate_request(raw), **kwargs)

    def decide_many(
        self,
        raw_items: Sequence[Any],
        *,
        entry_point: str = "authorize-batch",
        requested_by: str | None = None,
    ) -> list[BatchItem]:
        """Decide up to ``MAX_BATCH`` requests, in order; a malformed one is its own error.

        On an engine that can (``BatchEngine``) the valid requests are evaluated
        ``BATCH_CHUNK`` at a time in one engine call each. A chunk whose call fails, or
        takes longer than the timeout, is decided again request by request, so an engine
        error or timeout stays the decision of the request that caused it. The decisions
        of the whole batch are logged in one durable write before any is answered.
        """
        if len(raw_items) > MAX_BATCH:
            raise InvalidRequestError(f"a batch holds at most {MAX_BATCH} requests")
        answers: list[BatchItem | None] = [None] * len(raw_items)
        valid: list[tuple[int, dict[str, Any]]] = []
        for index, raw in enumerate(raw_items):
            try:
                valid.append((index, validate_request(raw)))
            except InvalidRequestError as exc:
                answers[index] = BatchItem(error=str(exc))
        try:
            engine = self._engines.current()
        except Exception:  # no engine (database down, no bundle): fail closed
            engine = _UNAVAILABLE
        pairs: list[tuple[Decision, DecisionLogEntry]] = []
        for start in range(0, len(valid), BATCH_CHUNK):
            chunk = valid[start : start + BATCH_CHUNK]
            pairs += self._decide_chunk(engine, chunk, entry_point, requested_by)
        finished = self._finish(pairs)
        for (index, _), decision in zip(valid, finished, strict=True):
            answers[index] = BatchItem(decision=decision)
        return [
            answer if answer is not None else BatchItem(error="not decided") for answer in answers
        ]

    def _decide_chunk(
        self,
        engine: PolicyEngine,
        chunk: list[tuple[int, dict[str, Any]]],
        entry_point: str,
        requested_by: str | None,
    ) -> list[tuple[Decision, DecisionLogEntry]]:
        views = [self._ledger_view(request) for _, request in chunk]
        if any(view.failed or view.refused for view in views):
            return [self._decide_entry(request, entry_point, requested_by) for _, request in chunk]
        requests = [view.request for view in views]
        evaluations: list[Evaluation] | None = None
        runaway = False
        started = time.perf_counter()
        if isinstance(engine, BatchEngine):
            try:
                engine.ready()  # outside the CPU budget: set-up is not the policy's cost
                cpu_started = time.thread_time()
                evaluations = engine.evaluate_many(self._query, requests)
                runaway = time.thread_time() - cpu_started > self._timeout * len(requests)
            except EvaluationError:
                evaluations = None
        elapsed = time.perf_counter() - started
        if evaluations is None or runaway:
            return [self._decide_entry(request, entry_point, requested_by) for _, request in chunk]
        share = elapsed / len(requests)
        path = self._query.removeprefix("data.").replace(".", "/")
        decisions: list[tuple[Decision, DecisionLogEntry]] = []
        for view, request, evaluation in zip(views, requests, evaluations, strict=True):
            decision = self._with_ledger(
                engine, view, self._decision_of(engine, evaluation, new_decision_id())
            )
            entry = DecisionLogEntry(
                decision=decision,
                input_document=dict(request),
                entry_point=entry_point,
                latency_seconds=share,
                engine=engine,
                requested_by=requested_by,
                path=path,
            )
            decisions.append((decision, entry))
        return decisions

    def query(
        self,
        path_query: str,
        input_document: Mapping[str, Any],
        *,
        requested_by: str | None = None,
    ) -> DataResult:
        """OPA Data API: evaluate any ``data.*`` query; failures raise ``EvaluationError``.

        ``InvalidRequestError`` (before evaluation) when the input holds a value the audit
        log cannot canonicalize (an integer beyond ±(2**53 - 1), NaN, infinity).
        """
        check_representable(input_document)
        view = self._ledger_view(input_document)
        if view.failed:
            self._metrics.evaluation_failed("error")
            raise EvaluationError(POLICY_EVALUATION_FAILED)
        if view.refused:
            self._refuse_query(path_query, view, requested_by)
        input_document = view.request
        started = time.perf_counter()
        try:
            engine = self._engines.current()
        except Exception as exc:
            self._metrics.evaluation_failed("error")
            raise EvaluationError(POLICY_EVALUATION_FAILED) from exc
        decision_id = new_decision_id()
        try:
            engine.ready()  # outside the CPU budget: set-up is not the policy's cost
            cpu_started = time.thread_time()
            evaluation = engine.evaluate(path_query, input_document)
        except EvaluationError:
            self._metrics.evaluation_failed("error")
            raise
        elapsed = time.perf_counter() - started
        if time.thread_time() - cpu_started > self._timeout:
            self._metrics.evaluation_failed("timeout")
            raise EvaluationTimeoutError(POLICY_EVALUATION_FAILED)
        allow = _allow_of(evaluation)
        summary = Decision(
            allow=allow,
            reasons=_reasons_of(evaluation) + list(view.notes),
            obligations=[],
            policy_revision=engine.revision,
            decision_id=decision_id,
        )
        entry = DecisionLogEntry(
            decision=summary,
            input_document=dict(input_document),
            entry_point="opa-data",
            latency_seconds=elapsed,
            engine=engine,
            requested_by=requested_by,
            path=path_query.removeprefix("data").strip(".").replace(".", "/"),
        )
        if self._finish([(summary, entry)])[0].failed:
            raise EvaluationError(DECISION_LOG_UNAVAILABLE)
        return DataResult(evaluation, decision_id, engine.revision)

    # -- internals ----------------------------------------------------------------------

    def _refuse_query(self, path_query: str, view: FactsView, requested_by: str | None) -> None:
        """A Data API input naming a record that does not check out: the refusal is logged
        as a deny and answered as ``FactRefusedError``, nothing is evaluated (ADR 0212)."""
        try:
            engine = self._engines.current()
        except Exception:  # no engine: the refusal stands all the same
            engine = _UNAVAILABLE
        decision = self._with_ledger(engine, view, _undecided())
        entry = DecisionLogEntry(
            decision=decision,
            input_document=dict(view.request),
            entry_point="opa-data",
            latency_seconds=0.0,
            engine=engine,
            requested_by=requested_by,
            path=path_query.removeprefix("data").strip(".").replace(".", "/"),
        )
        if self._finish([(decision, entry)])[0].failed:
            raise EvaluationError(DECISION_LOG_UNAVAILABLE)
        raise FactRefusedError(
            "; ".join(view.refusals), list(decision.reasons), decision.decision_id
        )

    def _evaluate(
        self, engine: PolicyEngine, query: str, request: Mapping[str, Any], decision_id: str
    ) -> Decision:
        try:
            engine.ready()  # outside the CPU budget: set-up is not the policy's cost
            cpu_started = time.thread_time()
            evaluation = engine.evaluate(query, request)
        except EvaluationTimeoutError:
            return self._failed(engine, decision_id, "timeout")
        except EvaluationError:
            return self._failed(engine, decision_id, "error")
        if time.thread_time() - cpu_started > self._timeout:  # a runaway policy
            return self._failed(engine, decision_id, "timeout")
        return self._decision_of(engine, evaluation, decision_id)

    def _decision_of(
        self, engine: PolicyEngine, evaluation: Evaluation, decision_id: str
    ) -> Decision:
        """The decision an evaluation gives; undefined or malformed fails closed."""
        parsed = _parse_decision(evaluation)
        if parsed is None:
            return self._failed(engine, decision_id, "undefined")
        allow, reasons, obligations = parsed
        return Decision(allow, reasons, obligations, engine.revision, decision_id)

    def _failed(
        self, engine: PolicyEngine, decision_id: str, kind: str, why: str | None = None
    ) -> Decision:
        self._metrics.evaluation_failed(kind)
        return Decision(
            allow=False,
            reasons=[POLICY_EVALUATION_FAILED] if why is None else [POLICY_EVALUATION_FAILED, why],
            obligations=[],
            policy_revision=engine.revision,
            decision_id=decision_id,
            failed=True,
        )

    def _finish(self, pairs: list[tuple[Decision, DecisionLogEntry]]) -> list[Decision]:
        """Log the decisions (durably, in one write, unless the logger is async) and count
        them; the decisions to answer, in order."""
        return self.submit([Evaluated(decision, entry) for decision, entry in pairs]).settle()

    def _finish_async(self, decision: Decision, entry: DecisionLogEntry) -> Decision:
        if self._logger is None or self._logger.submit(entry):
            return decision
        self._metrics.log_queue_full()
        return Decision(
            allow=False,
            reasons=[DECISION_LOG_UNAVAILABLE],
            obligations=[],
            policy_revision=decision.policy_revision,
            decision_id=decision.decision_id,
            failed=True,
        )


def _parse_decision(evaluation: Evaluation) -> tuple[bool, list[str], list[dict[str, Any]]] | None:
    if not evaluation.defined or not isinstance(evaluation.value, dict):
        return None
    value = evaluation.value
    allow, reasons, obligations = value.get("allow"), value.get("reasons"), value.get("obligations")
    if not isinstance(allow, bool) or not isinstance(reasons, list):
        return None
    if obligations is None:
        obligations = []
    if not isinstance(obligations, list) or not all(isinstance(o, dict) for o in obligations):
        return None
    reason_texts = [str(reason) for reason in reasons]
    if not allow and not reason_texts:
        reason_texts = ["default deny"]
    return allow, reason_texts, obligations


def _allow_of(evaluation: Evaluation) -> bool:
    value = evaluation.value
    if isinstance(value, bool):
        return value
    if isinstance(value, dict) and isinstance(value.get("allow"), bool):
        return bool(value["allow"])
    return False


def _reasons_of(evaluation: Evaluation) -> list[str]:
    value = evaluation.value
    if isinstance(value, dict) and isinstance(value.get("reasons"), list):
        return [str(reason) for reason in value["reasons"]]
    return [] if evaluation.defined else ["undefined"]

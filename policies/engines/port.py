"""The ``PolicyEngine`` port: evaluate one query of the active bundle against an input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

DECISION_QUERY = "data.finsolve.authz.decision"
TRUSTPLANE_QUERY = "data.trustplane.authz.decision"
MASK_QUERY = "data.system.log.mask"


@dataclass(frozen=True)
class Evaluation:
    """What a query yielded: ``defined`` is False when the query produced no value."""

    defined: bool
    value: Any = None


UNDEFINED = Evaluation(defined=False)


@runtime_checkable
class PolicyEngine(Protocol):
    """An engine loaded with one bundle revision.

    ``evaluate`` raises ``EvaluationError`` when the engine fails (bad query, crash,
    unreachable server); an undefined result is ``Evaluation(defined=False)``.

    ``ready`` prepares evaluation on the calling thread (an embedded engine compiles its
    bundle there and evaluates once); it is cheap once done and raises ``EvaluationError``
    when it cannot. The decision service calls it before a decision's CPU budget starts, so
    one-time set-up is never judged a runaway policy (ADR 0215).
    """

    @property
    def revision(self) -> str: ...

    def ready(self) -> None: ...

    def evaluate(self, query: str, input_document: Mapping[str, Any]) -> Evaluation: ...


@runtime_checkable
class BatchEngine(Protocol):
    """An engine that can evaluate one query for many inputs in a single call.

    ``evaluate_many`` returns one ``Evaluation`` per input, in order; it raises
    ``EvaluationError`` when the call as a whole failed (any input's evaluation error fails
    the whole call: the caller then decides each input on its own).
    """

    def evaluate_many(
        self, query: str, input_documents: Sequence[Mapping[str, Any]]
    ) -> list[Evaluation]: ...

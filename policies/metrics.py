"""Metrics port of the decision point (the composition root plugs Prometheus in)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Protocol


class DecisionMetrics(Protocol):
    def decision(self, entry_point: str, allow: bool, seconds: float) -> None:
        """One decision answered (allow or deny) and how long it took."""

    def evaluation_failed(self, kind: str) -> None:
        """A fail-closed deny: ``kind`` is ``error``, ``timeout`` or ``undefined``."""

    def log_queue_full(self) -> None:
        """A decision failed closed because the decision-log queue was full."""


class NullMetrics:
    def decision(self, entry_point: str, allow: bool, seconds: float) -> None:
        return None

    def evaluation_failed(self, kind: str) -> None:
        return None

    def log_queue_full(self) -> None:
        return None

    def log_event_substituted(self) -> None:
        return None


class CountingMetrics:
    """Counts in memory (tests, the CLI, and a cheap default for ``/v1/policy`` figures)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.decisions: Counter[tuple[str, bool]] = Counter()
        self.failures: Counter[str] = Counter()
        self.queue_full = 0
        self.substituted = 0

    def decision(self, entry_point: str, allow: bool, seconds: float) -> None:
        with self._lock:
            self.decisions[(entry_point, allow)] += 1

    def evaluation_failed(self, kind: str) -> None:
        with self._lock:
            self.failures[kind] += 1

    def log_queue_full(self) -> None:
        with self._lock:
            self.queue_full += 1

    def log_event_substituted(self) -> None:
        with self._lock:
            self.substituted += 1


class PrometheusDecisionMetrics:
    """Prometheus adapter; pass the app's registry so instances never collide."""

    def __init__(self, registry: object) -> None:
        from prometheus_client import Counter as PromCounter
        from prometheus_client import Histogram

        self._decisions = PromCounter(
            "trustplane_policy_decisions",
            "Policy decisions by entry point and outcome",
            ["entry_point", "allow"],
            registry=registry,  # type: ignore[arg-type]
        )
        self._latency = Histogram(
            "trustplane_policy_decision_seconds",
            "Policy decision latency",
            ["entry_point"],
            buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
            registry=registry,  # type: ignore[arg-type]
        )
        self._failures = PromCounter(
            "trustplane_policy_evaluation_failures",
            "Fail-closed denies by kind (error, timeout, undefined)",
            ["kind"],
            registry=registry,  # type: ignore[arg-type]
        )
        self._queue_full = PromCounter(
            "trustplane_policy_decision_log_queue_full",
            "Decisions denied because the decision-log queue was full",
            registry=registry,  # type: ignore[arg-type]
        )
        self._substituted = PromCounter(
            "trustplane_policy_decision_log_substituted",
            "Decision events recorded with their input replaced (not canonicalizable)",
            registry=registry,  # type: ignore[arg-type]
        )

    def decision(self, entry_point: str, allow: bool, seconds: float) -> None:
        self._decisions.labels(entry_point, str(allow).lower()).inc()
        self._latency.labels(entry_point).observe(seconds)

    def evaluation_failed(self, kind: str) -> None:
        self._failures.labels(kind).inc()

    def log_queue_full(self) -> None:
        self._queue_full.inc()

    def log_event_substituted(self) -> None:
        self._substituted.inc()

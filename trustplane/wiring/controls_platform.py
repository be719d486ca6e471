"""Adapters from the other rooms' public APIs to the controls room's platform ports.

The controls room never imports the rooms it checks; the composition root builds these
adapters from the live objects (the audit log, the vault's key manager, the policy room)
and hands them to ``controls.PlatformCollector``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from audit import AuditLog
from controls import (
    AuditChainReport,
    BundleTestReport,
    DecisionLogReport,
    KeyInfo,
)
from policies import DecisionMetrics, PolicyRoom, run_rego_tests
from vault import KeyManager


class AuditChainAdapter:
    """``AuditChainStatus`` over ``audit.AuditLog``: full re-verification + latest checkpoint.

    ``AuditLog.verify()`` reads one consistent snapshot of the log, so appends committing
    meanwhile (the decision logger writes all the time) are not mistaken for inserted rows.
    """

    def __init__(self, log: AuditLog) -> None:
        self._log = log

    def chain_status(self) -> AuditChainReport:
        report = self._log.verify()
        checkpoint = self._log.latest_checkpoint()
        return AuditChainReport(
            verified=report.ok,
            tree_size=report.tree_size,
            last_checkpoint_at=checkpoint.created_at if checkpoint else None,
            detail="; ".join(report.problems[:3]),
        )


class KeyInventoryAdapter:
    """``KeyInventory`` over ``vault.KeyManager.inventory()`` with the configured cryptoperiod."""

    def __init__(self, keys: KeyManager, cryptoperiod_days: int) -> None:
        self._keys = keys
        self._cryptoperiod_days = cryptoperiod_days

    def keys(self) -> Sequence[KeyInfo]:
        return [
            KeyInfo(
                name=entry.info.name,
                provider=entry.info.provider,
                last_rotated_at=entry.info.last_rotated_at or entry.info.created_at,
                cryptoperiod_days=self._cryptoperiod_days,
            )
            for entry in self._keys.inventory()
        ]


class CountingDecisionMetrics:
    """Counts decisions and decision-log overflows, then forwards to the room's metrics.

    Built before the policy room and handed to it as its metrics (the room's metrics never
    change after construction), so the platform self-check reads the same counts.
    """

    def __init__(self, inner: DecisionMetrics) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.decisions = 0
        self.queue_full = 0

    def decision(self, entry_point: str, allow: bool, seconds: float) -> None:
        with self._lock:
            self.decisions += 1
        self._inner.decision(entry_point, allow, seconds)

    def evaluation_failed(self, kind: str) -> None:
        self._inner.evaluation_failed(kind)

    def log_queue_full(self) -> None:
        with self._lock:
            self.queue_full += 1
        self._inner.log_queue_full()


class PolicyRoomAdapter:
    """``DecisionLogStats`` and ``BundleTestStatus`` over ``policies.PolicyRoom``.

    A decision whose log entry could not be queued (queue full) is the policy room's only
    "drop": it fails closed and is counted by ``counts``, the metrics the room was built
    with. Bundle tests run once per revision.
    """

    def __init__(self, room: PolicyRoom, counts: CountingDecisionMetrics) -> None:
        self._room = room
        self._counts = counts
        self._tests: dict[str, BundleTestReport] = {}

    def decision_log_stats(self) -> DecisionLogReport:
        dropped = self._counts.queue_full
        return DecisionLogReport(shipped=max(self._counts.decisions - dropped, 0), dropped=dropped)

    def bundle_tests(self) -> BundleTestReport:
        files = self._room.bundles.active_files
        cached = self._tests.get(files.revision)
        if cached is None:
            report = run_rego_tests(files)
            cached = BundleTestReport(
                revision=files.revision, passed=report.passed, failed=len(report.failed)
            )
            self._tests = {files.revision: cached}
        return cached

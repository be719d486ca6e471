"""Ports the platform self-checks read through; the composition root plugs the rooms in.

Each port returns plain models from ``controls.snapshots.platform`` so that controls never
imports the rooms it checks; adapters live in the composition root (or the rooms).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from controls.snapshots.platform import (
    AuditChainReport,
    BreachClockInfo,
    BundleTestReport,
    DecisionLogReport,
    DsrInfo,
    KeyInfo,
)


@runtime_checkable
class AuditChainStatus(Protocol):
    """audit: does the Merkle log verify, and when was the last signed checkpoint?"""

    def chain_status(self) -> AuditChainReport: ...


@runtime_checkable
class KeyInventory(Protocol):
    """vault: every key with when it was last rotated and its cryptoperiod."""

    def keys(self) -> Sequence[KeyInfo]: ...


@runtime_checkable
class DecisionLogStats(Protocol):
    """policies: how many decision-log entries were shipped and dropped."""

    def decision_log_stats(self) -> DecisionLogReport: ...


@runtime_checkable
class DsrSlaStatus(Protocol):
    """privacy: data subject requests with their due dates (open and recently closed)."""

    def requests(self) -> Sequence[DsrInfo]: ...


@runtime_checkable
class BreachClockStatus(Protocol):
    """privacy: the timed notification clocks of every breach (open and closed)."""

    def breach_clocks(self) -> Sequence[BreachClockInfo]: ...


@runtime_checkable
class BundleTestStatus(Protocol):
    """policies: results of the active bundle's Rego unit tests."""

    def bundle_tests(self) -> BundleTestReport: ...

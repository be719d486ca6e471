"""platform self-checks: the other rooms of trustplane, read through ports."""

from __future__ import annotations

from controls.collectors.base import Clock, Collected, collected_from, utc_now
from controls.platform_ports import (
    AuditChainStatus,
    BreachClockStatus,
    BundleTestStatus,
    DecisionLogStats,
    DsrSlaStatus,
    KeyInventory,
)
from controls.snapshots.platform import PlatformSnapshot


class PlatformCollector:
    """Every port is optional: an unwired one yields ``not_applicable`` findings."""

    name = "platform"

    def __init__(
        self,
        *,
        audit: AuditChainStatus | None = None,
        keys: KeyInventory | None = None,
        decision_log: DecisionLogStats | None = None,
        dsr: DsrSlaStatus | None = None,
        bundle: BundleTestStatus | None = None,
        breaches: BreachClockStatus | None = None,
        checkpoint_max_age_seconds: int = 3600,
        clock: Clock = utc_now,
    ) -> None:
        self._audit = audit
        self._keys = keys
        self._decision_log = decision_log
        self._dsr = dsr
        self._bundle = bundle
        self._breaches = breaches
        self._checkpoint_max_age_seconds = checkpoint_max_age_seconds
        self._clock = clock

    def collect(self) -> Collected:
        snapshot = PlatformSnapshot(
            observed_at=self._clock(),
            checkpoint_max_age_seconds=self._checkpoint_max_age_seconds,
            audit=self._audit.chain_status() if self._audit else None,
            keys=tuple(self._keys.keys()) if self._keys else None,
            decision_log=self._decision_log.decision_log_stats() if self._decision_log else None,
            dsrs=tuple(self._dsr.requests()) if self._dsr else None,
            bundle=self._bundle.bundle_tests() if self._bundle else None,
            breach_clocks=tuple(self._breaches.breach_clocks()) if self._breaches else None,
        )
        return collected_from("platform:trustplane", snapshot)

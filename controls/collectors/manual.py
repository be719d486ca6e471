"""manual collector: attestations on file (documents uploaded for what no API shows)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from controls.collectors.base import Clock, Collected, collected_from, utc_now
from controls.snapshots.manual import AttestationInfo, ManualSnapshot


class AttestationSource(Protocol):
    """Where attestations are kept (the controls repository implements it)."""

    def attestations(self) -> Sequence[AttestationInfo]: ...


class ManualCollector:
    name = "manual"

    def __init__(self, source: AttestationSource, *, clock: Clock = utc_now) -> None:
        self._source = source
        self._clock = clock

    def collect(self) -> Collected:
        snapshot = ManualSnapshot(
            observed_at=self._clock(), attestations=tuple(self._source.attestations())
        )
        return collected_from("manual:attestations", snapshot)

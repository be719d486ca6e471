"""The data map's systems as records the decision point reads (``policies.SystemSource``):
where each system keeps its data, so a decision takes a resource's region from trustplane's
data map rather than from the caller (ADR 0212).

The latest loaded data map is parsed once per version. Whether a newer version was loaded
(on any replica) is asked with one indexed ``max(id)`` query at most every
``refresh_seconds`` (default 1 s; 0 asks on every lookup), so a new data map is in force
within that interval without a query on every decision.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from policies import SystemRecord
from privacy.datamap_loader import parse_datamap
from privacy.datamap_model import SystemSpec
from privacy.repository import DATAMAP, DsrRepository


class DataMapSystems:
    """``policies.SystemSource`` over the data map table; raises when it cannot be read."""

    def __init__(self, repository: DsrRepository, *, refresh_seconds: float = 1.0) -> None:
        self._repository = repository
        self._refresh = refresh_seconds
        self._lock = threading.Lock()
        self._version: int | None = None
        self._systems: dict[str, SystemRecord] = {}
        self._checked_at: float | None = None

    def system(self, name: str) -> SystemRecord | None:
        return self._current().get(name)

    def cached(self) -> bool:
        checked = self._checked_at
        return checked is not None and time.monotonic() - checked < self._refresh

    def _current(self) -> dict[str, SystemRecord]:
        checked = self._checked_at
        if checked is not None and time.monotonic() - checked < self._refresh:
            return self._systems
        with self._repository.engine.connect() as connection:
            version = connection.execute(select(func.max(DATAMAP.c.id))).scalar_one()
        with self._lock:
            if version != self._version:
                self._systems = self._load() if version is not None else {}
                self._version = version
            self._checked_at = time.monotonic()
            return self._systems

    def _load(self) -> dict[str, SystemRecord]:
        stored = self._repository.latest_datamap()
        if stored is None:
            return {}
        datamap = parse_datamap(stored.content).datamap
        return {s.name: SystemRecord(s.name, _region(s)) for s in datamap.systems}


def _region(system: SystemSpec) -> str:
    """The system's stated region; an S3 system that states none keeps its data where its
    bucket is."""
    if system.s3 is not None and "region" not in system.model_fields_set:
        return system.s3.region
    return system.region

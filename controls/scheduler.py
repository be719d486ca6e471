"""Scheduler: a background thread that runs each collector at its controls' frequency."""

from __future__ import annotations

import threading
from datetime import timedelta

import structlog

from controls.checks.registry import REGISTRY, CheckRegistry
from controls.collectors.base import Clock, utc_now
from controls.model import Catalog, Frequency
from controls.runner import RunReport
from controls.service import ControlsService

log = structlog.get_logger("controls.scheduler")


def collector_periods(
    catalog: Catalog, collectors: list[str], registry: CheckRegistry = REGISTRY
) -> dict[str, timedelta]:
    """Each collector runs as often as the most frequent control it evidences (default daily)."""
    periods: dict[str, timedelta] = {}
    for name in collectors:
        checks = {meta.id for meta in registry.for_collector(name)}
        candidates = [
            c.frequency.period for c in catalog.controls.values() if checks & set(c.checks)
        ]
        periods[name] = min(candidates, default=Frequency.DAILY.period)
    return periods


class Scheduler:
    def __init__(
        self,
        service: ControlsService,
        *,
        tick_seconds: float = 60.0,
        clock: Clock = utc_now,
    ) -> None:
        self._service = service
        self._tick = tick_seconds
        self._clock = clock
        self._periods = collector_periods(service.catalog, service.runner.collector_names)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def periods(self) -> dict[str, timedelta]:
        return dict(self._periods)

    def due(self) -> list[str]:
        now = self._clock()
        latest = self._service.repository.latest_collections()
        return [
            name
            for name, period in sorted(self._periods.items())
            if name not in latest or now - latest[name].finished_at >= period
        ]

    def tick(self) -> RunReport | None:
        """Run the collectors that are due (once); None when none is."""
        due = self.due()
        if not due:
            return None
        return self._service.collect(due, trigger="schedule")

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="controls-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # keep scheduling; the next tick retries
                log.error("scheduled_collection_failed", error_type=type(exc).__name__)
            self._stop.wait(self._tick)

"""Composition of the reports room: jobs over the main engine, evidence and posture from the
controls service, bundles bound to the durable audit log, artifacts under ``data_dir``."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from audit import AuditLog
from controls import ControlsService
from reports.jobs import JobsRepository
from reports.service import ReportsService
from trustplane.reports_demo import seed_reports_demo

if TYPE_CHECKING:
    from trustplane.wiring import Container

ROOM_KEY = "reports"


def build_reports(container: Container) -> ReportsService | None:
    """The reports service, or None when the durable log or the controls room is absent."""
    log = container.extras.get("audit_log")
    controls = container.extras.get("controls")
    if not isinstance(log, AuditLog) or not isinstance(controls, ControlsService):
        return None
    return ReportsService(
        JobsRepository(container.engine),
        controls=controls,
        log=log,
        store=controls.store,
        recorder=container.audit,
        artifacts=container.settings.data_dir / "reports",
    )


def wire_reports(container: Container) -> None:
    service = build_reports(container)
    if service is None:
        return
    container.extras[ROOM_KEY] = service
    controls = container.extras["controls"]
    container.demo_seeders.append(
        partial(seed_reports_demo, controls, container.audit, lambda: datetime.now(UTC))
    )


def reports_of(container: Container) -> ReportsService | None:
    service = container.extras.get(ROOM_KEY)
    return service if isinstance(service, ReportsService) else None

"""Composition of the reports room: jobs over the main engine, evidence and posture from the
controls service, bundles bound to the durable audit log, artifacts under ``data_dir``."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from audit import AuditLog
from controls import ControlsService
from reports import Window
from reports.access import review_access, review_keys
from reports.framework.render import render_access_review, render_key_inventory
from reports.jobs import JobsRepository, ReportKind
from reports.service import PageBuilder, ReportsService
from trustplane.reports_demo import seed_reports_demo
from trustplane.reports_sources import IdentityDirectory, VaultKeySource, role_permissions
from vault import VaultServices

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
        pages=_pages(container, log),
    )


def _pages(container: Container, log: AuditLog) -> dict[ReportKind, PageBuilder]:
    """Access review over the identity tables and the authz data; key inventory over vault."""
    directory = IdentityDirectory(container.engine)
    permissions = role_permissions()

    def access_review(window: Window, now: datetime) -> str:
        return render_access_review(review_access(directory, log, permissions, window, now))

    pages: dict[ReportKind, PageBuilder] = {ReportKind.ACCESS_REVIEW: access_review}
    vault = container.extras.get("vault")
    if isinstance(vault, VaultServices):
        keys = VaultKeySource(vault.keys, container.settings.controls.cryptoperiod_days)

        def key_inventory(window: Window, now: datetime) -> str:
            return render_key_inventory(review_keys(keys, log, window, now))

        pages[ReportKind.KEY_INVENTORY] = key_inventory
    return pages


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

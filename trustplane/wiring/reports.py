"""Composition of the reports room: jobs over the main engine, evidence and posture from the
controls service, bundles bound to the durable audit log, artifacts under ``data_dir``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from audit import AuditLog
from controls import ControlsService
from privacy import DsrRepository
from reports import (
    JobsRepository,
    PageBuilder,
    PrivacySummary,
    ReportKind,
    ReportsService,
    Window,
    render_access_review,
    render_key_inventory,
    review_access,
    review_keys,
)
from trustplane.settings import Settings
from trustplane.wiring.reports_sources import IdentityDirectory, VaultKeySource, role_permissions
from vault import VaultServices


class DsrPerformance:
    """The reports' privacy section over the DSR table: requests received in the window,
    answered within their SLA, and overdue (still open past due, or closed late)."""

    def __init__(self, requests: DsrRepository, clock: Callable[[], datetime]) -> None:
        self._requests = requests
        self._clock = clock

    def __call__(self, window: Window) -> PrivacySummary | None:
        received = self._requests.received_between(window.start, window.end)
        if not received:
            return None
        now = self._clock()
        late = [r for r in received if (r.closed_at or now) > r.due_at]
        within = [r for r in received if r.closed_at is not None and r.closed_at <= r.due_at]
        return PrivacySummary(
            dsr_total=len(received), dsr_within_sla=len(within), dsr_overdue=len(late)
        )


def build_reports(
    settings: Settings,
    engine: Engine,
    audit: AuditLog,
    controls: ControlsService,
    vault: VaultServices,
    *,
    dsr_requests: DsrRepository,
) -> ReportsService:
    """The reports service over the durable log, the controls room and the vault's keys."""
    return ReportsService(
        JobsRepository(engine),
        controls=controls,
        log=audit,
        store=controls.store,
        recorder=audit,
        artifacts=settings.data_dir / "reports",
        pages=_pages(settings, engine, audit, vault),
        privacy=DsrPerformance(dsr_requests, lambda: datetime.now(UTC)),
    )


def _pages(
    settings: Settings, engine: Engine, log: AuditLog, vault: VaultServices
) -> dict[ReportKind, PageBuilder]:
    """Access review over the identity tables and the authz data; key inventory over vault."""
    directory = IdentityDirectory(engine)
    permissions = role_permissions()
    keys = VaultKeySource(vault.keys, settings.controls.cryptoperiod_days)

    def access_review(window: Window, now: datetime) -> str:
        return render_access_review(review_access(directory, log, permissions, window, now))

    def key_inventory(window: Window, now: datetime) -> str:
        return render_key_inventory(review_keys(keys, log, window, now))

    return {ReportKind.ACCESS_REVIEW: access_review, ReportKind.KEY_INVENTORY: key_inventory}

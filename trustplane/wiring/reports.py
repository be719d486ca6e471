"""Composition of the reports room: jobs over the main engine, evidence and posture from the
controls service, bundles bound to the durable audit log, artifacts under ``data_dir``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy.engine import Engine

from audit import AuditLog
from controls import ControlsService
from policies import PolicyRoom
from privacy import BreachRegister, DsrRepository
from privacy.performance_source import PrivacyFigures
from reports import (
    ChromiumRenderer,
    JobsRepository,
    PageBuilder,
    PdfRenderer,
    PrivacyRecords,
    PrivacySummary,
    ReportKind,
    ReportsService,
    WeasyPrintRenderer,
    Window,
    assess_privacy,
    render_access_review,
    render_key_inventory,
    render_privacy_performance,
    review_access,
    review_keys,
)
from trustplane.settings import Settings
from trustplane.wiring.reports_sources import (
    ActiveRolePermissions,
    IdentityDirectory,
    VaultKeySource,
    engagement_active,
)
from vault import VaultServices


class PrivacySection:
    """The framework reports' privacy section: DSR and breach performance in the window,
    judged now; None while privacy has neither a request nor a breach in it."""

    def __init__(self, records: PrivacyRecords, clock: Callable[[], datetime]) -> None:
        self._records = records
        self._clock = clock

    def __call__(self, window: Window) -> PrivacySummary | None:
        return assess_privacy(self._records, window, self._clock()).summary()


def build_reports(
    settings: Settings,
    engine: Engine,
    audit: AuditLog,
    controls: ControlsService,
    vault: VaultServices,
    *,
    dsr_requests: DsrRepository,
    breaches: BreachRegister,
    policies: PolicyRoom,
) -> ReportsService:
    """The reports service over the durable log, the controls room, the vault's keys and the
    privacy room's requests and breach register (read through ``reports.PrivacyRecords``)."""
    privacy: PrivacyRecords = PrivacyFigures(dsr_requests, breaches)
    return ReportsService(
        JobsRepository(engine),
        controls=controls,
        log=audit,
        store=controls.store,
        recorder=audit,
        artifacts=settings.data_dir / "reports",
        pages=_pages(settings, engine, log=audit, vault=vault, privacy=privacy, policies=policies),
        privacy=PrivacySection(privacy, lambda: datetime.now(UTC)),
        retention=timedelta(days=settings.reports.artifact_retention_days),
        engagement_active=partial(engagement_active, IdentityDirectory(engine)),
        pdf=pdf_renderer(settings),
    )


def pdf_renderer(settings: Settings) -> PdfRenderer:
    if settings.reports.pdf_renderer == "chromium":
        return ChromiumRenderer(settings.reports.chromium_path)
    return WeasyPrintRenderer()


def _pages(
    settings: Settings,
    engine: Engine,
    *,
    log: AuditLog,
    vault: VaultServices,
    privacy: PrivacyRecords,
    policies: PolicyRoom,
) -> dict[ReportKind, PageBuilder]:
    """Access review over the identity tables and the active policy revision's role
    permissions; key inventory over vault;
    DSR and breach performance over the privacy room."""
    directory = IdentityDirectory(engine)
    permissions = ActiveRolePermissions(policies.bundles)
    keys = VaultKeySource(vault.keys, settings.controls.cryptoperiod_days)

    def access_review(window: Window, now: datetime) -> str:
        revision, granted = permissions()
        review = review_access(directory, log, granted, window, now, policy_revision=revision)
        return render_access_review(review)

    def key_inventory(window: Window, now: datetime) -> str:
        return render_key_inventory(review_keys(keys, log, window, now))

    def privacy_performance(window: Window, now: datetime) -> str:
        return render_privacy_performance(assess_privacy(privacy, window, now))

    return {
        ReportKind.ACCESS_REVIEW: access_review,
        ReportKind.KEY_INVENTORY: key_inventory,
        ReportKind.PRIVACY_PERFORMANCE: privacy_performance,
    }

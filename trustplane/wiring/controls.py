"""Composition of the controls room from settings (collectors, evidence store, scheduler)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import hvac
from sqlalchemy.engine import Engine

from audit import AuditLog, AuditRecorder
from controls import (
    AwsCollector,
    AwsPolicy,
    BreachClockStatus,
    CollectionRunner,
    Collector,
    ControlsRepository,
    ControlsService,
    DsrSlaStatus,
    EvidenceStore,
    IacCollector,
    LocalEvidenceStore,
    ManualCollector,
    PlatformCollector,
    PostgresCollector,
    S3EvidenceStore,
    Scheduler,
    TlsCollector,
    VaultCollector,
    load_catalog,
)
from policies import PolicyRoom
from trustplane.settings import ControlsSettings, Settings
from trustplane.wiring.controls_platform import (
    AuditChainAdapter,
    CountingDecisionMetrics,
    KeyInventoryAdapter,
    PolicyRoomAdapter,
)
from vault import VaultServices

REPO_ROOT = Path(__file__).resolve().parents[2]


def checkov_bin(settings: ControlsSettings) -> Path:
    """``controls.checkov_bin`` or the repository's ``.tools/checkov/bin/checkov``."""
    if settings.checkov_bin:
        return Path(settings.checkov_bin)
    return REPO_ROOT / ".tools" / "checkov" / "bin" / "checkov"


def build_evidence_store(settings: Settings) -> EvidenceStore:
    section = settings.controls
    if section.evidence_backend == "s3":
        if not section.evidence_s3_bucket:
            raise ValueError("TRUSTPLANE_CONTROLS__EVIDENCE_S3_BUCKET is required for s3")
        factory: Any = boto3.client
        client = factory("s3", endpoint_url=section.aws_endpoint_url)
        return S3EvidenceStore(
            client,
            section.evidence_s3_bucket,
            retention_days=section.evidence_retention_days,
            prefix=section.evidence_s3_prefix,
        )
    return LocalEvidenceStore(section.evidence_dir or settings.data_dir / "evidence")


def build_platform(
    settings: Settings,
    audit: AuditLog,
    vault: VaultServices,
    policies: PolicyRoom,
    decision_counts: CountingDecisionMetrics,
    *,
    dsr: DsrSlaStatus,
    breaches: BreachClockStatus,
) -> PlatformCollector:
    """Platform self-checks over the other rooms, through adapters of their public APIs."""
    section = settings.controls
    room = PolicyRoomAdapter(policies, decision_counts)
    return PlatformCollector(
        audit=AuditChainAdapter(audit),
        keys=KeyInventoryAdapter(vault.keys, section.cryptoperiod_days),
        decision_log=room,
        dsr=dsr,
        breaches=breaches,
        bundle=room,
        checkpoint_max_age_seconds=section.checkpoint_max_age_seconds,
    )


def build_collectors(
    settings: Settings, repository: ControlsRepository, platform: PlatformCollector | None = None
) -> list[Collector]:
    section = settings.controls
    collectors: list[Collector] = [
        platform
        or PlatformCollector(checkpoint_max_age_seconds=section.checkpoint_max_age_seconds),
        ManualCollector(repository),
    ]
    if section.iac_dir is not None:
        collectors.append(
            IacCollector(
                section.iac_dir,
                checkov_bin(section),
                allowed_regions=tuple(section.allowed_regions),
            )
        )
    if section.aws_enabled:
        collectors.append(
            AwsCollector(
                section.aws_regions,
                policy=AwsPolicy(allowed_regions=tuple(section.allowed_regions)),
                endpoint_url=section.aws_endpoint_url,
            )
        )
    if section.vault_url:
        token = section.vault_token.get_secret_value() if section.vault_token else None
        collectors.append(
            VaultCollector(
                hvac.Client(url=section.vault_url, token=token),
                transit_mount=section.vault_transit_mount,
                cryptoperiod_days=section.cryptoperiod_days,
            )
        )
    if section.postgres_dsn is not None:
        collectors.append(
            PostgresCollector(
                section.postgres_dsn.get_secret_value(), admin_roles=section.postgres_admin_roles
            )
        )
    if section.tls_endpoints:
        cafile = str(section.tls_cafile) if section.tls_cafile else None
        collectors.append(TlsCollector(section.tls_endpoints, cafile=cafile))
    return collectors


def build_controls(
    settings: Settings,
    engine: Engine,
    audit: AuditRecorder,
    *,
    platform: PlatformCollector | None = None,
) -> ControlsService:
    """The controls service; ``platform`` carries the other rooms' ports once they land."""
    repository = ControlsRepository(engine)
    store = build_evidence_store(settings)
    runner = CollectionRunner(
        build_collectors(settings, repository, platform),
        repository,
        store,
        audit,
        timeout_seconds=settings.controls.collector_timeout_seconds,
    )
    return ControlsService(load_catalog(), repository, runner, store, audit)


def build_scheduler(settings: Settings, service: ControlsService) -> Scheduler | None:
    if not settings.controls.scheduler_enabled:
        return None
    return Scheduler(service, tick_seconds=settings.controls.scheduler_tick_seconds)

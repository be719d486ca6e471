"""Composition of the privacy room: the DSR service from settings, plugged into the vault
(sealed identifiers, pseudonymizer, crypto-shredding) and the controls room (SLA check).

The vault's decrypt authorizer reads the DSR table through ``privacy.DsrBindings`` (built
before the vault, from the repository alone), so DSR-bound decrypts need no object to be
changed after construction (ADR 0601, ADR 0008). The decision point reads the same table, and
the data map's systems, before every evaluation (``build_decision_facts``, ADR 0212)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.engine import Engine

from audit import Actor, AuditRecorder
from controls import BreachClockInfo, DsrInfo
from policies import DsrFacts, FactCheck, ResidencyFacts
from privacy import (
    BreachRegister,
    ConsentLedger,
    DataMapSystems,
    DirectoryPackageStore,
    DsrBindings,
    DsrRepository,
    DsrService,
    FileOutbox,
    KindConnectors,
    NoticeRegistry,
    Outbox,
    PrivacyConfig,
    Purpose,
    Regime,
    SmtpOutbox,
    Subscriber,
    VaultSealer,
    WebhookAnnouncer,
    load_duties,
)
from trustplane.errors import ConfigurationError
from trustplane.keyfiles import load_or_create
from trustplane.settings import Settings
from vault import VaultServices

SLA_LOOKBACK_DAYS = 400


def _new_key() -> bytes:
    return secrets.token_bytes(32)


def build_outbox(settings: Settings) -> Outbox:
    section = settings.privacy
    if section.outbox == "smtp":
        if not section.smtp_host:
            raise ConfigurationError("TRUSTPLANE_PRIVACY__SMTP_HOST is required for outbox smtp")
        return SmtpOutbox(
            section.smtp_host,
            section.smtp_port,
            sender=section.mail_from,
            username=section.smtp_username,
            password=section.smtp_password.get_secret_value() if section.smtp_password else None,
            starttls=section.smtp_starttls,
        )
    return FileOutbox(section.outbox_dir or settings.data_dir / "outbox", section.mail_from)


def build_consent_ledger(settings: Settings, engine: Engine, audit: AuditRecorder) -> ConsentLedger:
    """The consent ledger, built before the policy room: decisions read it (ADR 0602)."""
    section = settings.privacy
    hooks = [Subscriber(hook.name, hook.url, hook.secret_env) for hook in section.consent_webhooks]
    return ConsentLedger(
        engine,
        audit,
        [Purpose(name, text) for name, text in section.consent_purposes.items()],
        NoticeRegistry.load(section.notices_dir),
        refresh_seconds=section.consent_refresh_seconds,
        link_key=load_or_create(settings.keys_dir() / "consent-link.key", _new_key),
        listeners=[WebhookAnnouncer(hooks)] if hooks else [],
    )


def build_decision_facts(settings: Settings, repository: DsrRepository) -> tuple[FactCheck, ...]:
    """What decisions check against the privacy room's records, after the consent ledger: a
    cited data subject request, and the data-map system a resource names (ADR 0212)."""
    return (
        DsrFacts(DsrBindings(repository)),
        ResidencyFacts(
            DataMapSystems(repository, refresh_seconds=settings.privacy.datamap_refresh_seconds),
            settings.policy.data_residency,
        ),
    )


def build_breaches(settings: Settings, engine: Engine, audit: AuditRecorder) -> BreachRegister:
    """The breach register: regime duties from the shipped data file, drafts through the outbox."""
    return BreachRegister(engine, audit, build_outbox(settings), load_duties())


class VaultShredder:
    """``privacy.SubjectShredder`` over the vault's key manager."""

    def __init__(self, vault: VaultServices) -> None:
        self._vault = vault

    def has_keys(self, subject_id: str) -> bool:
        store = self._vault.cipher.store
        return bool(store.subject_keys(self._vault.tenant, subject_id))

    def shred(self, subject_id: str, actor: Actor) -> int:
        stone = self._vault.keys.shred(subject_id, tenant=self._vault.tenant, actor=actor)
        return stone.keys_destroyed


def build_privacy(
    settings: Settings,
    audit: AuditRecorder,
    vault: VaultServices,
    repository: DsrRepository,
) -> DsrService:
    section = settings.privacy
    keys = settings.keys_dir()
    config = PrivacyConfig(
        hash_key=load_or_create(keys / "privacy-hash.key", _new_key),
        link_key=load_or_create(keys / "privacy-link.key", _new_key),
        dpdp_days=section.dsr_sla_days,
        default_regime=Regime(section.default_regime),
        code_ttl_seconds=section.code_ttl_seconds,
        code_attempts=section.code_attempts,
        link_ttl_seconds=section.package_link_days * 86_400,
        tenant=vault.tenant,
    )
    return DsrService(
        repository,
        audit,
        build_outbox(settings),
        KindConnectors(),
        DirectoryPackageStore(section.packages_dir or settings.data_dir / "dsr-packages"),
        config,
        sealer=VaultSealer(vault.cipher, vault.tenant),
        decrypter=vault.cipher,
        pseudonymize=vault.pseudonymizer.token,
        shredder=VaultShredder(vault),
    )


class DsrSlaAdapter:
    """``controls.DsrSlaStatus`` over the DSR table (open, and closed within the lookback)."""

    def __init__(self, service: DsrService) -> None:
        self._service = service

    def requests(self) -> Sequence[DsrInfo]:
        since = self._service.clock() - timedelta(days=SLA_LOOKBACK_DAYS)
        return [
            DsrInfo(id=r.id, due_at=r.due_at, closed_at=r.closed_at)
            for r in self._service.repository.sla_rows(since)
        ]


class BreachClockAdapter:
    """``controls.BreachClockStatus`` over the breach register (timed clocks only)."""

    def __init__(self, register: BreachRegister) -> None:
        self._register = register

    def breach_clocks(self) -> Sequence[BreachClockInfo]:
        return [
            BreachClockInfo(
                breach_id=breach.id,
                duty=clock.duty.id,
                due_at=clock.due_at,
                done_at=clock.done_at,
                open=breach.status.value != "closed",
            )
            for breach in self._register.breaches()
            for clock in self._register.clocks(breach)
            if clock.due_at is not None
        ]

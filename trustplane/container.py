"""The composition root's typed container: every long-lived service of one trustplane process.

``build_container`` builds the rooms once, in dependency order (audit → identity → policies →
vault → controls → web parts), and hands every collaborator in at construction; the
container is frozen and nothing in it is swapped afterwards. The web layer receives it as a
``web.deps.Services`` (mypy checks that it is one where the app is built).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import text
from sqlalchemy.engine import Engine

from audit import AuditLog
from controls import ControlsService, Scheduler
from identity import IdentityService
from policies import PolicyRoom, PrometheusDecisionMetrics
from privacy import (
    BreachRegister,
    ConsentLedger,
    DsrBindings,
    DsrRepository,
    DsrService,
    GrievanceDesk,
)
from reports import ReportsService
from trustplane.db import make_engine
from trustplane.demo.breaches import seed_breach_demo
from trustplane.demo.clock import SeedingClock
from trustplane.demo.consents import seed_consent_demo
from trustplane.demo.console import seed_console_demo, week_start
from trustplane.demo.identity import seed_identity_demo
from trustplane.demo.policies import seed_policy_demo
from trustplane.demo.privacy import seed_privacy_demo
from trustplane.demo.reports import seed_reports_demo
from trustplane.private_files import tighten_data_dir
from trustplane.settings import Mode, Settings
from trustplane.wiring.audit import audit_log_ready, build_audit
from trustplane.wiring.controls import build_controls, build_platform, build_scheduler
from trustplane.wiring.controls_platform import CountingDecisionMetrics
from trustplane.wiring.identity import build_identity
from trustplane.wiring.policies import build_policies, build_route_gate, bundle_ready
from trustplane.wiring.privacy import (
    BreachClockAdapter,
    DsrSlaAdapter,
    build_breaches,
    build_consent_ledger,
    build_decision_facts,
    build_privacy,
)
from trustplane.wiring.reports import build_reports
from trustplane.wiring.vault import PolicyDecryptAuthorizer, build_vault, field_keys_ready
from vault import DsrBoundAuthorizer, VaultServices
from web.deps import CallerAuthenticator, ReadinessCheck
from web.gate import RouteGate
from web.metrics import Metrics
from web.ratelimit import BlindIndexGuard, LoginGuard, TokenBucketLimiter

DemoSeeder = Callable[[], list[str]]


@dataclass(frozen=True)
class Container:
    """Each room's public services with their real types, plus the web layer's parts.

    ``authenticator`` is the identity service (a unit test may build a container with
    another authenticator through ``dataclasses.replace``; the container never changes).
    """

    settings: Settings
    engine: Engine
    metrics: Metrics
    audit: AuditLog
    identity: IdentityService
    policies: PolicyRoom
    vault: VaultServices
    privacy: DsrService
    consents: ConsentLedger
    breaches: BreachRegister
    grievances: GrievanceDesk
    controls: ControlsService
    controls_scheduler: Scheduler | None
    reports: ReportsService
    authenticator: CallerAuthenticator
    gate: RouteGate
    limiter: TokenBucketLimiter
    login_guard: LoginGuard
    blind_index_guard: BlindIndexGuard
    dsr_intake_limiter: TokenBucketLimiter
    readiness: tuple[ReadinessCheck, ...]
    demo_seeders: tuple[DemoSeeder, ...]

    @property
    def cookie_secure(self) -> bool:
        return self.settings.cookie_secure

    @property
    def key_cryptoperiod_days(self) -> int:
        return self.settings.controls.cryptoperiod_days

    def readiness_checks(self) -> tuple[ReadinessCheck, ...]:
        return (("database", self._database_reachable), *self.readiness)

    def _database_reachable(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        self.privacy.close()  # the data map's connection pools and clients
        self.policies.close()
        self.audit.close()
        self.engine.dispose()


def build_container(
    settings: Settings, engine: Engine | None = None, *, demo_clock: SeedingClock | None = None
) -> Container:
    """Build every room once, lower rooms first, each handed the ones it depends on.

    ``demo_clock`` (``trustplane demo`` only): the audit log's clock; held a week back when
    the log is empty, so the demo's seeders can record a week (ADR 0823).
    """
    tighten_data_dir(settings.data_dir, refuse=settings.mode is Mode.PROD)
    engine = engine or make_engine(settings.effective_database_url)
    metrics = Metrics()
    audit = build_audit(settings, engine, demo_clock)
    if demo_clock is not None and audit.tree_size() == 0:  # nothing recorded yet
        demo_clock.hold(week_start(demo_clock()))
    identity = build_identity(settings, engine, audit)
    prometheus = PrometheusDecisionMetrics(metrics.registry)
    decision_counts = CountingDecisionMetrics(prometheus)
    consents = build_consent_ledger(settings, engine, audit)  # decisions read it
    dsr_requests = DsrRepository(engine)  # and the DSR table and data map (ADR 0212)
    policies = build_policies(
        settings,
        engine,
        audit,
        metrics=decision_counts,
        log_metrics=prometheus,
        consents=consents,
        facts=build_decision_facts(settings, dsr_requests),
    )
    decrypts = DsrBoundAuthorizer(  # decrypts under purpose dsr cite a live request (ADR 0601)
        PolicyDecryptAuthorizer(policies.decisions), DsrBindings(dsr_requests)
    )
    vault = build_vault(settings, engine, audit, decrypts)
    privacy = build_privacy(settings, audit, vault, dsr_requests)
    breaches = build_breaches(settings, engine, audit)
    controls = build_controls(
        settings,
        engine,
        audit,
        platform=build_platform(
            settings,
            audit,
            vault,
            policies,
            decision_counts,
            dsr=DsrSlaAdapter(privacy),
            breaches=BreachClockAdapter(breaches),
        ),
    )
    return Container(
        settings=settings,
        engine=engine,
        metrics=metrics,
        audit=audit,
        identity=identity,
        policies=policies,
        vault=vault,
        privacy=privacy,
        consents=consents,
        breaches=breaches,
        grievances=GrievanceDesk(engine, audit),
        controls=controls,
        controls_scheduler=build_scheduler(settings, controls),
        reports=build_reports(
            settings,
            engine,
            audit,
            controls,
            vault,
            dsr_requests=dsr_requests,
            breaches=breaches,
            policies=policies,
        ),
        authenticator=identity,
        gate=build_route_gate(settings, policies),
        limiter=TokenBucketLimiter(
            settings.web.rate_limit_per_second, settings.web.rate_limit_burst
        ),
        login_guard=LoginGuard(),
        blind_index_guard=BlindIndexGuard(
            settings.web.blind_index_per_second,
            settings.web.blind_index_burst,
            settings.web.blind_index_alert_per_minute,
        ),
        dsr_intake_limiter=TokenBucketLimiter(  # the public DSR intake, per client address
            settings.privacy.intake_per_minute / 60.0,
            max(1, int(settings.privacy.intake_per_minute)),
        ),
        readiness=(
            ("audit_log", audit_log_ready(audit)),
            ("field_keys", field_keys_ready(vault)),
            ("policy_bundle", bundle_ready(policies)),
        ),
        demo_seeders=(  # the console's week before the rest: its clock is released when done
            partial(seed_identity_demo, identity),
            partial(seed_console_demo, policies, vault, demo_clock),
            partial(seed_policy_demo, policies),
            partial(seed_privacy_demo, settings, privacy, vault),
            partial(seed_consent_demo, consents),
            partial(seed_breach_demo, breaches, lambda: datetime.now(UTC)),
            partial(seed_reports_demo, controls, audit, lambda: datetime.now(UTC)),
        ),
    )

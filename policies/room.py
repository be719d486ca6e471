"""The policies room assembled from plain values (the composition root reads settings)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from audit import AuditRecorder
from policies.consent import ConsentSource
from policies.decision_ids import AuditDecisionIds, EventReader, InMemoryDecisionIds
from policies.decision_log import DecisionLogger, SubstituteCounter
from policies.decision_tally import DecisionTally
from policies.decisions import DecisionService, EngineSource
from policies.engines.port import PolicyEngine
from policies.facts import FactCheck
from policies.lifecycle import BundleService
from policies.metrics import DecisionMetrics
from policies.opa.bundle import BundleSigner, build_bundle
from policies.opa.control import DecisionIdLookup
from policies.opa.engine import OpaEngine
from policies.reported_ids import ReportedDecisionClaims
from policies.source import load_bundle_dir
from policies.store import BundleStore

# route permissions whose gate allows are not logged one by one: every call they admit
# records its own durable decision event (caller, time, outcome); denies are logged
UNLOGGED_GATE_ALLOWS = frozenset({"decide"})


class _OpaSource:
    """Decisions on a remote OPA; the revision reported is trustplane's active one."""

    def __init__(self, bundles: BundleService, url: str, token: str | None, timeout: float) -> None:
        self._bundles = bundles
        self._url, self._token, self._timeout = url, token, timeout
        self._engine: OpaEngine | None = None

    def current(self) -> PolicyEngine:
        revision = self._bundles.active_revision
        if self._engine is None or self._engine.revision != revision:
            self._engine = OpaEngine(
                self._url, token=self._token, timeout=self._timeout, revision=revision
            )
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()  # keep-alive connections to OPA end with the room


@dataclass
class PolicyRoom:
    store: BundleStore
    bundles: BundleService
    logger: DecisionLogger
    decisions: DecisionService
    decision_ids: DecisionIdLookup
    signer: BundleSigner | None = None
    opa: _OpaSource | None = None
    # decision counts per day from the audit log's decision events (ADR 0840)
    tally: DecisionTally | None = None
    # reported decision ids claimed once across workers and replicas (issue 14, item 4)
    reported_claims: ReportedDecisionClaims | None = None
    _archives: dict[str, bytes] = field(default_factory=dict)

    @property
    def decides_inline(self) -> bool:
        """True when a decision is CPU work only right now (a loaded embedded engine logging
        asynchronously): the web layer then decides on the event loop instead of hopping to a
        worker thread. A remote OPA answers over the network, and a durable decision waits
        for its commit: both stay in the threadpool."""
        return self.opa is None and not self.logger.durable and self.bundles.loaded

    @property
    def evaluates_inline(self) -> bool:
        """True when evaluating a decision is CPU work only (a loaded embedded engine),
        whatever the decision log: the web layer then evaluates on the event loop and only
        waits, without a worker thread, for the durable write (ADR 0213)."""
        return self.opa is None and self.bundles.loaded

    def bundle_archive(self) -> tuple[str, bytes]:
        """(revision, .tar.gz) of the active revision; built once per revision."""
        files = self.bundles.active_files
        archive = self._archives.get(files.revision)
        if archive is None:
            archive = build_bundle(files, self.signer)
            if len(self._archives) >= 8:
                self._archives.clear()
            self._archives[files.revision] = archive
        return files.revision, archive

    def close(self) -> None:
        self.bundles.close()
        self.logger.close()
        if self.opa is not None:
            self.opa.close()


def build_policy_room(
    engine: Engine,
    recorder: AuditRecorder,
    *,
    engine_kind: str = "embedded",
    bundle_dir: Path | None = None,
    opa_url: str | None = None,
    opa_token: str | None = None,
    timeout_ms: float = 50.0,
    signing_key_pem: bytes | None = None,
    signing_keyid: str = "trustplane",
    poll_seconds: float = 2.0,
    log_queue_size: int = 10_000,
    durable_log: bool = True,
    log_wait_seconds: float = 5.0,
    metrics: DecisionMetrics | None = None,
    log_metrics: SubstituteCounter | None = None,
    watch: bool = True,
    consents: ConsentSource | None = None,
    facts: Sequence[FactCheck] = (),
) -> PolicyRoom:
    """Store + bundle service + decision logger + decision service on the chosen engine.

    ``consents``: the consent ledger decisions read (ADR 0602); None in rooms built without
    one (unit tests, benchmarks of the bare engine). ``facts``: further records checked
    before every evaluation, after the ledger (DSR register, data map: ADR 0212).

    Nothing touches the database here: on first use the bundle service loads the active
    revision, activating ``bundle_dir`` (default: the shipped bundle) on a fresh database,
    and then follows activations by other replicas every ``poll_seconds``.
    """
    store = BundleStore(engine)
    bundles = BundleService(
        store,
        recorder,
        poll_seconds=poll_seconds,
        default=load_bundle_dir(bundle_dir),
        watch=watch,
    )
    logger = DecisionLogger(
        recorder,
        durable=durable_log,
        wait_seconds=log_wait_seconds,
        max_queue=log_queue_size,
        metrics=log_metrics,
    )
    source: EngineSource = bundles
    opa: _OpaSource | None = None
    if engine_kind == "opa":
        if not opa_url:
            raise ValueError("the opa engine needs an OPA URL")
        source = opa = _OpaSource(bundles, opa_url, opa_token, timeout_ms / 1000)
    elif engine_kind != "embedded":
        raise ValueError(f"unknown policy engine {engine_kind!r} (embedded or opa)")
    decisions = DecisionService(
        source,
        logger,
        metrics=metrics,
        timeout_seconds=timeout_ms / 1000,
        consents=consents,
        facts=facts,
    )
    signer = BundleSigner(signing_key_pem, signing_keyid) if signing_key_pem else None
    return PolicyRoom(
        store=store,
        bundles=bundles,
        logger=logger,
        decisions=decisions,
        decision_ids=(
            AuditDecisionIds(recorder, window_seconds=log_wait_seconds + 60)
            if isinstance(recorder, EventReader)
            else InMemoryDecisionIds(recorder)
        ),
        signer=signer,
        opa=opa,
        tally=DecisionTally(engine, recorder) if isinstance(recorder, EventReader) else None,
        reported_claims=ReportedDecisionClaims(engine),
    )

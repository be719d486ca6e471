"""The controls service: catalog, runs, posture, evidence and attestations behind one facade.

The composition root builds it (see ``controls.build``) and the web router and CLI use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from audit import Actor, AuditEventIn, AuditRecorder, EventType, Target
from controls.attestations import attest
from controls.collectors.base import Clock, utc_now
from controls.evidence.model import EvidenceMeta, EvidenceStore, check_address
from controls.model import Catalog, Control, Framework
from controls.posture import (
    ControlPosture,
    FrameworkPosture,
    Judgement,
    framework_posture,
    judge,
)
from controls.records import PostureSnapshot
from controls.repository import ControlsRepository
from controls.runner import CollectionRunner, Progress, RunReport
from controls.snapshots.manual import AttestationInfo


class ControlsService:
    def __init__(
        self,
        catalog: Catalog,
        repository: ControlsRepository,
        runner: CollectionRunner,
        store: EvidenceStore,
        recorder: AuditRecorder,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self.catalog = catalog
        self.repository = repository
        self.runner = runner
        self.store = store
        self._recorder = recorder
        self._clock = clock
        # (latest collection ids, judgement of their findings): replaced whole, never mutated
        self._judged: tuple[tuple[tuple[str, str], ...], Judgement] | None = None

    # --- reads ----------------------------------------------------------------------------

    def frameworks(self) -> list[Framework]:
        return sorted(self.catalog.frameworks.values(), key=lambda f: f.id)

    def control_postures(self) -> dict[str, ControlPosture]:
        """Every control's posture now: the same answer as ``all_control_postures`` over the
        latest findings, but the findings are read and judged only when the latest
        collections changed (one cheap query says which they are), so a read is O(controls)
        and correct across workers sharing the database (ADR 0405)."""
        return self._judgement().at(self._clock())

    def _judgement(self) -> Judgement:
        key = self.repository.latest_collection_ids()
        cached = self._judged
        if cached is not None and cached[0] == key:
            return cached[1]
        judgement = judge(self.catalog, self.repository.findings_of([cid for _, cid in key]))
        self._judged = (key, judgement)
        return judgement

    def framework_posture(self, framework_id: str) -> FrameworkPosture:
        framework = self.catalog.framework(framework_id)
        return framework_posture(self.catalog, framework, self.control_postures())

    def posture_history_version(self) -> tuple[int, int]:
        """Changes whenever a posture snapshot is stored by any worker (one cheap query)."""
        return self.repository.posture_version()

    def posture_history(self, framework_id: str, limit: int = 100) -> list[PostureSnapshot]:
        self.catalog.framework(framework_id)
        return self.repository.posture_history(framework_id, limit)

    def control(self, control_id: str) -> tuple[Control, ControlPosture]:
        control = self.catalog.control(control_id)
        return control, self.control_postures()[control_id]

    def evidence(self, sha256: str) -> tuple[EvidenceMeta, bytes]:
        check_address(sha256)
        return self.store.meta(sha256), self.store.get(sha256)

    # --- writes ---------------------------------------------------------------------------

    def collect(
        self,
        only: Sequence[str] | None = None,
        *,
        trigger: str = "manual",
        actor: Actor | None = None,
        progress: Progress | None = None,
    ) -> RunReport:
        who = actor.id if actor else "trustplane"
        report = self.runner.run(only, trigger=trigger, actor=who, progress=progress)
        self._snapshot_posture(report.run_id, actor)
        return report

    def _snapshot_posture(self, run_id: str, actor: Actor | None) -> None:
        now = self._clock()
        controls = self.control_postures()
        snapshots = []
        for framework in self.frameworks():
            posture = framework_posture(self.catalog, framework, controls)
            snapshots.append(
                PostureSnapshot(
                    run_id=run_id,
                    framework_id=framework.id,
                    satisfied=posture.satisfied,
                    assessed=posture.assessed,
                    failing=posture.counts.get("fail", 0),
                    total=len(posture.requirements),
                    taken_at=now,
                )
            )
        self.repository.record_posture(snapshots)
        statuses: dict[str, int] = {}
        for item in controls.values():
            statuses[item.status.value] = statuses.get(item.status.value, 0) + 1
        self._recorder.record(
            AuditEventIn(
                type=EventType.CONTROL_RESULT,
                target=Target(type="collection_run", id=run_id),
                details={
                    "controls": statuses,
                    "frameworks": {s.framework_id: s.percent for s in snapshots},
                },
                **({"actor": actor} if actor else {}),
            )
        )

    def attest(
        self,
        *,
        kind: str,
        title: str,
        attested_by: str,
        expires_at: datetime,
        attested_at: datetime | None = None,
        document: bytes | None = None,
        media_type: str = "application/octet-stream",
        actor: Actor | None = None,
    ) -> AttestationInfo:
        """Record an attestation, then collect the manual collector at once, so posture
        reflects it now rather than after the next scheduled collection."""
        info = attest(
            self.repository,
            self.store,
            self._recorder,
            kind=kind,
            title=title,
            attested_by=attested_by,
            attested_at=attested_at or self._clock(),
            expires_at=expires_at,
            document=document,
            media_type=media_type,
            actor=actor,
        )
        if "manual" in self.runner.collector_names:
            self.collect(["manual"], trigger="attestation", actor=actor)
        return info

"""The DPO's desk: data subject requests from receipt to certificate.

Every step is an audit event (type ``dsr_step``, target the request) recorded *before* the
request's row changes: a log that cannot record refuses the step (fail closed). The audit
sequence numbers of a request are kept beside it for its certificate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from audit import (
    SYSTEM_ACTOR,
    Actor,
    AuditEventIn,
    AuditRecorder,
    EventType,
    Origin,
    Outcome,
    Target,
)
from privacy.bindings import DsrBindings
from privacy.connectors.base import ErasedField, Export, Principal
from privacy.datamap_loader import LoadedDataMap, parse_datamap
from privacy.datamap_model import DataMap, ErasureAction, SystemSpec
from privacy.errors import (
    ConnectorError,
    DataMapError,
    DataMapMissingError,
    DsrNotFoundError,
    DuplicateRequestError,
    IllegalTransitionError,
    InvalidDsrError,
    PackageLinkError,
    VerificationError,
)
from privacy.identifiers import BUILTIN_KINDS, identifier_hash, parse_identifier
from privacy.model import CLOSED, DsrRequest, DsrState, DsrType, Step, next_state
from privacy.outbox import Outbox
from privacy.package import build_package, render_certificate
from privacy.ports import ConnectorFactory, Decrypter, PackageStore, SubjectShredder
from privacy.repository import DsrRepository, StoredDataMap
from privacy.sealing import IdentifierSealer
from privacy.sla import Regime, can_extend, days_left, due_at
from privacy.step_batch import StepBatch
from vault import Accessor, FieldContext

CODE_DIGITS = 6
SYNC_TYPES = frozenset({DsrType.ACCESS, DsrType.PORTABILITY})
MANUAL_TYPES = frozenset({DsrType.OBJECTION, DsrType.RESTRICTION})


@dataclass(frozen=True)
class PrivacyConfig:
    hash_key: bytes  # identifiers and verification codes are hashed under it
    link_key: bytes  # signs principals' package links
    dpdp_days: int = 30
    default_regime: Regime = Regime.DPDP
    code_ttl_seconds: int = 900
    code_attempts: int = 5
    link_ttl_seconds: int = 7 * 86_400
    tenant: str = "default"
    organisation: str = "FinSolve Technologies"


@dataclass
class ExecutionResult:
    request: DsrRequest
    failed: list[str] = field(default_factory=list)


def utc_now() -> datetime:
    return datetime.now(UTC)


class DsrService:
    def __init__(  # noqa: PLR0917 (the service's ports, all required)
        self,
        repository: DsrRepository,
        audit: AuditRecorder,
        outbox: Outbox,
        connectors: ConnectorFactory,
        packages: PackageStore,
        config: PrivacyConfig,
        *,
        sealer: IdentifierSealer,
        decrypter: Decrypter | None = None,
        pseudonymize: Callable[[str, str], str] | None = None,
        shredder: SubjectShredder | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.repository = repository
        self.audit = audit
        self.outbox = outbox
        self.connectors = connectors
        self.packages = packages
        self.config = config
        self.sealer = sealer
        self.decrypter = decrypter
        self.pseudonymize = pseudonymize
        self.shredder = shredder
        self.clock = clock
        self._datamap: tuple[int, LoadedDataMap] | None = None
        self._writers: ThreadPoolExecutor | None = None  # package files, made on first use
        self._writers_lock = threading.Lock()

    def close(self) -> None:
        """Release the connectors' connection pools and clients (the composition root's close)."""
        self.connectors.close()
        with self._writers_lock:
            writers, self._writers = self._writers, None
        if writers is not None:
            writers.shutdown(wait=True)

    @property
    def _writer(self) -> ThreadPoolExecutor:
        with self._writers_lock:
            if self._writers is None:
                self._writers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dsr-package")
            return self._writers

    # --- audit ----------------------------------------------------------------------------

    def _record(
        self,
        dsr_id: str,
        action: str,
        actor: Actor,
        details: Mapping[str, Any] | None = None,
        *,
        origin: Origin | None = None,
        outcome: Outcome = Outcome.SUCCESS,
    ) -> int:
        event = self._event(dsr_id, action, actor, details, origin=origin, outcome=outcome)
        return self.audit.record(event).seq

    def _event(
        self,
        dsr_id: str,
        action: str,
        actor: Actor,
        details: Mapping[str, Any] | None = None,
        *,
        origin: Origin | None = None,
        outcome: Outcome = Outcome.SUCCESS,
    ) -> AuditEventIn:
        return AuditEventIn(
            type=EventType.DSR_STEP,
            outcome=outcome,
            actor=actor,
            origin=origin or Origin(),
            target=Target(type="dsr", id=dsr_id),
            details={"action": action, **(details or {})},
        )

    def _step_event(self, request: DsrRequest, action: str, actor: Actor, **details: Any) -> int:
        seq = self._record(request.id, action, actor, details)
        self.repository.add_event(request.id, action, seq, self.clock())
        return seq

    # --- data map -------------------------------------------------------------------------

    def load_datamap(self, text: str, actor: Actor) -> StoredDataMap:
        """Validate (YAML, then every SQL system's tables and columns), record, store."""
        loaded = parse_datamap(text)
        problems: list[str] = []
        for system in loaded.datamap.systems:
            if system.kind != "sql":
                continue
            connector = self.connectors(system)
            check = getattr(connector, "check", None)
            try:
                if callable(check):
                    check()
            except DataMapError as exc:
                problems.extend(exc.problems)
            except ConnectorError as exc:
                problems.append(str(exc))
        if problems:
            raise DataMapError(problems)
        now = self.clock()
        seq = self.audit.record(
            AuditEventIn(
                type=EventType.ADMIN_ACTION,
                actor=actor,
                target=Target(type="datamap", id=loaded.sha256),
                details={
                    "action": "datamap.load",
                    "sha256": loaded.sha256,
                    "systems": [s.name for s in loaded.datamap.systems],
                },
            )
        ).seq
        version = self.repository.add_datamap(loaded.sha256, loaded.text, actor.id, now, seq)
        self._datamap = (version, loaded)
        stored = self.repository.latest_datamap()
        assert stored is not None
        return stored

    def datamap(self) -> tuple[StoredDataMap, DataMap]:
        stored = self.repository.latest_datamap()
        if stored is None:
            raise DataMapMissingError(
                "no data map loaded yet: PUT /v1/datamap or `trustplane datamap load`"
            )
        if self._datamap is None or self._datamap[0] != stored.version:
            self._datamap = (stored.version, parse_datamap(stored.content))
        return stored, self._datamap[1].datamap

    def _known_kinds(self) -> set[str]:
        try:
            return self.datamap()[1].identifier_kinds() or set(BUILTIN_KINDS)
        except DataMapMissingError:
            return set(BUILTIN_KINDS)

    # --- receipt and verification ---------------------------------------------------------

    def create(
        self,
        dsr_type: str,
        identifier: dict[str, str],
        *,
        regime: str | None = None,
        note: str = "",
        correction: Mapping[str, Mapping[str, Any]] | None = None,
        actor: Actor = SYSTEM_ACTOR,
        origin: Origin | None = None,
        send_code: bool = True,
    ) -> DsrRequest:
        try:
            kind_type = DsrType(dsr_type)
        except ValueError:
            raise InvalidDsrError(f"unknown request type {dsr_type!r}") from None
        try:
            chosen = Regime(regime) if regime else self.config.default_regime
        except ValueError:
            raise InvalidDsrError(f"unknown regime {regime!r}; use gdpr or dpdp") from None
        kind, value = parse_identifier(identifier, self._known_kinds())
        if kind_type is DsrType.CORRECTION and correction is not None and not correction:
            raise InvalidDsrError(
                "a correction names what to correct: {system: {table: {column: value}}}"
            )
        hashed = identifier_hash(self.config.hash_key, kind, value)
        duplicate = self.repository.open_duplicate(hashed, kind_type)
        if duplicate is not None:
            raise DuplicateRequestError(
                f"an open {kind_type.value} request already exists for this principal ({duplicate})"
            )
        now = self.clock()
        request = DsrRequest(
            id=str(uuid.uuid4()),
            type=kind_type,
            state=DsrState.RECEIVED,
            regime=chosen,
            identifier_kind=kind,
            identifier_hash=hashed,
            received_at=now,
            due_at=due_at(chosen, now, self.config.dpdp_days),
            note=note,
            correction={k: dict(v) for k, v in (correction or {}).items()},
        )
        seq = self._record(
            request.id,
            "received",
            actor,
            {
                "type": kind_type.value,
                "regime": chosen.value,
                "identifier_kind": kind,
                "due_at": request.due_at.isoformat(),
            },
            origin=origin,
        )
        self.repository.insert(request, self.sealer.seal(request.id, value), now)
        self.repository.add_event(request.id, "received", seq, now)
        if send_code and kind == "email":
            self.send_code(request.id, actor)
        return self.get(request.id)

    def _identifier(self, dsr_id: str) -> str:
        return self.sealer.unseal(dsr_id, self.repository.identifier_sealed(dsr_id))

    def get(self, dsr_id: str) -> DsrRequest:
        request = self.repository.get(dsr_id)
        if request is None:
            raise DsrNotFoundError(f"no data subject request {dsr_id}")
        return request

    def send_code(self, dsr_id: str, actor: Actor = SYSTEM_ACTOR) -> None:
        request = self.get(dsr_id)
        if request.state is not DsrState.RECEIVED:
            raise IllegalTransitionError(
                f"request is {request.state.value}, not awaiting verification"
            )
        if request.identifier_kind != "email":
            raise VerificationError("codes go by mail: the DPO attests other identifiers")
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        expires = self.clock() + timedelta(seconds=self.config.code_ttl_seconds)
        self._step_event(request, "code_sent", actor, expires_at=expires.isoformat())
        self.repository.put_code(dsr_id, self._code_hash(dsr_id, code), expires)
        minutes = self.config.code_ttl_seconds // 60
        self.outbox.send(
            self._identifier(dsr_id),
            f"Your data request {dsr_id}: verification code",
            f"Your verification code is {code}.\n\nIt expires in {minutes} minutes. "
            f"If you did not ask {self.config.organisation} about your personal data, "
            "ignore this message.\n",
        )

    def _code_hash(self, dsr_id: str, code: str) -> str:
        return hmac.new(
            self.config.hash_key, f"code\x00{dsr_id}\x00{code}".encode(), hashlib.sha256
        ).hexdigest()

    def verify_code(self, dsr_id: str, code: str, actor: Actor = SYSTEM_ACTOR) -> DsrRequest:
        request = self.get(dsr_id)
        next_state(request.state, "verify")
        stored = self.repository.get_code(dsr_id)
        if stored is None:
            raise VerificationError("no code was sent for this request")
        if stored.attempts >= self.config.code_attempts:
            raise VerificationError("too many attempts: the DPO must verify this request")
        if self.clock() >= stored.expires_at:
            self._step_event(request, "code_expired", actor)
            raise VerificationError("the code has expired; ask for a new one")
        self.repository.count_attempt(dsr_id)
        if not hmac.compare_digest(stored.code_hash, self._code_hash(dsr_id, code.strip())):
            self._step_event(request, "code_wrong", actor, attempt=stored.attempts + 1)
            left = self.config.code_attempts - stored.attempts - 1
            raise VerificationError(
                f"wrong code ({left} attempts left)"
                if left
                else "wrong code: the DPO must now verify this request"
            )
        return self._verified(request, "code", actor, "")

    def attest(self, dsr_id: str, note: str, actor: Actor) -> DsrRequest:
        if len(note.strip()) < 3:
            raise InvalidDsrError(
                "an attested verification needs a note saying how identity was checked"
            )
        request = self.get(dsr_id)
        next_state(request.state, "verify")
        return self._verified(request, "dpo_attested", actor, note)

    def _verified(self, request: DsrRequest, method: str, actor: Actor, note: str) -> DsrRequest:
        noted = {"note": note} if note else {}
        self._move(
            request,
            "verify",
            {"verified_method": method},
            "verified",
            actor,
            method=method,
            **noted,
        )
        self.repository.drop_code(request.id)
        return self.get(request.id)

    def _move(
        self,
        request: DsrRequest,
        action: str,
        values: dict[str, Any],
        event: str,
        actor: Actor,
        **details: Any,
    ) -> DsrState:
        """Audit the step, then change the request and keep the event's sequence number in
        one transaction (only when the request is still in the state the step started from)."""
        target = next_state(request.state, action)
        seq = self._record(request.id, event, actor, details)
        now = self.clock()
        extra = dict(values)
        if target in (DsrState.COMPLETED, DsrState.REJECTED, DsrState.CANCELLED):
            extra["closed_at"] = now
        if not self.repository.transition(
            request.id, request.state, {"state": target, **extra}, now, event=(event, seq)
        ):
            raise IllegalTransitionError("the request changed meanwhile; reload it")
        request.state = target
        return target

    # --- DPO decisions --------------------------------------------------------------------

    def reject(self, dsr_id: str, reason: str, actor: Actor) -> DsrRequest:
        if len(reason.strip()) < 3:
            raise InvalidDsrError("a rejection always carries its reason")
        request = self.get(dsr_id)
        next_state(request.state, "reject")
        self._move(request, "reject", {"reason": reason}, "rejected", actor, reason=reason)
        return self.get(dsr_id)

    def cancel(self, dsr_id: str, reason: str, actor: Actor) -> DsrRequest:
        request = self.get(dsr_id)
        next_state(request.state, "cancel")
        self._move(request, "cancel", {"reason": reason or None}, "cancelled", actor, reason=reason)
        return self.get(dsr_id)

    def extend(self, dsr_id: str, notice: str, actor: Actor) -> DsrRequest:
        if len(notice.strip()) < 10:
            raise InvalidDsrError(
                "an extension needs the notice sent to the principal (its reasons)"
            )
        request = self.get(dsr_id)
        next_state(request.state, "extend")
        refused = can_extend(request.regime, request.received_at, self.clock(), request.extended)
        if refused:
            raise IllegalTransitionError(refused)
        new_due = due_at(request.regime, request.received_at, self.config.dpdp_days, extended=True)
        self._move(
            request,
            "extend",
            {"extended": True, "due_at": new_due, "reason": notice},
            "extended",
            actor,
            due_at=new_due.isoformat(),
        )
        self.outbox.send(
            self._identifier(dsr_id),
            f"Your data request {dsr_id}: more time needed",
            f"{notice}\n\nWe will answer by {new_due.date().isoformat()}.\n",
        )
        return self.get(dsr_id)

    def set_correction(
        self, dsr_id: str, correction: Mapping[str, Mapping[str, Mapping[str, Any]]], actor: Actor
    ) -> DsrRequest:
        """What a correction changes, ``{system: {table: {column: value}}}`` (e.g. after a
        public request, once the principal told the DPO); only before any of it is applied."""
        request = self.get(dsr_id)
        if request.type is not DsrType.CORRECTION:
            raise InvalidDsrError("only a correction request carries corrections")
        started = any(s.action == "correct" and s.status == "done" for s in request.steps)
        if not request.is_open or request.state is DsrState.AWAITING_APPROVAL or started:
            raise IllegalTransitionError(
                f"cannot change a correction that is {request.state.value}"
                + (" and partly applied" if started else "")
            )
        if not correction or not all(correction.values()):
            raise InvalidDsrError("name at least one system, table and column to correct")
        columns = sorted(
            f"{s}.{t}.{c}" for s, ts in correction.items() for t, cs in ts.items() for c in cs
        )
        seq = self._record(dsr_id, "correction_details", actor, {"columns": columns})
        values = {
            "correction": {s: {t: dict(cs) for t, cs in ts.items()} for s, ts in correction.items()}
        }
        if not self.repository.transition(
            dsr_id, request.state, values, self.clock(), event=("correction_details", seq)
        ):
            raise IllegalTransitionError("the request changed meanwhile; reload it")
        return self.get(dsr_id)

    def approve(self, dsr_id: str, actor: Actor) -> DsrRequest:
        request = self.get(dsr_id)
        next_state(request.state, "approve")
        self._move(request, "approve", {"approved_by": actor.id}, "approved", actor)
        return self.get(dsr_id)

    # --- execution ------------------------------------------------------------------------

    def execute(self, dsr_id: str, actor: Actor) -> ExecutionResult:
        """Run the request's next stage. Its steps' audit events reach the log as one durable
        group commit and its row changes as one transaction (``StepBatch``, ADR 0605), written
        early only where a later step depends on them: decrypts check the stored request,
        and what was erased is on record before keys are shredded."""
        loaded = self.repository.load(dsr_id)
        if loaded is None:
            raise DsrNotFoundError(f"no data subject request {dsr_id}")
        request, sealed, version = loaded
        batch = StepBatch(request)
        if request.state in (DsrState.VERIFIED, DsrState.EXTENDED):
            self._queue_move(batch, "start", {}, "started", actor)
        if request.state is not DsrState.IN_PROGRESS:
            raise IllegalTransitionError(f"cannot execute a request that is {request.state.value}")
        datamap = self._datamap_at(version)
        if request.type is DsrType.ERASURE and request.approved_by is None:
            return self._plan_erasure(batch, datamap, actor)
        principal = Principal(
            request.identifier_kind,
            self.sealer.unseal(dsr_id, sealed),
            tuple(request.subject_ids),
        )
        if request.type in SYNC_TYPES:
            return self._run_access(batch, datamap, principal, actor)
        if request.type is DsrType.ERASURE:
            return self._run_erasure(batch, datamap, principal, actor)
        if request.type is DsrType.CORRECTION:
            return self._run_correction(batch, datamap, principal, actor)
        return self._open_tasks(batch, datamap, actor)

    def _datamap_at(self, version: int | None) -> DataMap:
        """The data map of ``version`` (the latest stored), parsed once per version."""
        if version is None:
            raise DataMapMissingError(
                "no data map loaded yet: PUT /v1/datamap or `trustplane datamap load`"
            )
        if self._datamap is not None and self._datamap[0] == version:
            return self._datamap[1].datamap
        return self.datamap()[1]

    def _queue(
        self,
        batch: StepBatch,
        action: str,
        actor: Actor,
        details: Mapping[str, Any] | None = None,
        *,
        outcome: Outcome = Outcome.SUCCESS,
    ) -> int:
        event = self._event(batch.request.id, action, actor, details, outcome=outcome)
        return batch.add(action, event)

    def _queue_move(
        self,
        batch: StepBatch,
        action: str,
        values: dict[str, Any],
        event: str,
        actor: Actor,
        **details: Any,
    ) -> None:
        """A transition in the batch (checked against the state the batch has reached)."""
        request = batch.request
        target = next_state(request.state, action)
        self._queue(batch, event, actor, details)
        closing = {"closed_at": self.clock()} if target in CLOSED else {}
        batch.set(state=target, **values, **closing)
        request.state = target

    def _flush(self, batch: StepBatch) -> None:
        batch.flush(self.audit, self.repository, self.clock())

    def _done(self, batch: StepBatch, failed: list[str] | None = None) -> ExecutionResult:
        self._flush(batch)
        return ExecutionResult(batch.request, failed or [])

    def _bind_subjects(self, batch: StepBatch, subject_ids: set[str], actor: Actor) -> None:
        request = batch.request
        merged = sorted(set(request.subject_ids) | subject_ids)
        if merged != request.subject_ids:
            self._queue(batch, "subjects_found", actor, {"count": len(merged)})
            batch.set(subject_ids=merged)
            request.subject_ids = merged

    def _step(self, request: DsrRequest, system: str, action: str) -> Step:
        existing = next(
            (s for s in request.steps if s.system == system and s.action == action), None
        )
        return existing or Step(
            id=str(uuid.uuid4()), system=system, action=action, status="pending"
        )

    def _finish_step(
        self,
        batch: StepBatch,
        step: Step,
        actor: Actor,
        *,
        error: str | None = None,
        **detail: Any,
    ) -> None:
        step.status = "failed" if error else "done"
        step.error = error
        step.detail = {**step.detail, **detail}
        index = self._queue(
            batch,
            f"{step.action}.{step.status}",
            actor,
            {"system": step.system, **({"error": error} if error else {}), **_countable(detail)},
            outcome=Outcome.FAILURE if error else Outcome.SUCCESS,
        )
        batch.add_step(step, index)

    def _manual_systems(self, datamap: DataMap) -> list[SystemSpec]:
        return [s for s in datamap.systems if s.kind == "manual"]

    def _auto_systems(self, datamap: DataMap) -> list[SystemSpec]:
        """Systems with a connector, SQL first: they find the subject ids others key on."""
        auto = [s for s in datamap.systems if s.kind != "manual"]
        return sorted(auto, key=lambda s: s.kind != "sql")

    def _run_access(
        self, batch: StepBatch, datamap: DataMap, principal: Principal, actor: Actor
    ) -> ExecutionResult:
        request = batch.request
        exports: dict[str, Export] = {}
        failed: list[str] = []
        for system in self._auto_systems(datamap):
            step = self._step(request, system.name, "export")
            try:
                exports[system.name] = self.connectors(system).export(principal)
            except ConnectorError as exc:
                failed.append(system.name)
                self._finish_step(batch, step, actor, error=str(exc))
                continue
            found = exports[system.name].subject_ids - set(principal.subject_ids)
            if found:
                ids = tuple(sorted({*principal.subject_ids, *found}))
                principal = Principal(principal.kind, principal.value, ids)
            rows = sum(len(r) for r in exports[system.name].tables.values())
            self._finish_step(batch, step, actor, rows=rows)
        if failed:
            return self._done(batch, failed)
        subjects: set[str] = set()
        for export in exports.values():
            subjects |= export.subject_ids
        self._bind_subjects(batch, subjects, actor)
        data, places, items = self._decryptable(datamap, exports)
        if items:
            self._flush(batch)  # a decrypt checks the stored request (in progress, its owner)
            self._decrypt_into(request, data, places, items, actor)
        meta = {
            "id": request.id,
            "type": request.type.value,
            "regime": request.regime.value,
            "received_at": request.received_at.isoformat(),
            "generated_at": self.clock().isoformat(),
            "organisation": datamap.organisation or self.config.organisation,
        }
        categories = {name: export.categories for name, export in exports.items()}
        content = build_package(meta, data, categories)
        digest = hashlib.sha256(content).hexdigest()
        # the package's fsyncs overlap the audit append; both are durable before the request
        # says completed (a package that cannot be written leaves it in progress, retryable)
        written = self._writer.submit(self.packages.put, request.id, content)
        self._queue_move(
            batch,
            "complete",
            {"package_sha256": digest},
            "package_built",
            actor,
            sha256=digest,
            bytes=len(content),
        )
        try:
            batch.flush(self.audit, self.repository, self.clock(), before_rows=written.result)
        except BaseException:
            wait([written])  # leave no write running behind a failed execution
            raise
        return ExecutionResult(request)

    def _decryptable(
        self, datamap: DataMap, exports: Mapping[str, Export]
    ) -> tuple[
        dict[str, dict[str, list[dict[str, Any]]]],
        list[tuple[str, str, int, str]],
        list[tuple[str, FieldContext]],
    ]:
        """The exported rows (copied), and where each encrypted value sits with its context."""
        data = {
            name: {t: [dict(r) for r in rows] for t, rows in e.tables.items()}
            for name, e in exports.items()
        }
        places: list[tuple[str, str, int, str]] = []
        items: list[tuple[str, FieldContext]] = []
        for system in datamap.systems:
            for table in system.tables:
                encrypted = [f for f in table.fields if f.encrypted]
                rows = data.get(system.name, {}).get(table.name, []) if encrypted else []
                for index, row in enumerate(rows):
                    owner = (
                        str(row.get(table.subject, ""))
                        if table.key.via is None
                        else str(row.get(table.key.column, ""))
                    )
                    for spec in encrypted:
                        value = row.get(spec.column)
                        if not isinstance(value, str) or not value:
                            continue
                        context = FieldContext(
                            resource_type=table.name,
                            field=spec.column,
                            owner_id=owner,
                            classification=spec.classification,
                            tenant=self.config.tenant,
                        )
                        places.append((system.name, table.name, index, spec.column))
                        items.append((value, context))
        return data, places, items

    def _decrypt_into(
        self,
        request: DsrRequest,
        data: dict[str, dict[str, list[dict[str, Any]]]],
        places: list[tuple[str, str, int, str]],
        items: list[tuple[str, FieldContext]],
        actor: Actor,
    ) -> None:
        """Each encrypted field decrypted under the DPO's authorized decision (audited)."""
        if self.decrypter is None:
            raise ConnectorError("encrypted fields found but no vault is wired to decrypt them")
        accessor = Accessor(actor=actor, purpose="dsr", context={"dsr_id": request.id})
        outcomes: list[Any] = []
        for start in range(0, len(items), 500):
            outcomes.extend(self.decrypter.decrypt_batch(items[start : start + 500], accessor))
        for (system_name, table_name, index, column), outcome in zip(places, outcomes, strict=True):
            row = data[system_name][table_name][index]
            if outcome.error is not None:
                row[column] = f"[not decrypted: {type(outcome.error).__name__}]"
            else:
                row[column] = outcome.value

    def _plan_erasure(self, batch: StepBatch, datamap: DataMap, actor: Actor) -> ExecutionResult:
        plan = [
            {
                "system": s.name,
                "table": t.name,
                "field": f.column,
                "action": t.rule_for(f.column).action.value,
            }
            for s in datamap.systems
            for t in s.tables
            for f in t.fields
        ]
        self._queue_move(
            batch, "request_approval", {}, "approval_requested", actor, fields=len(plan)
        )
        return self._done(batch)

    def _run_erasure(
        self, batch: StepBatch, datamap: DataMap, principal: Principal, actor: Actor
    ) -> ExecutionResult:
        request = batch.request
        failed: list[str] = []
        for system in self._auto_systems(datamap):
            step = self._step(request, system.name, "erase")
            if step.status == "done":
                continue
            try:
                report = self.connectors(system).erase(principal, self._pseudonym)
            except ConnectorError as exc:
                failed.append(system.name)
                self._finish_step(batch, step, actor, error=str(exc))
                continue
            self._bind_subjects(batch, report.subject_ids, actor)
            principal = Principal(principal.kind, principal.value, tuple(request.subject_ids))
            self._finish_step(
                batch,
                step,
                actor,
                fields=[_field_dict(f) for f in report.fields],
                rows_deleted=report.rows_deleted,
            )
        if failed:
            return self._done(batch, failed)
        shred = self._step(request, "vault", "shred")
        if shred.status != "done" and self._shreds(datamap):
            self._flush(batch)  # what the systems erased is on record before keys go
            destroyed = 0
            for subject in request.subject_ids:
                if self.shredder is not None and self.shredder.has_keys(subject):
                    destroyed += self.shredder.shred(subject, actor)
            self._finish_step(
                batch, shred, actor, keys_destroyed=destroyed, subjects=len(request.subject_ids)
            )
        if not self._tasks_for(batch, datamap, actor):
            return self._done(batch)
        self._queue_move(batch, "complete", {}, "certificate_issued", actor)
        return self._done(batch)

    def _shreds(self, datamap: DataMap) -> bool:
        return any(
            t.rule_for(f.column).action is ErasureAction.SHRED
            for s in datamap.systems
            for t in s.tables
            for f in t.fields
        )

    def _pseudonym(self, value: str, field_name: str) -> str:
        if self.pseudonymize is None:
            raise ConnectorError("pseudonymize needs the vault's pseudonymizer")
        return self.pseudonymize(value, field_name)

    def _run_correction(
        self, batch: StepBatch, datamap: DataMap, principal: Principal, actor: Actor
    ) -> ExecutionResult:
        request = batch.request
        if not request.correction:
            self._flush(batch)  # started: the details come with set_correction
            raise InvalidDsrError(  # a public request gets its details with set_correction
                "this correction has no details yet: {system: {table: {column: value}}}"
            )
        failed: list[str] = []
        for system_name, changes in request.correction.items():
            system = datamap.system(system_name)
            step = self._step(request, system_name, "correct")
            if step.status == "done":
                continue
            try:
                if system is None:
                    raise ConnectorError(f"the data map has no system {system_name!r}")
                rows = self.connectors(system).correct(principal, changes)
            except ConnectorError as exc:
                failed.append(system_name)
                self._finish_step(batch, step, actor, error=str(exc))
                continue
            self._finish_step(
                batch,
                step,
                actor,
                rows=rows,
                columns=sorted(f"{t}.{c}" for t, cols in changes.items() for c in cols),
            )
        if failed:
            return self._done(batch, failed)
        self._queue_move(batch, "complete", {}, "corrected", actor)
        return self._done(batch)

    def _open_tasks(self, batch: StepBatch, datamap: DataMap, actor: Actor) -> ExecutionResult:
        if self._tasks_for(batch, datamap, actor, every_system=True):
            self._queue_move(batch, "complete", {}, "completed", actor)
        return self._done(batch)

    def _tasks_for(
        self, batch: StepBatch, datamap: DataMap, actor: Actor, *, every_system: bool = False
    ) -> bool:
        """Open a manual task per manual system (or per system); True when all are closed."""
        request = batch.request
        systems = datamap.systems if every_system else self._manual_systems(datamap)
        all_closed = True
        for system in systems:
            step = self._step(request, system.name, "task")
            if step.status == "done":
                continue
            all_closed = False
            if step.status == "open":
                continue
            step.status = "open"
            due = self.clock() + timedelta(days=system.due_days)
            step.detail = {
                "assignee": system.assignee or "dpo",
                "due_at": due.isoformat(),
                "instructions": system.instructions or f"{request.type.value} for this principal",
            }
            assignee = step.detail["assignee"]
            index = self._queue(
                batch, "task_opened", actor, {"system": system.name, "assignee": assignee}
            )
            batch.add_step(step, index)
        return all_closed

    def close_task(
        self, dsr_id: str, step_id: str, note: str, deleted: list[str], actor: Actor
    ) -> DsrRequest:
        if len(note.strip()) < 3:
            raise InvalidDsrError("closing a task needs the assignee's note of what was done")
        request = self.get(dsr_id)
        step = next((s for s in request.steps if s.id == step_id and s.action == "task"), None)
        if step is None:
            raise DsrNotFoundError(f"no manual task {step_id} in request {dsr_id}")
        if step.status != "open":
            raise IllegalTransitionError("this task is not open")
        batch = StepBatch(request)
        self._finish_step(batch, step, actor, note=note, deleted=list(deleted))
        self._flush(batch)
        return (
            self.execute(dsr_id, actor).request
            if request.state is DsrState.IN_PROGRESS
            else self.get(dsr_id)
        )

    # --- outputs --------------------------------------------------------------------------

    def package(self, dsr_id: str, actor: Actor, *, via_link: bool = False) -> bytes:
        request = self.get(dsr_id)
        sha256 = request.package_sha256
        content = self.packages.get(dsr_id, sha256) if sha256 else None
        if content is None:
            raise DsrNotFoundError("this request has no access package")
        if hashlib.sha256(content).hexdigest() != request.package_sha256:
            raise ConnectorError("the stored package does not match its recorded hash")
        self._step_event(
            request, "package_downloaded", actor, sha256=request.package_sha256, link=via_link
        )
        return content

    def package_link(self, dsr_id: str) -> tuple[int, str]:
        """``(expires, signature)`` of a link the principal can use without an account."""
        request = self.get(dsr_id)
        if not request.package_sha256:
            raise DsrNotFoundError("this request has no access package")
        expires = int(self.clock().timestamp()) + self.config.link_ttl_seconds
        return expires, self._link_signature(dsr_id, expires)

    def _link_signature(self, dsr_id: str, expires: int) -> str:
        mac = hmac.new(self.config.link_key, f"{dsr_id}\x00{expires}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")

    def package_by_link(self, dsr_id: str, expires: int, signature: str) -> bytes:
        expected = self._link_signature(dsr_id, expires)
        if not hmac.compare_digest(expected, signature):
            raise PackageLinkError("invalid download link")
        if self.clock().timestamp() > expires:
            raise PackageLinkError("this download link has expired")
        return self.package(dsr_id, Actor(id="data-principal", kind="user"), via_link=True)

    def certificate(self, dsr_id: str) -> dict[str, Any]:
        request = self.get(dsr_id)
        if request.type is not DsrType.ERASURE or request.state is not DsrState.COMPLETED:
            raise IllegalTransitionError("a certificate exists once an erasure is completed")
        fields: list[dict[str, Any]] = []
        manual: list[dict[str, Any]] = []
        shredded: dict[str, Any] = {"keys_destroyed": 0, "subjects": 0}
        for step in request.steps:
            if step.action == "erase":
                fields.extend(
                    {**f, "audit_seq": step.audit_seq} for f in step.detail.get("fields", [])
                )
            elif step.action == "shred":
                shredded = {
                    "keys_destroyed": step.detail.get("keys_destroyed", 0),
                    "subjects": step.detail.get("subjects", 0),
                    "audit_seq": step.audit_seq,
                }
            elif step.action == "task":
                manual.append(
                    {
                        "system": step.system,
                        "assignee": step.detail.get("assignee"),
                        "note": step.detail.get("note", ""),
                        "deleted": step.detail.get("deleted", []),
                        "audit_seq": step.audit_seq,
                    }
                )
        return {
            "request_id": request.id,
            "regime": request.regime.value,
            "received_at": request.received_at.isoformat(),
            "completed_at": request.closed_at.isoformat() if request.closed_at else None,
            "approved_by": request.approved_by,
            "fields": fields,
            "manual": manual,
            "shredded": shredded,
            "audit_seqs": request.audit_seqs,
        }

    def certificate_html(self, dsr_id: str) -> str:
        return render_certificate(self.certificate(dsr_id))

    # --- read models for other rooms ------------------------------------------------------

    def days_left(self, request: DsrRequest) -> int:
        return days_left(request.due_at, self.clock())

    def list(self, **filters: Any) -> list[DsrRequest]:
        return self.repository.list_requests(**filters)

    def decrypt_binding(self, dsr_id: str, owner_id: str) -> str | None:
        """``None`` when a decrypt for ``owner_id`` may cite ``dsr_id``; else the reason not."""
        return DsrBindings(self.repository).decrypt_binding(dsr_id, owner_id)


def _field_dict(item: ErasedField) -> dict[str, Any]:
    return {
        "system": item.system,
        "table": item.table,
        "field": item.column,
        "action": item.action.value,
        "rows": item.rows,
        "reason": item.reason,
        "until": item.until,
    }


def _countable(detail: Mapping[str, Any]) -> dict[str, Any]:
    """What of a step's detail goes into the audit event (counts, never personal data)."""
    out: dict[str, Any] = {}
    for key, value in detail.items():
        if isinstance(value, int | bool):
            out[key] = value
        elif key == "fields" and isinstance(value, list):
            out["fields"] = [f"{f['table']}.{f['field']}:{f['action']}" for f in value]
    return out

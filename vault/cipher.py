"""``FieldCipher``: envelope AES-256-GCM for single fields (the in-process API).

Encryption takes a cached data key (see ``cache.py``), a fresh 96-bit nonce per value and
binds the ciphertext to its ``FieldContext`` through the AES-GCM associated data. Decryption
is authorized per field (``Authorizer``), shaped by obligations (plaintext, mask,
pseudonym) and recorded in the audit log before anything is returned (fail closed).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from audit import AuditEventIn, AuditRecorder, EventType, Outcome, Target
from vault import envelope
from vault.authz import (
    Accessor,
    Authorizer,
    FieldDecision,
    transform_for,
    unfulfillable,
)
from vault.cache import DataKeyCache, Materials, Partition
from vault.context import FieldContext
from vault.errors import (
    BatchTooLargeError,
    ContextMismatchError,
    DecryptDeniedError,
    KeyDestroyedError,
    ProviderError,
    SubjectShreddedError,
    TamperedCiphertextError,
    UnknownDataKeyError,
    UnknownKeyVersionError,
    VaultError,
)
from vault.masking import Pseudonymizer, mask
from vault.providers.port import KeyProvider
from vault.stores.datakeys import DataKeyRecord, DataKeyStore
from vault.values import FieldValue, decode_value, encode_value

MAX_BATCH = 1000

# bound once for FieldCipher.encrypt, which runs once per value
_urandom = os.urandom
_b2a = binascii.b2a_base64
_URLSAFE = envelope.URLSAFE
_NONCE_SIZE = envelope.NONCE_SIZE


@dataclass(frozen=True, slots=True)
class EncryptOutcome:
    ciphertext: str | None = None
    error: VaultError | None = None


@dataclass(frozen=True, slots=True)
class DecryptOutcome:
    """``value`` is the plaintext, a mask or a pseudonym (``masked``), or None on ``error``."""

    value: FieldValue | None = None
    masked: bool = False
    error: VaultError | None = None
    result: str = "plain"  # plain | masked | pseudonymized | denied | error
    decision: FieldDecision | None = None


def _commit_key(dek: bytes) -> bytes:
    return hmac.digest(dek, b"tp-fle-context-commitment", hashlib.sha256)


def _commit_hasher(commit_key: bytes) -> Any:
    """A keyed BLAKE2s state; ``copy()`` per value skips re-keying (about 40 % cheaper)."""
    return hashlib.blake2s(key=commit_key, digest_size=envelope.COMMIT_SIZE)


def _commitment(materials: Materials, nonce: bytes, aad: bytes) -> bytes:
    hasher = materials.commit_hasher.copy()
    hasher.update(nonce + aad)
    return bytes(hasher.digest())


class FieldCipher:
    def __init__(
        self,
        provider: KeyProvider,
        store: DataKeyStore,
        audit: AuditRecorder,
        *,
        key_name: str = "fields",
        cache: DataKeyCache | None = None,
        authorizer: Authorizer,
        pseudonymizer: Pseudonymizer | None = None,
        subject_keys: bool = True,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.provider = provider
        self.store = store
        self.audit = audit
        self.key_name = key_name
        self.cache = cache if cache is not None else DataKeyCache()
        self._authorizer = authorizer
        self.pseudonymizer = pseudonymizer
        self.subject_keys = subject_keys
        self.max_batch = max_batch
        provider.ensure_key(key_name)

    @property
    def authorizer(self) -> Authorizer:
        """Who decides each decrypt: a required collaborator, fixed at construction."""
        return self._authorizer

    # --- encryption -----------------------------------------------------------------------

    def encrypt(
        self, value: FieldValue, context: FieldContext, *, subject_key: bool | None = None
    ) -> str:
        """Encrypt one value for ``context``; with a subject key when the owner is known.

        The hot path (warm cache): one lock-free cache lookup, a fresh 96-bit nonce from
        ``os.urandom``, the context commitment (ADR 0301), AES-GCM, and base64url of only the
        per-value bytes (the data key's header is pre-encoded, ``envelope.split_header``).
        The result is byte for byte ``envelope.serialize(header + commitment, nonce, sealed)``.
        """
        owner = context.owner_id
        subject = (
            owner if owner and (self.subject_keys if subject_key is None else subject_key) else None
        )
        partition = (context.tenant, self.key_name, subject)
        materials = self.cache.reuse(partition) or self._fill(partition, context.tenant, subject)
        if subject is not None:
            self._refuse_if_shredded(context.tenant, subject, encrypting=True)
        plaintext = b"s" + value.encode() if type(value) is str else encode_value(value)
        nonce = _urandom(_NONCE_SIZE)
        aad = context.aad
        hasher = materials.commit_hasher.copy()
        hasher.update(nonce + aad)
        commitment = hasher.digest()
        sealed = materials.aead.encrypt(nonce, plaintext, materials.header + commitment + aad)
        encoded = _b2a(b"".join((materials.header_tail, commitment, nonce, sealed)))
        return materials.text_prefix + encoded.translate(_URLSAFE).rstrip(b"=\n").decode()

    def _refuse_if_shredded(self, tenant: str, subject_id: str, *, encrypting: bool) -> None:
        """The database is the source of truth for shredding (issue 14): a subject-keyed
        operation reads the subject's tombstone, so a shred done by any worker or replica
        is seen by every other at once, whatever their caches hold (they are evicted here)."""
        if self.store.tombstone(tenant, subject_id) is None:
            return
        self.cache.evict_subject(tenant, subject_id)
        if encrypting:
            raise SubjectShreddedError("key destroyed: the data principal was shredded")
        raise KeyDestroyedError("key destroyed")

    def _fill(self, partition: Partition, tenant: str, subject: str | None) -> Materials:
        """The slow path of ``encrypt`` (kept out of it: a lambda there costs every call)."""
        return self.cache.encryption_materials(
            partition, lambda: self._new_materials(tenant, subject)
        )

    def encrypt_batch(
        self, items: Sequence[tuple[FieldValue, FieldContext]]
    ) -> list[EncryptOutcome]:
        """Each item answered on its own: one bad value does not fail the batch."""
        if len(items) > self.max_batch:
            raise BatchTooLargeError(f"at most {self.max_batch} fields per batch")
        outcomes = []
        for value, context in items:
            try:
                outcomes.append(EncryptOutcome(ciphertext=self.encrypt(value, context)))
            except VaultError as exc:
                outcomes.append(EncryptOutcome(error=exc))
        return outcomes

    def _new_materials(self, tenant: str, subject_id: str | None) -> Materials:
        if subject_id is not None and self.store.tombstone(tenant, subject_id) is not None:
            raise SubjectShreddedError("key destroyed: the data principal was shredded")
        dek_id = uuid.uuid4()
        record = DataKeyRecord(
            id=dek_id,
            tenant=tenant,
            key_name=self.key_name,
            kek_version=0,
            provider=self.provider.kind,
            wrapped=b"",
            subject_id=subject_id,
            created_at=datetime.now(UTC),
        )
        data_key = self.provider.generate_data_key(self.key_name, record.key_context())
        record = DataKeyRecord(
            id=dek_id,
            tenant=tenant,
            key_name=self.key_name,
            kek_version=data_key.kek_version,
            provider=self.provider.kind,
            wrapped=data_key.wrapped,
            subject_id=subject_id,
            created_at=record.created_at,
        )
        self.audit.record(
            AuditEventIn(
                type=EventType.KEY_OPERATION,
                target=Target(type="data_key", id=str(dek_id)),
                details={
                    "operation": "generate_data_key",
                    "key_name": self.key_name,
                    "kek_version": data_key.kek_version,
                    "provider": self.provider.kind,
                    "subject_key": subject_id is not None,
                },
            )
        )
        self.store.add(record)
        flags = envelope.FLAG_SUBJECT_KEY if subject_id is not None else 0
        header = envelope.build_header(flags, dek_id, data_key.kek_version, self.key_name)
        text_prefix, header_tail = envelope.split_header(header)
        return Materials(
            dek_id=dek_id,
            tenant=tenant,
            key_name=self.key_name,
            kek_version=data_key.kek_version,
            subject_id=subject_id,
            aead=AESGCM(data_key.plaintext),
            commit_key=(commit := _commit_key(data_key.plaintext)),
            commit_hasher=_commit_hasher(commit),
            header=header,
            text_prefix=text_prefix,
            header_tail=header_tail,
        )

    # --- decryption -----------------------------------------------------------------------

    def open(self, ciphertext: str, context: FieldContext) -> FieldValue:
        """Decrypt without authorization or audit: for the vault's own use and tests."""
        env = envelope.parse(ciphertext)
        materials = self.cache.cached_decryption(env.dek_id_bytes) or self._fill_decryption(env)
        if materials.subject_id is not None:
            self._refuse_if_shredded(materials.tenant, materials.subject_id, encrypting=False)
        if materials.key_name != env.key_name or env.subject_key != (
            materials.subject_id is not None
        ):
            raise TamperedCiphertextError("ciphertext header does not match its data key")
        if env.kek_version > materials.kek_version or env.kek_version < 1:
            raise UnknownKeyVersionError("ciphertext names an unknown key version")
        aad = context.aad
        if not hmac.compare_digest(env.commitment, _commitment(materials, env.nonce, aad)):
            raise ContextMismatchError("ciphertext does not belong to this context")
        try:
            plaintext = materials.aead.decrypt(env.nonce, env.sealed, env.header + aad)
        except InvalidTag as exc:
            raise TamperedCiphertextError("ciphertext failed authentication") from exc
        return decode_value(plaintext)

    def _fill_decryption(self, env: envelope.Envelope) -> Materials:
        return self.cache.decryption_materials(env.dek_id_bytes, lambda: self._unwrap(env.dek_id))

    def _unwrap(self, dek_id: uuid.UUID) -> Materials:
        record = self.store.get(dek_id)
        if record is None:
            raise UnknownDataKeyError("ciphertext names an unknown data key")
        if record.wrapped is None:
            raise KeyDestroyedError("key destroyed")
        try:
            dek = self.provider.decrypt_data_key(
                record.key_name, record.wrapped, record.key_context()
            )
        except VaultError:
            raise
        except Exception as exc:  # an adapter bug must not leak details or crash
            raise ProviderError("key provider failed to unwrap the data key") from exc
        return Materials(
            dek_id=dek_id,
            tenant=record.tenant,
            key_name=record.key_name,
            kek_version=record.kek_version,
            subject_id=record.subject_id,
            aead=AESGCM(dek),
            commit_key=(commit := _commit_key(dek)),
            commit_hasher=_commit_hasher(commit),
            header=b"",
        )

    def decrypt(
        self, ciphertext: str, context: FieldContext, accessor: Accessor | None = None
    ) -> FieldValue:
        """Authorized, audited decrypt of one field; raises the item's error."""
        outcome = self.decrypt_batch([(ciphertext, context)], accessor or Accessor())[0]
        if outcome.error is not None:
            raise outcome.error
        assert outcome.value is not None
        return outcome.value

    def decrypt_batch(
        self, items: Sequence[tuple[str, FieldContext]], accessor: Accessor
    ) -> list[DecryptOutcome]:
        """Authorize each field, decrypt, apply obligations, record one audit event.

        Raises ``audit.AuditUnavailableError`` (nothing returned) when the log is down.
        """
        if len(items) > self.max_batch:
            raise BatchTooLargeError(f"at most {self.max_batch} fields per batch")
        contexts = [context for _, context in items]
        decisions = list(self._authorizer.authorize_decrypt(accessor, contexts))
        if len(decisions) != len(items):
            raise DecryptDeniedError("authorizer answered the wrong number of decisions")
        outcomes = [
            replace(self._decrypt_one(ciphertext, context, decision), decision=decision)
            for (ciphertext, context), decision in zip(items, decisions, strict=True)
        ]
        self._record_decrypts(items, outcomes, accessor)
        return outcomes

    def _decrypt_one(
        self,
        ciphertext: str,
        context: FieldContext,
        decision: FieldDecision,
    ) -> DecryptOutcome:
        if not decision.allow:
            error = DecryptDeniedError("decryption denied by policy", tuple(decision.reasons))
            return DecryptOutcome(error=error, result="denied")
        obligations = decision.obligations
        unknown = unfulfillable(obligations)
        if unknown:
            error = DecryptDeniedError(
                "decryption denied: an obligation cannot be fulfilled",
                tuple(f"unsupported obligation {kind!r}" for kind in unknown),
            )
            return DecryptOutcome(error=error, result="denied")
        try:
            value = self.open(ciphertext, context)
        except VaultError as exc:
            return DecryptOutcome(error=exc, result="error")
        transform = transform_for(context.field, obligations)
        if transform.kind == "plain":
            return DecryptOutcome(value=value)
        text = value if isinstance(value, str) else str(value)
        if transform.kind == "pseudonymize":
            if self.pseudonymizer is None:
                denied = DecryptDeniedError("pseudonymization required but not configured")
                return DecryptOutcome(error=denied, result="denied")
            token = self.pseudonymizer.token(text, context.field)
            return DecryptOutcome(value=token, masked=True, result="pseudonymized")
        return DecryptOutcome(value=mask(text, transform.format), masked=True, result="masked")

    def _record_decrypts(
        self,
        items: Sequence[tuple[str, FieldContext]],
        outcomes: Sequence[DecryptOutcome],
        accessor: Accessor,
    ) -> None:
        fields = [
            _field_record(context, outcome)
            for (_, context), outcome in zip(items, outcomes, strict=True)
        ]
        succeeded = any(outcome.error is None for outcome in outcomes)
        self.audit.record(
            AuditEventIn(
                type=EventType.FIELD_DECRYPT,
                outcome=Outcome.SUCCESS if succeeded else Outcome.FAILURE,
                actor=accessor.actor,
                origin=accessor.origin,
                target=Target(type="fields", id=_common_owner(items)),
                details={
                    "purpose": accessor.purpose,
                    "count": len(items),
                    "fields": fields,
                    "severity": _severity(outcomes),
                },
            )
        )


def _field_record(context: FieldContext, outcome: DecryptOutcome) -> dict[str, Any]:
    record: dict[str, Any] = {
        "resource_type": context.resource_type,
        "field": context.field,
        "owner_id": context.owner_id,
        "classification": context.classification,
        "result": outcome.result
        if outcome.error is None
        else f"{outcome.result}:{outcome.error.code}",
    }
    decision = outcome.decision
    if decision is not None and decision.decision_id:
        record["decision_id"] = decision.decision_id
    if decision is not None and decision.obligations:
        record["obligations"] = sorted({str(o.get("type")) for o in decision.obligations})
    return record


def _severity(outcomes: Sequence[DecryptOutcome]) -> str:
    """``high`` when a decision asked for an audit of high severity (e.g. DPO, break-glass)."""
    for outcome in outcomes:
        decision = outcome.decision
        if decision is None or not decision.allow:
            continue
        for obligation in decision.obligations:
            if (
                obligation.get("type") in {"audit", "notify"}
                and obligation.get("severity", "high") == "high"
            ):
                return "high"
    return "normal"


def _common_owner(items: Sequence[tuple[str, FieldContext]]) -> str | None:
    owners = {context.owner_id for _, context in items}
    return owners.pop() if len(owners) == 1 and "" not in owners else None

"""Authorized, audited decrypts: obligations pick plaintext, mask, pseudonym or denial."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from audit import Actor, AuditUnavailableError, EventType, InMemoryAuditLog, Outcome
from vault import (
    Accessor,
    BatchTooLargeError,
    DecryptDeniedError,
    FieldCipher,
    FieldContext,
    FieldDecision,
    InMemoryDataKeyStore,
    LocalKeyProvider,
    Pseudonymizer,
    TamperedCiphertextError,
    transform_for,
)

KEY = b"k" * 32
SUPPORT = Accessor(actor=Actor(id="u-7", kind="user", roles=("support_agent",)), purpose="support")


class RuleAuthorizer:
    """Stands in for the decision point: a fixed decision per field name."""

    def __init__(self, rules: dict[str, FieldDecision]) -> None:
        self.rules = rules
        self.calls: list[tuple[Accessor, int]] = []

    def authorize_decrypt(
        self, accessor: Accessor, contexts: Sequence[FieldContext]
    ) -> Sequence[FieldDecision]:
        self.calls.append((accessor, len(contexts)))
        return [self.rules.get(c.field, FieldDecision(False, ("default deny",))) for c in contexts]


def _ctx(field: str) -> FieldContext:
    return FieldContext("customer_profile", field, "c-9", 3, "finsolve")


def _cipher(
    local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog, authorizer: RuleAuthorizer
) -> FieldCipher:
    return FieldCipher(
        local_provider,
        InMemoryDataKeyStore(),
        audit_log,
        authorizer=authorizer,
        pseudonymizer=Pseudonymizer(KEY, "finsolve"),
    )


def test_obligations_decide_each_field(
    local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> None:
    authorizer = RuleAuthorizer(
        {
            "name": FieldDecision(True),
            "pan": FieldDecision(
                True, obligations=({"type": "mask", "fields": ["pan"], "format": "last4"},)
            ),
            "email": FieldDecision(True, obligations=({"type": "mask", "format": "email"},)),
            "phone": FieldDecision(True, obligations=({"type": "pseudonymize"},)),
        }
    )
    cipher = _cipher(local_provider, audit_log, authorizer)
    values = {
        "name": "Asha Rao",
        "pan": "ABCDE1234F",
        "email": "asha@example.com",
        "phone": "+91 98765 43210",
        "balance": "1200.00",
    }
    items = [(cipher.encrypt(v, _ctx(f)), _ctx(f)) for f, v in values.items()]
    items.append(("tpe1.garbage", _ctx("name")))
    outcomes = cipher.decrypt_batch(items, SUPPORT)
    assert outcomes[0].value == "Asha Rao"
    assert not outcomes[0].masked
    assert outcomes[1].value == "****234F"
    assert outcomes[1].masked
    assert outcomes[2].value == "a***@example.com"
    assert outcomes[3].value == Pseudonymizer(KEY, "finsolve").token("9876543210", "phone")
    assert str(outcomes[3].value).startswith("psd_")
    assert isinstance(outcomes[4].error, DecryptDeniedError)
    assert outcomes[4].error.reasons == ("default deny",)
    assert outcomes[4].value is None
    assert outcomes[5].error is not None
    assert outcomes[5].value is None
    assert authorizer.calls == [(SUPPORT, 6)]
    event = audit_log.events[-1]
    assert event.type is EventType.FIELD_DECRYPT
    assert event.actor.id == "u-7"
    assert event.details["purpose"] == "support"
    results = [f["result"] for f in event.details["fields"]]
    assert results[:5] == ["plain", "masked", "masked", "pseudonymized", "denied:decrypt-denied"]
    assert results[5].startswith("error:")
    assert "Asha" not in str(event.model_dump())


def test_decrypt_is_audited_and_fails_closed(
    local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> None:
    cipher = _cipher(local_provider, audit_log, RuleAuthorizer({"name": FieldDecision(True)}))
    ciphertext = cipher.encrypt("Asha", _ctx("name"))
    assert cipher.decrypt(ciphertext, _ctx("name"), SUPPORT) == "Asha"
    audit_log.fail = True
    with pytest.raises(AuditUnavailableError):
        cipher.decrypt(ciphertext, _ctx("name"), SUPPORT)


def test_single_decrypt_raises_denial_and_errors(
    local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> None:
    cipher = _cipher(local_provider, audit_log, RuleAuthorizer({"name": FieldDecision(True)}))
    ciphertext = cipher.encrypt("Asha", _ctx("email"))
    with pytest.raises(DecryptDeniedError):
        cipher.decrypt(ciphertext, _ctx("email"), SUPPORT)
    assert audit_log.events[-1].outcome is Outcome.FAILURE
    name = cipher.encrypt("Asha", _ctx("name"))
    tampered = name[:-2] + ("AA" if not name.endswith("AA") else "BA")
    with pytest.raises(TamperedCiphertextError):
        cipher.decrypt(tampered, _ctx("name"), SUPPORT)


def test_batches_are_bounded(local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog) -> None:
    cipher = _cipher(local_provider, audit_log, RuleAuthorizer({}))
    with pytest.raises(BatchTooLargeError):
        cipher.decrypt_batch([("x", _ctx("name"))] * 1001, SUPPORT)
    with pytest.raises(BatchTooLargeError):
        cipher.encrypt_batch([("x", _ctx("name"))] * 1001)


def test_pseudonymize_without_key_denies(
    local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> None:
    authorizer = RuleAuthorizer(
        {"email": FieldDecision(True, obligations=({"type": "pseudonymize"},))}
    )
    cipher = FieldCipher(local_provider, InMemoryDataKeyStore(), audit_log, authorizer=authorizer)
    ciphertext = cipher.encrypt("a@example.com", _ctx("email"))
    outcome = cipher.decrypt_batch([(ciphertext, _ctx("email"))], SUPPORT)[0]
    assert isinstance(outcome.error, DecryptDeniedError)


def test_wrong_number_of_decisions_is_a_denial(
    local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> None:
    class Broken:
        def authorize_decrypt(
            self, accessor: Accessor, contexts: Sequence[FieldContext]
        ) -> Sequence[FieldDecision]:
            return []

    cipher = FieldCipher(local_provider, InMemoryDataKeyStore(), audit_log, authorizer=Broken())
    with pytest.raises(DecryptDeniedError):
        cipher.decrypt(cipher.encrypt("x", _ctx("name")), _ctx("name"))


@pytest.mark.parametrize(
    ("obligations", "kind", "fmt"),
    [
        ((), "plain", "last4"),
        (({"type": "notify", "channel": "security_team"},), "plain", "last4"),
        (({"type": "mask", "fields": ["other"]},), "plain", "last4"),
        (({"type": "mask", "fields": ["pan"]},), "mask", "last4"),
        (({"type": "redact"},), "mask", "redact"),
        (({"type": "mask", "format": "email"}, {"type": "pseudonymize"}), "pseudonymize", "last4"),
        (({"type": "mask", "format": "email"}, {"type": "redact"}), "mask", "redact"),
    ],
)
def test_transform_for(obligations: tuple[dict[str, object], ...], kind: str, fmt: str) -> None:
    transform = transform_for("pan", obligations)
    assert (transform.kind, transform.format) == (kind, fmt)


def test_unfulfillable_obligation_denies(
    local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> None:
    authorizer = RuleAuthorizer(
        {
            "name": FieldDecision(True, obligations=({"type": "watermark"},)),
            "email": FieldDecision(
                True, obligations=({"type": "notify", "channel": "security_team"},)
            ),
        }
    )
    cipher = _cipher(local_provider, audit_log, authorizer)
    items = [(cipher.encrypt("x@example.com", _ctx(f)), _ctx(f)) for f in ("name", "email")]
    name, email = cipher.decrypt_batch(items, SUPPORT)
    assert isinstance(name.error, DecryptDeniedError)
    assert name.error.reasons == ("unsupported obligation 'watermark'",)
    assert email.value == "x@example.com"
    event = audit_log.events[-1]
    assert event.type is EventType.FIELD_DECRYPT
    assert event.details["severity"] == "high"
    assert event.details["fields"][1]["obligations"] == ["notify"]

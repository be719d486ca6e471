"""Decrypt authorization port: the composition root plugs the decision point in here.

The vault never imports ``policies``: an ``Authorizer`` answers, per field, allow or deny
plus obligations; the obligations decide plaintext, masked value or pseudonym.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from audit import SYSTEM_ACTOR, Actor, Origin
from vault.context import FieldContext


@dataclass(frozen=True)
class Accessor:
    """Who asks to decrypt, and why."""

    actor: Actor = SYSTEM_ACTOR
    purpose: str = ""
    origin: Origin = field(default_factory=Origin)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    # Further decision context the caller states (ticket, DSR id, consents, incident, ...).
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldDecision:
    allow: bool
    reasons: tuple[str, ...] = ()
    obligations: tuple[Mapping[str, Any], ...] = ()
    decision_id: str | None = None


# Obligations the vault knows how to fulfil: the transformations, plus ``audit`` and
# ``notify`` which are fulfilled by the decrypt's audit event (it names them, and the
# security team's alerting reads the log). Any other obligation denies (fail closed).
FULFILLABLE_OBLIGATIONS = frozenset({"mask", "pseudonymize", "redact", "audit", "notify"})


def unfulfillable(obligations: Sequence[Mapping[str, Any]]) -> list[str]:
    """Obligation types the vault cannot fulfil (a decision carrying one is a denial)."""
    return sorted(
        {str(o.get("type")) for o in obligations if o.get("type") not in FULFILLABLE_OBLIGATIONS}
    )


ALLOW = FieldDecision(allow=True)


@runtime_checkable
class Authorizer(Protocol):
    def authorize_decrypt(
        self, accessor: Accessor, contexts: Sequence[FieldContext]
    ) -> Sequence[FieldDecision]:
        """One decision per context, in order."""
        ...


class AllowAllAuthorizer:
    """Allows everything without obligations (tests, and trusted in-process callers)."""

    def authorize_decrypt(
        self, accessor: Accessor, contexts: Sequence[FieldContext]
    ) -> Sequence[FieldDecision]:
        return [ALLOW] * len(contexts)


@dataclass(frozen=True)
class Transform:
    """What the obligations ask for one field: ``plain``, ``mask`` or ``pseudonymize``."""

    kind: str = "plain"
    format: str = "last4"


def transform_for(field_name: str, obligations: Sequence[Mapping[str, Any]]) -> Transform:
    """The strongest transformation the obligations name for ``field_name``.

    An obligation without ``fields`` applies to every field. Pseudonymize beats mask.
    """
    chosen = Transform()
    for obligation in obligations:
        kind = obligation.get("type")
        if kind not in {"mask", "pseudonymize", "redact"}:
            continue
        fields = obligation.get("fields")
        if fields and field_name not in fields:
            continue
        if kind == "pseudonymize":
            return Transform("pseudonymize")
        if kind == "redact":
            chosen = Transform("mask", "redact")
        elif chosen.kind == "plain":
            chosen = Transform("mask", str(obligation.get("format", "last4")))
    return chosen

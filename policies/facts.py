"""Facts trustplane holds are not taken from the caller (issue 15, item 4; ADR 0212).

Before any evaluation, every request passes one enrichment step, ``Facts``: a chain of
``FactCheck``s, each reading one of trustplane's own records through a port the composition
root plugs in (the privacy room implements them), so ``policies`` imports no other room:

- ``ConsentFacts`` — the consent ledger's consents replace the caller's (ADR 0602);
- ``DsrFacts`` — a ``context.dsr_id`` (or purpose ``dsr``) must name a data subject request
  that exists, is verified and in progress, and is about the resource's owner;
- ``ResidencyFacts`` — the data-map system a resource names (``resource.system``) gives the
  resource's ``region``, and its personal data (classification >= 3) the configured
  ``residency``; the caller's values are overruled.

A check answers ``None`` when the request names nothing it keeps (the common case, kept
cheap: every decision runs the chain), or a ``FactsView``: the request as the policy must
see it, notes for the decision's reasons (the caller was overruled), refusals (a named
record that does not check out: the decision is a deny with that reason, nothing is
evaluated) or a failure (a record could not be read: the decision fails closed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from policies.consent import ConsentSource, apply_ledger

DSR_PURPOSE = "dsr"
DSR_REGISTRY_UNAVAILABLE = "data subject request registry unavailable"
SYSTEM_RECORDS_UNAVAILABLE = "data map unavailable"
PERSONAL_DATA_LEVEL = 3  # seed §5.1.2: level 3 (Confidential) and up is personal data
SYSTEM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")  # a data map's system names


class FactsView(NamedTuple):  # a tuple: built on every decision, cheaply
    """A request as the policy sees it, with what the records said about the caller's."""

    request: Mapping[str, Any]
    notes: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ()
    failure: str | None = None

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


class FactCheck(Protocol):
    """One record trustplane holds, checked against (or filled into) a request; ``None``
    when the request names nothing this record covers."""

    def check(self, request: Mapping[str, Any]) -> FactsView | None: ...

    def reads(self, request: Mapping[str, Any]) -> bool:
        """True when checking ``request`` may read a store now (a database round trip): the
        web layer then evaluates it off the event loop (ADR 0213)."""
        ...


class Facts:
    """The one enrichment step: the checks in order, each on the request the previous one
    produced. The first failure stops the chain (the decision fails closed)."""

    def __init__(self, checks: Sequence[FactCheck] = ()) -> None:
        self.checks = tuple(checks)

    def __bool__(self) -> bool:
        return bool(self.checks)

    def apply(self, request: Mapping[str, Any]) -> FactsView:
        notes: tuple[str, ...] = ()
        refusals: tuple[str, ...] = ()
        for fact in self.checks:
            view = fact.check(request)
            if view is None:
                continue
            if view.failed:
                return FactsView(request, notes, refusals, view.failure)
            request = view.request
            notes += view.notes
            refusals += view.refusals
        return FactsView(request, notes, refusals)

    def reads(self, request: Mapping[str, Any]) -> bool:
        """True when any check may read a store for ``request``."""
        return any(fact.reads(request) for fact in self.checks)


_EMPTY: Mapping[str, Any] = {}


def _part(request: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    part = request.get(name)
    if type(part) is dict or isinstance(part, Mapping):  # dict first: the cheap test
        return part
    return _EMPTY


# -- consents ---------------------------------------------------------------------------


class ConsentFacts:
    """The consent ledger as a fact check (the rule is ``policies.apply_ledger``)."""

    def __init__(self, source: ConsentSource) -> None:
        self.source = source

    def check(self, request: Mapping[str, Any]) -> FactsView | None:
        view = apply_ledger(request, self.source)
        if view.failed:
            return FactsView(request, failure=view.note)
        if view.request is request:
            return None
        return FactsView(view.request, (view.note,) if view.note else ())

    def reads(self, request: Mapping[str, Any]) -> bool:
        owner = _part(request, "resource").get("owner_id")
        if not isinstance(_part(request, "context").get("purpose"), str):
            return False
        return isinstance(owner, str) and bool(owner) and not self.source.cached(owner)


# -- data subject requests --------------------------------------------------------------


class DsrSource(Protocol):
    """The DSR register's read side (``privacy.DsrBindings`` implements it)."""

    def dsr_binding(self, dsr_id: str, owner_id: str) -> str | None:
        """``None`` when a request about ``owner_id`` may cite ``dsr_id``: it exists, is
        verified and in progress, and is about that data principal; else the reason not
        (never echoing an id trustplane does not hold)."""
        ...


class DsrFacts:
    """A decision citing a data subject request is checked against the DSR register."""

    def __init__(self, source: DsrSource) -> None:
        self.source = source

    def check(self, request: Mapping[str, Any]) -> FactsView | None:
        context = _part(request, "context")
        dsr_id = context.get("dsr_id")
        if dsr_id is None and context.get("purpose") != DSR_PURPOSE:
            return None
        if not isinstance(dsr_id, str) or not dsr_id:
            return FactsView(request, refusals=(_dsr_missing(context),))
        owner = _part(request, "resource").get("owner_id")
        if not isinstance(owner, str) or not owner:
            why = "a decision citing a data subject request needs resource.owner_id"
            return FactsView(request, refusals=(why,))
        try:
            reason = self.source.dsr_binding(dsr_id, owner)
        except Exception:  # the register cannot answer: the decision fails closed
            return FactsView(request, failure=DSR_REGISTRY_UNAVAILABLE)
        return FactsView(request, refusals=(reason,) if reason else ())

    def reads(self, request: Mapping[str, Any]) -> bool:
        context = _part(request, "context")  # every citation is read from the register
        return context.get("dsr_id") is not None or context.get("purpose") == DSR_PURPOSE


def _dsr_missing(context: Mapping[str, Any]) -> str:
    if context.get("dsr_id") is None:
        return "purpose dsr needs context.dsr_id naming a data subject request"
    return "context.dsr_id must be the id of a data subject request"


# -- data residency ---------------------------------------------------------------------


@dataclass(frozen=True)
class SystemRecord:
    """Where a system of the data map keeps its data."""

    name: str
    region: str


class SystemSource(Protocol):
    """The data map's systems (``privacy.DataMapSystems`` implements it)."""

    def system(self, name: str) -> SystemRecord | None:
        """The system called ``name``, or None when the data map has none (or none is
        loaded); raises when the data map cannot be read."""
        ...

    def cached(self) -> bool:
        """True when ``system`` would answer from memory now, without reading the store."""
        ...


class ResidencyFacts:
    """``resource.region`` (and, for personal data, ``resource.residency``) come from the
    data-map system the resource names in ``resource.system``.

    Without a record (no system named, or one the data map does not hold): a named but
    unknown system is refused for personal data (classification >= 3, or none given); for
    levels 1-2, and when no system is named at all, the caller's values are used (ADR 0212).
    """

    def __init__(self, source: SystemSource, residency: str | None) -> None:
        self.source = source
        self.residency = residency

    def check(self, request: Mapping[str, Any]) -> FactsView | None:
        resource = _part(request, "resource")
        if "system" not in resource:
            return None
        name = resource.get("system")
        personal = _personal(resource.get("classification"))
        if not isinstance(name, str) or not SYSTEM_NAME.fullmatch(name):
            return FactsView(request, refusals=("resource.system must name a data-map system",))
        try:
            record = self.source.system(name)
        except Exception:  # the data map cannot be read: the decision fails closed
            return FactsView(request, failure=SYSTEM_RECORDS_UNAVAILABLE)
        if record is None:
            if not personal:
                return None
            why = (
                "data localisation (DPDP Act s.16): resource.system names no system of the "
                "data map, so the region of its personal data cannot be verified"
            )
            return FactsView(request, refusals=(why,))
        return self._from_record(request, resource, record, personal)

    def reads(self, request: Mapping[str, Any]) -> bool:
        return "system" in _part(request, "resource") and not self.source.cached()

    def _from_record(
        self,
        request: Mapping[str, Any],
        resource: Mapping[str, Any],
        record: SystemRecord,
        personal: bool,
    ) -> FactsView | None:
        facts: dict[str, str] = {"region": record.region}
        if personal and self.residency is not None:
            facts["residency"] = self.residency
        notes = tuple(
            f'data map overrides the caller: resource.{key} of system "{record.name}" is "{value}"'
            for key, value in facts.items()
            if key in resource and resource[key] != value
        )
        if all(resource.get(key) == value for key, value in facts.items()):
            return None
        return FactsView({**request, "resource": {**resource, **facts}}, notes)


def _personal(classification: Any) -> bool:
    """Personal data unless labelled below level 3 (unlabelled reads as Restricted)."""
    if isinstance(classification, bool) or not isinstance(classification, int | float):
        return True
    return classification >= PERSONAL_DATA_LEVEL

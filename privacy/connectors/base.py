"""The ``Connector`` port: one adapter per data-map ``kind`` (sql, s3, http, manual).

A connector does the I/O of one system for one principal: find them, export their data,
correct it, erase it as the data map says. It reports exactly what it did; a failure raises
``ConnectorError`` and the request keeps that step failed and retryable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from privacy.datamap_model import ErasureAction


@dataclass(frozen=True)
class Principal:
    """Who the request is about: one identifier, and subject ids found so far."""

    kind: str
    value: str
    subject_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class EncryptedValue:
    """A ciphertext read from a store, with where it lives (the vault context)."""

    ciphertext: str
    resource_type: str
    field: str
    owner_id: str
    classification: int


@dataclass
class Export:
    """A system's data for the principal: table -> rows (column -> value)."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    subject_ids: set[str] = field(default_factory=set)
    categories: dict[str, dict[str, str]] = field(
        default_factory=dict
    )  # table -> column -> category


@dataclass(frozen=True)
class ErasedField:
    system: str
    table: str
    column: str
    action: ErasureAction
    rows: int
    reason: str | None = None
    until: str | None = None


@dataclass
class ErasureReport:
    fields: list[ErasedField] = field(default_factory=list)
    subject_ids: set[str] = field(default_factory=set)
    rows_deleted: dict[str, int] = field(default_factory=dict)  # table -> rows


class Pseudonymize(Protocol):
    def __call__(self, value: str, field_name: str) -> str: ...


class Connector(Protocol):
    """One system of the data map."""

    name: str
    kind: str

    def export(self, principal: Principal) -> Export: ...

    def correct(self, principal: Principal, changes: Mapping[str, Mapping[str, Any]]) -> int:
        """Apply ``{table: {column: value}}``; returns rows changed."""
        ...

    def erase(self, principal: Principal, pseudonymize: Pseudonymize) -> ErasureReport: ...

    def close(self) -> None:
        """Release what the connector opened itself (pools, clients); idempotent."""
        ...

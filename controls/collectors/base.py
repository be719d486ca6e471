"""The ``Collector`` port: all I/O into one typed snapshot plus the raw artifact judged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Collected:
    """What one collection produced.

    ``snapshot`` is the typed model the checks judge; ``artifact`` is the raw evidence kept in
    the evidence store (e.g. checkov's JSON, or the API answers as the snapshot records them).
    """

    scope: str
    snapshot: BaseModel
    artifact: bytes
    media_type: str = "application/json"


def collected_from(scope: str, snapshot: BaseModel) -> Collected:
    """A collection whose artifact is the snapshot's own JSON."""
    return Collected(scope=scope, snapshot=snapshot, artifact=snapshot.model_dump_json().encode())


@runtime_checkable
class Collector(Protocol):
    """Gathers one kind of evidence. ``name`` matches the collector of its checks."""

    @property
    def name(self) -> str: ...

    def collect(self) -> Collected: ...

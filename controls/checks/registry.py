"""Check registry: each check declares its metadata once (checkov-style) and is indexed by id
and by the collector whose snapshot it judges."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from controls.errors import UnknownCheckError
from controls.findings import Finding, FindingStatus, Result

CheckFunction = Callable[[Any], Iterable[Result]]
_F = TypeVar("_F", bound=Callable[..., Iterable[Result]])


@dataclass(frozen=True)
class CheckMeta:
    id: str
    collector: str
    title: str
    function: CheckFunction


class CheckRegistry:
    def __init__(self) -> None:
        self._checks: dict[str, CheckMeta] = {}

    def register(self, check_id: str, collector: str, title: str) -> Callable[[_F], _F]:
        def decorate(function: _F) -> _F:
            self.add(CheckMeta(id=check_id, collector=collector, title=title, function=function))
            return function

        return decorate

    def add(self, meta: CheckMeta) -> None:
        if not meta.id.startswith(f"{meta.collector}."):
            raise ValueError(f"check id {meta.id} must start with its collector {meta.collector}")
        if meta.id in self._checks:
            raise ValueError(f"check {meta.id} registered twice")
        self._checks[meta.id] = meta

    def get(self, check_id: str) -> CheckMeta:
        try:
            return self._checks[check_id]
        except KeyError:
            raise UnknownCheckError(f"unknown check {check_id!r}") from None

    def ids(self) -> list[str]:
        return sorted(self._checks)

    def for_collector(self, collector: str) -> list[CheckMeta]:
        return [meta for meta in self._checks.values() if meta.collector == collector]

    def collectors(self) -> list[str]:
        return sorted({meta.collector for meta in self._checks.values()})

    def run(self, collector: str, snapshot: BaseModel) -> list[Finding]:
        """Every check of ``collector`` over ``snapshot``; a crashing check gives ``error``."""
        findings: list[Finding] = []
        for meta in self.for_collector(collector):
            findings += list(_run_one(meta, snapshot))
        return findings

    def errors_for(self, collector: str, reason: str) -> list[Finding]:
        """``error`` findings for every check of a collector that crashed or timed out."""
        return [
            Finding(
                check_id=meta.id,
                collector=collector,
                status=FindingStatus.ERROR,
                resource=collector,
                reason=reason,
            )
            for meta in self.for_collector(collector)
        ]


def _run_one(meta: CheckMeta, snapshot: BaseModel) -> Iterator[Finding]:
    try:
        results = list(meta.function(snapshot))
    except Exception as exc:
        results = [
            Result(
                status=FindingStatus.ERROR,
                resource=meta.collector,
                reason=f"check crashed: {type(exc).__name__}",
            )
        ]
    if not results:
        results = [
            Result(
                status=FindingStatus.NOT_APPLICABLE,
                resource=meta.collector,
                reason="no resource in scope",
            )
        ]
    for result in results:
        yield Finding(check_id=meta.id, collector=meta.collector, **result.model_dump())


REGISTRY = CheckRegistry()

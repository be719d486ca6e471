"""One check per attestation kind: the newest attestation must exist and not be expired."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from controls.checks.registry import REGISTRY
from controls.findings import Result, failed, verdict
from controls.snapshots.manual import ATTESTATION_KINDS, ManualSnapshot


def _make_check(kind: str) -> Callable[[ManualSnapshot], Iterator[Result]]:
    def judge(snap: ManualSnapshot) -> Iterator[Result]:
        mine = [a for a in snap.attestations if a.kind == kind]
        if not mine:
            yield failed(f"attestation:{kind}", "no attestation on file")
            return
        newest = max(mine, key=lambda a: a.attested_at)
        yield verdict(
            newest.expires_at > snap.observed_at,
            f"attestation:{kind}/{newest.id}",
            f"attested by {newest.attested_by}, valid until {newest.expires_at:%Y-%m-%d}",
            f"expired {newest.expires_at:%Y-%m-%d}",
        )

    return judge


for _kind, _title in ATTESTATION_KINDS.items():
    REGISTRY.register(f"manual.{_kind}", "manual", _title)(_make_check(_kind))

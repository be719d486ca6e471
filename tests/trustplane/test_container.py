"""The composition root fails closed by construction: every room is built with its real
collaborators, nothing in the container allows everything or does nothing, nothing changes
after construction."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit import AuditLog, InMemoryAuditLog
from policies import NullMetrics
from privacy import DsrBindings
from trustplane.container import Container, build_container
from trustplane.settings import PolicySettings, Settings
from trustplane.wiring.controls_platform import CountingDecisionMetrics
from trustplane.wiring.vault import PolicyDecryptAuthorizer
from vault import (
    AllowAllAuthorizer,
    DsrBoundAuthorizer,
    FieldCipher,
    InMemoryDataKeyStore,
    LocalKeyProvider,
)
from web.gate import RoleGate
from web.policy_gate import PolicyRouteGate

OURS = ("audit", "identity", "policies", "vault", "controls", "web", "trustplane")
PERMISSIVE = (AllowAllAuthorizer, NullMetrics, InMemoryAuditLog)


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    built = build_container(Settings(data_dir=tmp_path_factory.mktemp("data")))
    yield built
    built.close()


def _reachable(root: object, depth: int = 4) -> Iterator[object]:
    """Every object of our packages reachable from ``root`` through attributes."""
    seen: set[int] = set()
    pending: list[tuple[object, int]] = [(root, 0)]
    while pending:
        item, level = pending.pop()
        if id(item) in seen or level > depth:
            continue
        seen.add(id(item))
        yield item
        children: list[Any] = []
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            children = list(item)
        elif type(item).__module__.split(".")[0] in OURS:
            children = list(getattr(item, "__dict__", {}).values())
            children += [getattr(item, slot) for slot in getattr(item, "__slots__", ())]
        pending.extend((child, level + 1) for child in children)


def test_nothing_in_the_container_allows_all_or_does_nothing(container: Container) -> None:
    permissive = [
        type(item).__name__ for item in _reachable(container) if isinstance(item, PERMISSIVE)
    ]
    assert permissive == []


def test_walk_sees_the_rooms_collaborators(container: Container) -> None:
    """The walk above is not vacuous: it reaches the cipher's authorizer and the metrics."""
    types = {type(item) for item in _reachable(container)}
    assert {FieldCipher, PolicyDecryptAuthorizer, CountingDecisionMetrics} <= types


def test_each_port_holds_the_real_adapter(container: Container) -> None:
    authorizer = container.vault.cipher.authorizer
    assert isinstance(authorizer, DsrBoundAuthorizer)  # dsr decrypts cite a live request
    assert isinstance(authorizer.inner, PolicyDecryptAuthorizer)  # the rest: the engine
    assert isinstance(authorizer.registry, DsrBindings)
    assert isinstance(container.gate, PolicyRouteGate)  # the default: the engine gates routes
    assert isinstance(container.audit, AuditLog)
    assert isinstance(container.policies.decisions.metrics, CountingDecisionMetrics)
    assert container.policies.logger.metrics is not None
    assert container.authenticator is container.identity


def test_the_container_cannot_be_changed(container: Container) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        container.gate = RoleGate()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        container.vault.cipher.authorizer = AllowAllAuthorizer()  # type: ignore[misc]


def test_roles_gate_only_when_configured(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, policy=PolicySettings(route_gate="roles"))
    built = build_container(settings)
    try:
        assert isinstance(built.gate, RoleGate)
    finally:
        built.close()


def test_a_cipher_needs_an_authorizer(tmp_path: Path) -> None:
    provider = LocalKeyProvider(tmp_path / "ring.json")
    with pytest.raises(TypeError, match="authorizer"):
        FieldCipher(provider, InMemoryDataKeyStore(), InMemoryAuditLog())  # type: ignore[call-arg]

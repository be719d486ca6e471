"""What the DPO's command groups share (``dsr``, ``datamap``, ``consents``, ``breaches``,
``grievances``, ``nominations``): the acting DPO, and one privacy service opened over a
migrated container with privacy errors as a clear failure (exit 1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer

from audit import Actor
from privacy import PrivacyError
from trustplane.cli.common import fail, load_settings
from trustplane.container import Container, build_container
from trustplane.migrations.runner import upgrade

Service = TypeVar("Service")

ActorOpt = Annotated[str, typer.Option("--actor", help="Who acts (recorded in the audit log)")]


def dpo(actor: str) -> Actor:
    return Actor(id=actor, kind="user", roles=("dpo",))


@contextmanager
def opened(pick: Callable[[Container], Service]) -> Iterator[Service]:
    """``pick(container)`` over a migrated container, closed afterwards."""
    container = build_container(load_settings())
    try:
        upgrade(container.engine)
        try:
            yield pick(container)
        except PrivacyError as exc:
            raise fail(str(exc)) from exc
    finally:
        container.close()

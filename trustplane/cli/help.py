"""``--help`` shows no type beside a plain flag (typer's rich help prints ``<bool>`` there,
which reads as if the flag took a value; issue 15, item 16)."""

from __future__ import annotations

from typing import Any

from typer.core import TyperOption

_original = TyperOption.display_type_rich


def _display_type_rich(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag and self.metavar is None:
        return None
    result: str | None = _original(self, ctx)
    return result


def hide_flag_types() -> None:
    """Patch typer's help once (idempotent): flags get no type column."""
    TyperOption.display_type_rich = _display_type_rich  # type: ignore[method-assign]

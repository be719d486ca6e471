"""docs/architecture.md is checked against the code: every module, object and file it names
in backticks exists (a move or rename that leaves the page behind fails here)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
ROOMS = ("audit", "identity", "policies", "vault", "privacy", "controls", "reports", "web")
PACKAGES = (*ROOMS, "trustplane")
DOTTED = re.compile(rf"^(?:{'|'.join(PACKAGES)})(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
PATH = re.compile(r"^[a-z_./]+\.py$")


def _backticked() -> list[str]:
    return re.findall(r"`([^`\n]+)`", DOC.read_text(encoding="utf-8"))


def _dotted_names() -> list[str]:
    return sorted({token for token in _backticked() if DOTTED.match(token)})


def _paths() -> list[str]:
    return sorted({token for token in _backticked() if PATH.match(token) and "/" in token})


def resolve(name: str) -> object:
    """Import the longest module prefix of ``name``, then follow the rest as attributes."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(name)


def test_the_page_names_the_rooms_and_the_roots_modules() -> None:
    names = _dotted_names()
    assert set(ROOMS) - {"privacy", "reports"} <= {name.split(".")[0] for name in names}
    for module in ("trustplane.container", "trustplane.wiring.vault", "web.deps", "web.problems"):
        assert module in names
    assert len(names) > 40


@pytest.mark.parametrize("name", _dotted_names())
def test_every_named_module_or_object_exists(name: str) -> None:
    resolve(name)


@pytest.mark.parametrize("path", _paths())
def test_every_named_file_exists(path: str) -> None:
    assert (ROOT / path).is_file(), path


def test_a_stale_name_is_caught() -> None:
    with pytest.raises((ModuleNotFoundError, AttributeError)):
        resolve("trustplane.wiring_vault")
    with pytest.raises(AttributeError):
        resolve("web.deps.ContainerDep")

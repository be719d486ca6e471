"""Load and cross-check the catalog YAML (frameworks + unified controls)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from controls.catalog import CATALOG_DIR
from controls.errors import CatalogError
from controls.model import Catalog, Control, Framework

_M = TypeVar("_M", Framework, Control)


def load_catalog(
    directory: Path = CATALOG_DIR, *, known_checks: Iterable[str] | None = None
) -> Catalog:
    """Parse every framework file and ``controls.yaml``; raise ``CatalogError`` on any flaw.

    ``known_checks`` (default: the check registry) is what each control's checks must name.
    """
    frameworks = {fw.id: fw for fw in _load_frameworks(directory / "frameworks")}
    controls = _load_controls(directory / "controls.yaml")
    if known_checks is None:
        from controls.checks import REGISTRY

        known_checks = REGISTRY.ids()
    problems = cross_reference_problems(frameworks, controls, set(known_checks))
    if problems:
        raise CatalogError("catalog does not cross-reference: " + "; ".join(problems))
    return Catalog(frameworks=frameworks, controls={c.id: c for c in controls})


def cross_reference_problems(
    frameworks: dict[str, Framework], controls: list[Control], known_checks: set[str]
) -> list[str]:
    problems: list[str] = []
    ids = [c.id for c in controls]
    problems += [f"duplicate control {cid}" for cid in sorted({i for i in ids if ids.count(i) > 1})]
    for control in controls:
        problems += [
            f"{control.id}: unknown check {check}"
            for check in control.checks
            if check not in known_checks
        ]
        for framework_id, requirement_ids in control.mappings.items():
            framework = frameworks.get(framework_id)
            if framework is None:
                problems.append(f"{control.id}: unknown framework {framework_id}")
                continue
            problems += [
                f"{control.id}: {framework_id} has no requirement {rid}"
                for rid in requirement_ids
                if framework.requirement(rid) is None
            ]
    return problems


def _load_frameworks(directory: Path) -> list[Framework]:
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise CatalogError(f"no framework files in {directory}")
    return [_validated(Framework, _read(path), path) for path in files]


def _load_controls(path: Path) -> list[Control]:
    document = _read(path)
    entries = document.get("controls")
    if not isinstance(entries, list):
        raise CatalogError(f"{path.name}: expected a 'controls' list")
    return [_validated(Control, entry, path) for entry in entries]


def _read(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path.name}: cannot read: {exc}") from exc
    if not isinstance(document, dict):
        raise CatalogError(f"{path.name}: expected a mapping at the top")
    return document


def _validated(model: type[_M], data: Any, path: Path) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(f"{path.name}: {exc}") from exc

"""Loading a data map from YAML: every problem names its line and key.

The YAML is composed once into nodes (which carry line numbers) and once into plain data;
a validation error's location is walked through the nodes to the line that holds it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from privacy.datamap_model import DataMap, ErasureAction
from privacy.errors import DataMapError

MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class LoadedDataMap:
    datamap: DataMap
    sha256: str
    text: str


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """1-based line of the deepest node ``loc`` reaches."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if getattr(key_node, "value", None) == part:
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _path(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def _problem(node: yaml.Node | None, loc: Sequence[int | str], message: str) -> str:
    line = _line_of(node, loc)
    where = f"line {line}, " if line is not None else ""
    return f"{where}{_path(loc)}: {message}"


def parse_datamap(text: str) -> LoadedDataMap:
    """Validate a data map; raises ``DataMapError`` listing every problem with line and key."""
    if len(text.encode()) > MAX_BYTES:
        raise DataMapError([f"data map larger than {MAX_BYTES} bytes"])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise DataMapError([f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if not isinstance(data, dict):
        raise DataMapError(["line 1: the data map is a mapping with a `systems` list"])
    try:
        datamap = DataMap.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [p for p in err["loc"] if isinstance(p, int | str)]
            # pydantic appends the tag of a union / the validator's name to the location
            loc = [p for p in loc if p not in ("str", "function-after[_one_of()]")]
            problems.append(_problem(node, loc, err["msg"].removeprefix("Value error, ")))
        raise DataMapError(problems) from None
    problems = [_problem(node, loc, message) for loc, message in semantic_problems(datamap)]
    if problems:
        raise DataMapError(problems)
    return LoadedDataMap(datamap, hashlib.sha256(text.encode()).hexdigest(), text)


def semantic_problems(datamap: DataMap) -> list[tuple[list[int | str], str]]:
    """Cross-references the models cannot check alone: names unique, ``via`` resolvable."""
    problems: list[tuple[list[int | str], str]] = []
    seen_systems: set[str] = set()
    for s_index, system in enumerate(datamap.systems):
        if system.name in seen_systems:
            problems.append((["systems", s_index, "name"], f"duplicate system {system.name!r}"))
        seen_systems.add(system.name)
        names = [t.name for t in system.tables]
        for t_index, table in enumerate(system.tables):
            at: list[int | str] = ["systems", s_index, "tables", t_index]
            if names.count(table.name) > 1:
                problems.append(([*at, "name"], f"duplicate table {table.name!r}"))
            for f_index, spec in enumerate(table.fields):
                rule = table.rule_for(spec.column)
                if rule.action is ErasureAction.SHRED and not spec.encrypted:
                    problems.append(
                        (
                            [*at, "fields", f_index],
                            f"shred applies to encrypted fields only ({spec.column} is not)",
                        )
                    )
            columns = [f.column for f in table.fields]
            for f_index, column in enumerate(columns):
                if columns.count(column) > 1:
                    problems.append(
                        ([*at, "fields", f_index, "column"], f"duplicate column {column!r}")
                    )
            if table.key.via is not None:
                target_table, _, _column = table.key.via.partition(".")
                target = system.table(target_table)
                if target is None:
                    problems.append(
                        ([*at, "key", "via"], f"unknown table {target_table!r} in {system.name}")
                    )
                elif target.key.via is not None:
                    problems.append(
                        ([*at, "key", "via"], "via must name a table keyed by an identifier")
                    )
        if system.kind == "sql" and not any(t.key.identifier for t in system.tables):
            problems.append((["systems", s_index, "tables"], "no table keyed by an identifier"))
    return problems

"""docs/adr/README.md lists every ADR with the status its file declares."""

from __future__ import annotations

import re
from pathlib import Path

ADR_DIR = Path(__file__).resolve().parents[2] / "docs" / "adr"
ROW = re.compile(r"^\| \[(\d{4})\]\(([^)]+)\) \| .+ \| ([a-z ]+[0-9]*) \|$")
STATUSES = ("proposed", "accepted", "superseded", "deprecated")


def _declared_status(path: Path) -> str:
    line = next(
        text for text in path.read_text(encoding="utf-8").splitlines() if text.startswith("Status")
    )
    return line.split(":", 1)[1].split()[0].rstrip(".,;").lower()


def _index() -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {}
    for line in (ADR_DIR / "README.md").read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows[match.group(2)] = (match.group(1), match.group(3))
    return rows


def test_every_adr_is_indexed_with_its_status() -> None:
    files = sorted(path for path in ADR_DIR.glob("[0-9][0-9][0-9][0-9]-*.md"))
    index = _index()
    assert sorted(index) == [path.name for path in files]
    for path in files:
        number, status = index[path.name]
        assert number == path.name[:4]
        assert status.split()[0] in STATUSES, path.name
        assert status.split()[0] == _declared_status(path), path.name


def test_adr_numbers_are_unique() -> None:
    numbers = [path.name[:4] for path in ADR_DIR.glob("[0-9][0-9][0-9][0-9]-*.md")]
    assert len(numbers) == len(set(numbers))

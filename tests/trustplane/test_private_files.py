"""Private files and first-run initialisation (issue 15, item 11): databases, WAL files,
archives and evidence are the owner's alone; a loose data dir is tightened (or refused in
production); CLI processes started together on a fresh data dir do not race on migrations."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from trustplane.errors import ConfigurationError
from trustplane.private_files import tighten_data_dir

REPO = Path(__file__).resolve().parents[2]
TRUSTPLANE = Path(sys.executable).parent / "trustplane"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPLANE_")}
    return {**env, "TRUSTPLANE_DATA_DIR": str(data_dir)}


def test_cli_creates_databases_wal_and_evidence_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    old = os.umask(0o022)  # a usual login umask: what the CLI must not rely on
    try:
        done = subprocess.run(
            [str(TRUSTPLANE), "demo", "--check"],
            env=_env(data_dir),
            capture_output=True,
            timeout=300,
            check=False,
        )
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    created = [p for p in data_dir.rglob("*") if not p.name.endswith(".lock")]
    databases = [p for p in created if ".db" in p.name]
    assert any(p.name == "trustplane.db" for p in databases)
    loose = [p for p in created if mode(p) & 0o077]
    assert not loose, [(str(p), oct(mode(p))) for p in loose]


def test_a_loose_data_dir_is_tightened_with_a_warning(tmp_path: Path) -> None:
    data_dir = tmp_path / "loose"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    database = data_dir / "trustplane.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    notes = data_dir / "README.txt"
    notes.write_text("not state")
    notes.chmod(0o644)
    tightened = tighten_data_dir(data_dir, refuse=False)
    assert set(tightened) == {data_dir, database}
    assert mode(data_dir) == 0o700
    assert mode(database) == 0o600
    assert mode(notes) == 0o644  # not one of the state files
    assert tighten_data_dir(data_dir, refuse=False) == []


def test_a_loose_data_dir_is_refused_in_production(tmp_path: Path) -> None:
    data_dir = tmp_path / "loose"
    data_dir.mkdir()
    data_dir.chmod(0o750)
    with pytest.raises(ConfigurationError, match="readable by group or others"):
        tighten_data_dir(data_dir, refuse=True)
    assert mode(data_dir) == 0o750  # refused, not changed


def test_three_cli_processes_on_a_fresh_data_dir_do_not_race(tmp_path: Path) -> None:
    data_dir = tmp_path / "race"
    processes = [
        subprocess.Popen(
            [str(TRUSTPLANE), "db", "upgrade"],
            env=_env(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outcomes = [
        (p.wait(timeout=300), p.stderr.read().decode() if p.stderr else "") for p in processes
    ]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes

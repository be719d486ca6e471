"""From a fresh clone in a temp dir: install as the README says, --help, demo --check."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_fresh_clone_installs_and_demo_check_passes(tmp_path: Path) -> None:
    if not (REPO / ".git").exists():
        pytest.fail("the test suite must run from a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPLANE_")}
    env["TRUSTPLANE_DATA_DIR"] = str(tmp_path / "data")
    make = shutil.which("make")
    assert make is not None, "make is required (README quick start)"
    install = subprocess.run(
        [make, "venv"], cwd=clone, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    trustplane = clone / ".venv" / "bin" / "trustplane"
    helped = subprocess.run(
        [str(trustplane), "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert helped.returncode == 0
    assert "demo" in helped.stdout
    checked = subprocess.run(
        [str(trustplane), "demo", "--check"],
        cwd=tmp_path,
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert checked.stdout.strip().splitlines()[-1] == "OK"
    key_files = list((tmp_path / "data").rglob("*.key")) + list((tmp_path / "data").rglob("*.pem"))
    for key_file in key_files:
        assert key_file.stat().st_mode & 0o777 == 0o600

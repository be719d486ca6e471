"""Fixtures of the controls tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def checkov_bin() -> Path:
    """The real checkov (``make tools`` installs it in .tools/checkov); never a fake."""
    configured = os.environ.get("TRUSTPLANE_CONTROLS__CHECKOV_BIN")
    candidates = [Path(configured)] if configured else []
    candidates.append(REPO / ".tools" / "checkov" / "bin" / "checkov")
    found = shutil.which("checkov")
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise RuntimeError("checkov not installed: run `make tools`")

"""The README's "DPO's day" block, run verbatim in a shell against a freshly seeded demo."""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def readme_block() -> str:
    text = (REPO / "README.md").read_text()
    found = re.search(r"<!-- dpo-day -->\n```bash\n(.*?)```\n<!-- /dpo-day -->", text, re.S)
    assert found is not None, "README lost its DPO's day block"
    return found.group(1)


def test_the_dpo_day_commands_work_when_pasted(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    (tmp_path / "privacy").symlink_to(REPO / "privacy")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPLANE_")} | {
        "TRUSTPLANE_PRIVACY__DEMO_CUSTOMERS": "120",
        "TRUSTPLANE_POLICY__TIMEOUT_MS": "2000",
    }
    seeded = subprocess.run(
        [".venv/bin/trustplane", "demo", "--check"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    day = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme_block()],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert day.returncode == 0, day.stdout[-3000:] + day.stderr[-3000:]
    package = zipfile.ZipFile(tmp_path / "access-package.zip")
    data = json.loads(package.read("data.json"))
    assert data["systems"]["core_banking"]["customers"][0]["email"] == "customer99@example.in"
    certificate = (tmp_path / "erasure-certificate.html").read_text()
    assert "RBI KYC" in certificate
    assert "ticket 4411" in certificate
    assert "shred" in certificate

"""The README's auditor session, run verbatim in a shell against a served, freshly seeded demo:
the operator creates the GRC account, scopes it and hands over the key; the auditor builds,
downloads and verifies a bundle of the last week."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import zipfile
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- auditor-session -->\n```bash\n(.*?)```\n<!-- /auditor-session -->", re.S)


def readme_block() -> str:
    found = BLOCK.search((REPO / "README.md").read_text())
    assert found is not None, "README lost its auditor session block"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the server exited {server.returncode}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("/readyz never answered 200")


def test_the_auditor_session_works_when_pasted(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPLANE_")} | {
        "TRUSTPLANE_PRIVACY__DEMO_CUSTOMERS": "60",
    }
    trustplane = str(tmp_path / ".venv" / "bin" / "trustplane")
    seeded = subprocess.run(
        [trustplane, "demo", "--check"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    port = free_port()
    server = subprocess.Popen(
        [trustplane, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_ready(port, server)
        block = readme_block().replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")
        session = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert session.returncode == 0, session.stdout[-3000:] + session.stderr[-3000:]
    assert "done 100" in session.stdout
    with zipfile.ZipFile(tmp_path / "pci-bundle.zip") as bundle:
        names = set(bundle.namelist())
    assert {"manifest.json", "audit/checkpoint.txt", "audit/proofs.json"} <= names
    assert any(name.startswith("evidence/") for name in names)  # the demo's week of evidence

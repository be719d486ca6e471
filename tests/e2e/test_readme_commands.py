"""Every command in the README works when pasted into a fresh demo (issue 15, item 15).

The commands are extracted from the README's ``bash`` blocks and run in order through
``bash`` in a scratch directory that looks like a checkout (``.venv``, ``policies`` and
``tests`` link to this one), on a fresh data dir seeded by ``trustplane demo --check``.
Only what cannot run unattended is adapted, each for a reason below; a README line this
test does not know how to run fails it, so a new command gets checked the day it is added.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
# Not run here, each for a reason:
SKIPPED = {
    "make demo": "serves until stopped; its setup is `make venv tools` + `trustplane demo`",
    "make test": "the whole suite (this test is part of it)",
}
# Blocks that are one session (shell variables carried from line to line, a server to talk
# to) are marked ``<!-- name -->`` ... ``<!-- /name -->`` and run whole by their own test:
WHOLE_BLOCKS = {
    "dpo-day": "tests/privacy/test_readme_day.py",
    "auditor-session": "tests/reports/test_readme_auditor.py",
}
MARKED = re.compile(r"<!-- ([a-z-]+) -->\n```bash\n.*?```\n<!-- /\1 -->\n", re.S)
# Values the README leaves to the reader: (placeholder, where the test takes it from)
PLACEHOLDERS = {"REVISION": "the revision `policy push` printed"}


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    for name in MARKED.findall(text):
        assert name in WHOLE_BLOCKS, f"README block {name!r} is run by no test"
        assert (REPO / WHOLE_BLOCKS[name]).exists(), WHOLE_BLOCKS[name]
    text = MARKED.sub("", text)
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def checkov_bin() -> Path:
    """The real checkov, as tests/controls finds it (``make tools`` installs it)."""
    configured = os.environ.get("TRUSTPLANE_CONTROLS__CHECKOV_BIN")
    candidates = [Path(configured)] if configured else []
    candidates.append(REPO / ".tools" / "checkov" / "bin" / "checkov")
    found = next((c for c in candidates if c.exists()), None)
    if found is None:
        raise RuntimeError("checkov not installed: run `make tools`")
    return found


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    scratch = tmp_path / "checkout"
    scratch.mkdir()
    for name in (".venv", "policies", "tests"):
        (scratch / name).symlink_to(REPO / name)
    return scratch


def test_every_readme_command_works_as_pasted(
    checkout: Path, tmp_path: Path, checkov_bin: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPLANE_")}
    env |= {
        "TRUSTPLANE_DATA_DIR": str(tmp_path / "data"),
        "TRUSTPLANE_CONTROLS__CHECKOV_BIN": str(checkov_bin),  # `make demo` installs it
    }

    def run(command: str) -> str:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
        return done.stdout

    run(".venv/bin/trustplane demo --check")  # the fresh demo the commands are pasted into
    revision = ""
    ran = 0
    for command in readme_commands():
        if command in SKIPPED:
            continue
        if " serve " in f"{command} ":
            serve_briefly(command, env, checkout)
        else:
            pasted = command
            if any(placeholder in command for placeholder in PLACEHOLDERS):
                assert revision, "the README pushes a revision before rolling back"
                pasted = command.replace("REVISION", revision)
            assert not re.search(r"\b[A-Z]{3,}\b", pasted.replace("TRUSTPLANE", "")), (
                f"unknown placeholder in a README command: {command}"
            )
            output = run(pasted)
            found = re.search(r"activated revision ([0-9a-f]{64})", output)
            revision = found.group(1) if found else revision
        ran += 1
    assert ran >= 15


def serve_briefly(command: str, env: dict[str, str], cwd: Path) -> None:
    """``serve`` runs until stopped: start it as pasted (on a free port: 8000 may be taken
    on a shared machine), wait for /readyz, stop it."""
    port = free_port()
    pasted = re.sub(r"--port \d+", f"--port {port}", command)
    server = subprocess.Popen(["bash", "-c", f"exec {pasted}"], cwd=cwd, env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert server.poll() is None, f"{command} exited {server.returncode}"
            time.sleep(0.2)
        raise AssertionError(f"{command}: /readyz never answered 200")
    finally:
        server.terminate()
        server.wait(timeout=30)

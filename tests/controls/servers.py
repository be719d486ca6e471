"""Extra real servers the controls tests need beyond tests/services.py."""

from __future__ import annotations

import os
import subprocess
import tempfile
import urllib.request
from pathlib import Path

from tests.services import Server, bao_binary, free_port, wait_for


def start_openbao_with_audit(root_token: str = "tp-ctl-root") -> Server:
    """An OpenBao dev server whose config declares a file audit device (API creation is off)."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="tp-bao-audit-"))
    config = workdir / "audit.hcl"
    config.write_text(
        'audit "file" "ctl-audit" {\n  options {\n'
        f'    file_path = "{workdir / "audit.log"}"\n  }}\n}}\n'
    )
    env = {**os.environ, "HOME": str(workdir)}
    log = (workdir / "bao.log").open("wb")
    process = subprocess.Popen(
        [
            bao_binary(),
            "server",
            "-dev",
            f"-dev-listen-address=127.0.0.1:{port}",
            f"-dev-root-token-id={root_token}",
            "-dev-no-store-token",
            f"-config={config}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        with urllib.request.urlopen(f"{url}/v1/sys/health", timeout=1) as resp:
            return int(resp.status) == 200

    try:
        wait_for(ready, 60, "OpenBao with audit")
    except RuntimeError:
        process.kill()
        raise
    return Server(url=url, process=process, workdir=workdir, env={"token": root_token})

"""Starting ``trustplane serve`` and running its CLI for the HTTP benchmarks."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from trustplane.server import free_port

PYTHON = sys.executable


def trustplane(env: dict[str, str], *args: str) -> str:
    """Run ``python -m trustplane ARGS`` with ``env``; its stdout."""
    done = subprocess.run(
        [PYTHON, "-m", "trustplane", *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def start_server(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """``trustplane serve`` on a free loopback port, once /readyz answers 200."""
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "trustplane", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not become ready")

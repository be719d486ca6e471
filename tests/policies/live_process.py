"""A real ``trustplane serve`` process on loopback (for crash and log-content tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from trustplane.server import free_port

ROOT = Path(__file__).resolve().parents[2]


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TRUSTPLANE_DATA_DIR": str(data_dir)}
    for name, value in (("TIME_COST", 1), ("MEMORY_KIB", 8), ("PARALLELISM", 1)):
        env[f"TRUSTPLANE_IDENTITY__ARGON2_{name}"] = str(value)
        env[f"TRUSTPLANE_IDENTITY__CLIENT_SECRET_ARGON2_{name}"] = str(value)
    env["TRUSTPLANE_POLICY__TIMEOUT_MS"] = "2000"
    env["TRUSTPLANE_PRIVACY__CONSENT_PURPOSES"] = "{}"  # the corpus's consents stand (harness)
    env.update(extra)
    return env


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "trustplane", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


@dataclass
class LiveProcess:
    proc: subprocess.Popen[bytes]
    url: str
    env: dict[str, str]

    def token(self, roles: str, name: str) -> str:
        account = json.loads(
            cli(self.env, "service-accounts", "create", "--name", name, "--roles", roles, "--json")
        )
        response = httpx.post(
            f"{self.url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": account["client_id"],
                "client_secret": account["client_secret"],
            },
        )
        return str(response.json()["access_token"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(
    data_dir: Path, *, log: IO[Any] | int = subprocess.DEVNULL, workers: int = 1, **extra: str
) -> LiveProcess:
    env = server_env(data_dir, **extra)
    cli(env, "db", "upgrade")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trustplane",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return LiveProcess(proc, url, env)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    raise RuntimeError("server did not become ready")

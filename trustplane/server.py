"""Running the ASGI server (uvicorn), in the foreground or in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from trustplane.settings import Settings

APP_FACTORY = "trustplane.app:app_from_env"


def proxy_options(trusted_proxies: Sequence[str]) -> dict[str, Any]:
    """uvicorn believes X-Forwarded-* only from the configured proxies (none by default)."""
    if not trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(trusted_proxies)}


def connection_options(keep_alive_seconds: float, backlog: int) -> dict[str, Any]:
    """uvicorn's idle keep-alive (its 5 s default resets clients that pool for longer)."""
    return {"timeout_keep_alive": keep_alive_seconds, "backlog": backlog}


def run_server(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve in the foreground; each worker builds its own container from the environment."""
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        **proxy_options(settings.web.trusted_proxies),
        **connection_options(settings.web.keep_alive_seconds, settings.web.backlog),
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class BackgroundServer:
    """A uvicorn server on a thread; used by ``demo --check``, tests and benchmarks."""

    def __init__(
        self,
        app: FastAPI,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        trusted_proxies: Sequence[str] = (),
        keep_alive_seconds: float = 75.0,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(
            app,
            host=host,
            port=self.port,
            log_config=None,
            access_log=False,
            lifespan="on",
            **proxy_options(trusted_proxies),
            **connection_options(keep_alive_seconds, 4096),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """True once GET /readyz answers 200 within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                return False
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2.0).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)

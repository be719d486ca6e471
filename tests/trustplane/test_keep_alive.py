"""Idle keep-alive connections outlive uvicorn's 5 s default (issue 15, item 12): a client
that pools connections for longer than 5 s would otherwise reuse one the server closed."""

from __future__ import annotations

import http.client
import time
from pathlib import Path

from fastapi import FastAPI

from trustplane.server import BackgroundServer, connection_options
from trustplane.settings import Settings


def test_the_keep_alive_default_exceeds_common_client_idle_times(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    options = connection_options(settings.web.keep_alive_seconds, settings.web.backlog)
    assert options["timeout_keep_alive"] >= 65  # above AWS ALB's 60 s idle timeout
    assert options["backlog"] >= 2048


def test_an_idle_connection_is_still_open_after_six_seconds() -> None:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    server = BackgroundServer(app).start()
    try:
        for _ in range(100):
            try:
                connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
                connection.request("GET", "/ping")
                break
            except OSError:
                time.sleep(0.05)
        assert connection.getresponse().read() == b'{"pong":"yes"}'
        time.sleep(6)  # uvicorn's own default would close the connection after 5 s
        connection.request("GET", "/ping")  # the same socket
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        server.stop()

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


def test_two_thousand_idle_keep_alive_connections_see_no_reset() -> None:
    """Each of 2,000 connections answers, idles past uvicorn's 5 s default, answers again."""
    import socket

    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    request = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
    server = BackgroundServer(app).start()
    sockets: list[socket.socket] = []
    try:
        _wait_until_listening(server)

        def exchange(sock: socket.socket) -> bytes:
            sock.sendall(request)
            answer = b""
            while b'{"pong":"yes"}' not in answer:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
            return answer

        for _ in range(2000):
            sock = socket.create_connection((server.host, server.port), timeout=30)
            sockets.append(sock)
            assert exchange(sock).startswith(b"HTTP/1.1 200")
        time.sleep(6)
        failures = 0
        for sock in sockets:
            try:
                failures += not exchange(sock).startswith(b"HTTP/1.1 200")
            except OSError:
                failures += 1
        assert failures == 0
    finally:
        for sock in sockets:
            sock.close()
        server.stop()


def _wait_until_listening(server: BackgroundServer) -> None:
    import socket

    for _ in range(200):
        try:
            socket.create_connection((server.host, server.port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server never listened")

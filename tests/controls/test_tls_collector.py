"""tls collector against local TLS servers with certificates the test makes."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from controls.checks import REGISTRY
from controls.collectors.tls import TlsCollector
from tests.controls.tlsutil import make_certificate

pytestmark = pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")


class TlsServer:
    """Accepts connections on loopback and completes TLS handshakes until stopped."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.endpoint = f"127.0.0.1:{self._socket.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            conn.settimeout(2)
            try:
                with self._context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()


def _context(tmp_path: Path, name: str, days: int) -> ssl.SSLContext:
    cert, key = make_certificate("127.0.0.1", days=days, common_name=f"tp-{name}")
    (tmp_path / f"{name}.crt").write_bytes(cert)
    (tmp_path / f"{name}.key").write_bytes(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / f"{name}.crt", tmp_path / f"{name}.key")
    return context


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[TlsServer, TlsServer, Path]]:
    good = _context(tmp_path, "good", days=365)
    good.minimum_version = ssl.TLSVersion.TLSv1_2
    good.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
    bad = _context(tmp_path, "bad", days=10)
    bad.minimum_version = ssl.TLSVersion.TLSv1
    bad.maximum_version = ssl.TLSVersion.TLSv1_2
    bad.set_ciphers("ALL:@SECLEVEL=0")
    cafile = tmp_path / "ca.pem"
    cafile.write_bytes((tmp_path / "good.crt").read_bytes() + (tmp_path / "bad.crt").read_bytes())
    good_server, bad_server = TlsServer(good), TlsServer(bad)
    yield good_server, bad_server, cafile
    good_server.stop()
    bad_server.stop()


def test_good_and_bad_endpoints(servers: tuple[TlsServer, TlsServer, Path]) -> None:
    good, bad, cafile = servers
    closed = socket.create_server(("127.0.0.1", 0))
    closed_endpoint = f"127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    collector = TlsCollector([good.endpoint, bad.endpoint, closed_endpoint], cafile=str(cafile))
    findings = REGISTRY.run("tls", collector.collect().snapshot)
    table = {(f.check_id, f.resource): (f.status.value, f.reason) for f in findings}
    g, b, c = (f"tls:{e}" for e in (good.endpoint, bad.endpoint, closed_endpoint))
    assert table[("tls.protocol_version", g)] == ("pass", "negotiated TLSv1.3")
    status, reason = table[("tls.protocol_version", b)]
    assert status == "fail"
    assert reason.startswith("accepts TLSv1")
    assert table[("tls.certificate_valid", g)][0] == "pass"
    status, reason = table[("tls.certificate_valid", b)]
    assert status == "fail"
    assert reason.startswith("certificate expires")
    assert table[("tls.weak_ciphers", g)][0] == "pass"
    status, reason = table[("tls.weak_ciphers", b)]
    assert status == "fail"
    assert reason.startswith("accepts ")
    for check in ("tls.protocol_version", "tls.certificate_valid", "tls.weak_ciphers"):
        assert table[(check, c)] == ("error", "unreachable: ConnectionRefusedError")
    assert len(findings) == 9


def test_an_untrusted_certificate_fails(servers: tuple[TlsServer, TlsServer, Path]) -> None:
    good, _, _ = servers
    findings = REGISTRY.run("tls", TlsCollector([good.endpoint]).collect().snapshot)
    (cert,) = [f for f in findings if f.check_id == "tls.certificate_valid"]
    assert cert.status.value == "fail"
    assert "certificate does not verify" in cert.reason

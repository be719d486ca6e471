"""tls collector: probes endpoints with the stdlib ``ssl`` module (protocols, ciphers, cert)."""

from __future__ import annotations

import socket
import ssl
import warnings
from collections.abc import Sequence
from datetime import datetime

from cryptography import x509

from controls.collectors.base import Clock, Collected, collected_from, utc_now
from controls.snapshots.tls import TlsEndpoint, TlsSnapshot

LEGACY_VERSIONS = (
    ("TLSv1", ssl.TLSVersion.TLSv1),
    ("TLSv1.1", ssl.TLSVersion.TLSv1_1),
)
# No forward secrecy, broken or null ciphers: refused by a well-configured endpoint.
WEAK_CIPHERS = "kRSA:3DES:RC4:DES:IDEA:SEED:NULL:eNULL:aNULL:EXPORT:MD5:PSK"


class TlsCollector:
    """``endpoints`` are ``host:port``; ``cafile`` adds a trust anchor (private CAs, tests)."""

    name = "tls"

    def __init__(
        self,
        endpoints: Sequence[str],
        *,
        cafile: str | None = None,
        timeout: float = 5.0,
        min_days_left: int = 30,
        clock: Clock = utc_now,
    ) -> None:
        self._endpoints = tuple(endpoints)
        self._cafile = cafile
        self._timeout = timeout
        self._min_days_left = min_days_left
        self._clock = clock

    def collect(self) -> Collected:
        snapshot = TlsSnapshot(
            observed_at=self._clock(),
            min_days_left=self._min_days_left,
            endpoints=tuple(self._probe(endpoint) for endpoint in self._endpoints),
        )
        return collected_from("tls:" + ",".join(self._endpoints), snapshot)

    def _probe(self, endpoint: str) -> TlsEndpoint:
        host, _, port_text = endpoint.rpartition(":")
        address = (host, int(port_text))
        try:
            socket.create_connection(address, timeout=self._timeout).close()
        except OSError as exc:
            return TlsEndpoint(name=endpoint, reachable=False, error=type(exc).__name__)
        version, cipher, der = self._handshake(address, _modern_context())
        not_before, not_after = _validity(der)
        verified, verify_error = self._verify(address)
        return TlsEndpoint(
            name=endpoint,
            reachable=True,
            negotiated_version=version,
            cipher=cipher,
            legacy_versions_accepted=tuple(
                label
                for label, tls_version in LEGACY_VERSIONS
                if self._accepts(address, _legacy_context(tls_version))
            ),
            weak_ciphers_accepted=self._weak_ciphers(address),
            cert_not_before=not_before,
            cert_not_after=not_after,
            cert_verified=verified,
            verify_error=verify_error,
        )

    def _handshake(
        self, address: tuple[str, int], context: ssl.SSLContext
    ) -> tuple[str | None, str | None, bytes | None]:
        try:
            with (
                socket.create_connection(address, timeout=self._timeout) as raw,
                context.wrap_socket(raw, server_hostname=address[0]) as tls,
            ):
                cipher = tls.cipher()
                return tls.version(), cipher[0] if cipher else None, tls.getpeercert(True)
        except (ssl.SSLError, OSError):
            return None, None, None

    def _accepts(self, address: tuple[str, int], context: ssl.SSLContext | None) -> bool:
        return context is not None and self._handshake(address, context)[0] is not None

    def _weak_ciphers(self, address: tuple[str, int]) -> tuple[str, ...]:
        context = _legacy_context(ssl.TLSVersion.TLSv1_2, ciphers=WEAK_CIPHERS)
        if context is None:
            return ()
        cipher = self._handshake(address, context)[1]
        return (cipher,) if cipher else ()

    def _verify(self, address: tuple[str, int]) -> tuple[bool, str | None]:
        context = ssl.create_default_context(cafile=self._cafile)
        try:
            with (
                socket.create_connection(address, timeout=self._timeout) as raw,
                context.wrap_socket(raw, server_hostname=address[0]),
            ):
                return True, None
        except ssl.SSLCertVerificationError as exc:
            return False, str(exc.verify_message)
        except (ssl.SSLError, OSError) as exc:
            return False, type(exc).__name__


def _modern_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _legacy_context(
    version: ssl.TLSVersion, *, ciphers: str = "ALL:@SECLEVEL=0"
) -> ssl.SSLContext | None:
    """A client offering only ``version`` (and ``ciphers``); None if OpenSSL cannot offer it."""
    context = _modern_context()
    try:
        with warnings.catch_warnings():  # probing deprecated versions is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = version
            context.maximum_version = version
        context.set_ciphers(f"{ciphers}:@SECLEVEL=0" if "SECLEVEL" not in ciphers else ciphers)
    except (ssl.SSLError, ValueError):
        return None
    return context


def _validity(der: bytes | None) -> tuple[datetime | None, datetime | None]:
    if der is None:
        return None, None
    certificate = x509.load_der_x509_certificate(der)
    return certificate.not_valid_before_utc, certificate.not_valid_after_utc

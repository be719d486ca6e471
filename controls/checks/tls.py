"""Checks over the tls snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from controls.checks.registry import REGISTRY
from controls.findings import Result, errored, failed, passed, verdict
from controls.snapshots.tls import TlsEndpoint, TlsSnapshot

check = REGISTRY.register
MODERN = ("TLSv1.2", "TLSv1.3")


def _reachable(snap: TlsSnapshot) -> Iterator[tuple[TlsEndpoint, Result | None]]:
    for endpoint in snap.endpoints:
        if endpoint.reachable:
            yield endpoint, None
        else:
            yield endpoint, errored(f"tls:{endpoint.name}", f"unreachable: {endpoint.error}")


@check("tls.protocol_version", "tls", "Endpoints offer only TLS 1.2 or newer (1.3 preferred)")
def protocol_version(snap: TlsSnapshot) -> Iterator[Result]:
    for endpoint, problem in _reachable(snap):
        resource = f"tls:{endpoint.name}"
        if problem is not None:
            yield problem
        elif endpoint.legacy_versions_accepted:
            yield failed(resource, "accepts " + ", ".join(endpoint.legacy_versions_accepted))
        elif endpoint.negotiated_version not in MODERN:
            yield failed(resource, f"negotiated {endpoint.negotiated_version}")
        else:
            preferred = "" if endpoint.negotiated_version == "TLSv1.3" else " (1.3 preferred)"
            yield passed(resource, f"negotiated {endpoint.negotiated_version}{preferred}")


@check("tls.certificate_valid", "tls", "Certificates verify and do not expire within 30 days")
def certificate_valid(snap: TlsSnapshot) -> Iterator[Result]:
    horizon = snap.observed_at + timedelta(days=snap.min_days_left)
    for endpoint, problem in _reachable(snap):
        resource = f"tls:{endpoint.name}"
        if problem is not None:
            yield problem
        elif not endpoint.cert_verified:
            yield failed(resource, f"certificate does not verify: {endpoint.verify_error}")
        elif endpoint.cert_not_after is None or endpoint.cert_not_after <= horizon:
            yield failed(resource, f"certificate expires {endpoint.cert_not_after:%Y-%m-%d}")
        else:
            yield passed(resource, f"certificate valid until {endpoint.cert_not_after:%Y-%m-%d}")


@check("tls.weak_ciphers", "tls", "Endpoints refuse weak cipher suites")
def weak_ciphers(snap: TlsSnapshot) -> Iterator[Result]:
    for endpoint, problem in _reachable(snap):
        if problem is not None:
            yield problem
            continue
        yield verdict(
            not endpoint.weak_ciphers_accepted,
            f"tls:{endpoint.name}",
            f"weak suites refused (negotiated {endpoint.cipher})",
            "accepts " + ", ".join(endpoint.weak_ciphers_accepted),
        )

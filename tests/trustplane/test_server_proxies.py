"""X-Forwarded-For is believed only from configured load balancers (rule 9 sees the real peer)."""

from __future__ import annotations

import pytest

from trustplane.server import proxy_options
from trustplane.settings import Settings


def test_no_proxy_is_trusted_by_default() -> None:
    assert Settings().web.trusted_proxies == []
    assert proxy_options(Settings().web.trusted_proxies) == {"proxy_headers": False}


def test_configured_proxies_are_the_only_ones_believed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPLANE_WEB__TRUSTED_PROXIES", '["10.0.0.5", "10.0.1.0/24"]')
    options = proxy_options(Settings().web.trusted_proxies)
    assert options == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.5,10.0.1.0/24"}

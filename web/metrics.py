"""Prometheus metrics of one app instance (its own registry, so apps never collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "trustplane_http_requests",
            "HTTP requests by route template, method and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "trustplane_http_request_duration_seconds",
            "HTTP request latency by route template and method",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "trustplane_rate_limited",
            "Requests refused by the rate limiter (every 429 answer)",
            registry=self.registry,
        )
        self.server_errors = Counter(
            "trustplane_http_server_errors",
            "Answers with a 5xx status, by status",
            ["status"],
            registry=self.registry,
        )

        self.blind_indexes = Counter(
            "trustplane_blind_index_values",
            "Values blind-indexed, and values refused by the per-caller limit",
            ["outcome"],
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if status == 429:
            self.rate_limited.inc()
        elif status >= 500:
            self.server_errors.labels(str(status)).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)

"""A small closed-loop HTTP/1.1 load generator on raw asyncio streams (keep-alive).

Used by the HTTP benchmarks: N concurrent clients, each sending its next request as soon as
the previous answer arrived, for a fixed duration after a warm-up. Latencies are measured
per request on the client side. Loopback only.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, pct: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
        return ordered[index]

    def line(self, label: str) -> str:
        median = statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")
        return (
            f"{label:<48} {self.rps:>9.0f} req/s   p50 {median:>7.2f} ms   "
            f"p99 {self.percentile(99):>7.2f} ms   errors {self.errors}"
        )


def build_request(
    method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: keep-alive"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
        elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _client(
    url: str, request: bytes, warmup_until: float, stop_at: float, result: LoadResult
) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        while True:
            started = time.perf_counter()
            if started >= stop_at:
                return
            writer.write(request)
            await writer.drain()
            status = await _read_response(reader)
            elapsed = time.perf_counter() - started
            if started >= warmup_until:
                result.requests += 1
                result.latencies_ms.append(elapsed * 1000)
                if status >= 400:
                    result.errors += 1
    finally:
        writer.close()


async def _run(url: str, request: bytes, clients: int, seconds: float, warmup: float) -> LoadResult:
    now = time.perf_counter()
    result = LoadResult(requests=0, errors=0, seconds=seconds, latencies_ms=[])
    await asyncio.gather(
        *(
            _client(url, request, now + warmup, now + warmup + seconds, result)
            for _ in range(clients)
        )
    )
    return result


def run_load(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    clients: int = 64,
    seconds: float = 5.0,
    warmup: float = 1.0,
) -> LoadResult:
    """Drive ``clients`` keep-alive connections at ``url`` for ``seconds`` after ``warmup``."""
    request = build_request(method, url, headers, body)
    return asyncio.run(_run(url, request, clients, seconds, warmup))

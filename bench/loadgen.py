"""A small asyncio HTTP/1.1 keep-alive load generator (no third-party client overhead).

Each connection sends one request at a time and parses responses by Content-Length;
latencies are wall-clock per request. Used by the HTTP benchmarks, which pin the
server and this client to different cores.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Result:
    name: str
    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(p / 100 * len(data)))]

    def row(self) -> str:
        return (
            f"{self.name:<42} {self.rps:>9.0f} req/s   p50 {self.pct(50):7.2f} ms   "
            f"p99 {self.pct(99):7.2f} ms   statuses {dict(sorted(self.statuses.items()))}"
        )


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    if length:
        await reader.readexactly(length)
    return status


async def _worker(
    host: str, port: int, requests: Sequence[bytes], stop_at: float, result: Result, record: bool,
    offset: int = 0,
) -> None:
    i = offset
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            status = await _read_response(reader)
            if record:
                result.latencies_ms.append((time.perf_counter() - t0) * 1000)
                result.requests += 1
                result.statuses[status] = result.statuses.get(status, 0) + 1
    finally:
        writer.close()


def build_request(
    path: str, host: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def run(
    name: str, host: str, port: int, path: str, headers: dict[str, str] | None = None,
    connections: int = 16, seconds: float = 8.0, warmup: float = 2.0,
    method: str = "GET", bodies: Sequence[bytes] | None = None,
) -> Result:
    """Keep-alive load; with `bodies`, each connection cycles through them (from its own offset)."""
    payloads: Sequence[bytes | None] = bodies or [None]
    requests = [build_request(path, f"{host}:{port}", headers, method, body) for body in payloads]
    result = Result(name)
    warm = Result(name)
    stop = time.perf_counter() + warmup
    await asyncio.gather(*(_worker(host, port, requests, stop, warm, False, c) for c in range(connections)))
    start = time.perf_counter()
    stop = start + seconds
    await asyncio.gather(*(_worker(host, port, requests, stop, result, True, c) for c in range(connections)))
    result.seconds = time.perf_counter() - start
    return result


def summary(results: list[Result]) -> str:
    return "\n".join(r.row() for r in results)


__all__ = ["Result", "run", "summary"]

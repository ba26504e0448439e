"""Scripted loopback fakes of the candidate-index wire formats: a tiny asyncio HTTP/1.1 server.

The server runs in its own thread (its own event loop), so synchronous
end-to-end tests and async unit tests use it alike. Every request is recorded
(method, path, query, headers, JSON body, monotonic arrival time). Answers come
from per-route scripts (longest path prefix wins; each script's last reply
repeats): a status and JSON/bytes body, or a fault — hang, delay, trickle the
body one byte at a time, a huge body (with or without Content-Length), or close
the connection without answering. Raw asyncio rather than an ASGI app so the
faults are exact: a trickle really sends one byte per interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    json: Any = None  # serialised as the body when set
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer
    delay: float = 0.0  # seconds before answering
    trickle: float | None = None  # send the head at once, then the body one byte per interval
    size: int | None = None  # stream this many filler bytes as the body
    declare_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    close: bool = False  # close the connection without a response

    def payload(self) -> bytes:
        return json.dumps(self.json).encode() if self.json is not None else self.body


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class FakeServer:
    """`with FakeServer({"/": [Reply(500)]}) as fake:` … `fake.url`, `fake.requests`."""

    def __init__(self, routes: dict[str, list[Reply]] | None = None) -> None:
        self._routes: dict[str, list[Reply]] = {}
        self._served: dict[str, int] = {}
        self.requests: list[Request] = []
        self.port = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self.script(routes or {"/": [Reply()]})

    # control ------------------------------------------------------------------------
    def script(self, routes: dict[str, list[Reply]]) -> None:
        """Replace every route's script and forget the recorded requests."""
        with self._lock:
            self._routes = {k: list(v) for k, v in routes.items()}
            self._served = dict.fromkeys(routes, 0)
            self.requests = []

    def calls(self, prefix: str = "/") -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    # serving ------------------------------------------------------------------------
    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._on_connect, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _next(self, path: str) -> Reply:
        with self._lock:
            matches = [p for p in self._routes if path.startswith(p)]
            if not matches:
                return Reply(404, json={"error": "no route"})
            route = max(matches, key=len)
            script = self._routes[route]
            reply = script[min(self._served[route], len(script) - 1)]
            self._served[route] += 1
            return reply

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        parts = urlsplit(target)
        with self._lock:
            self.requests.append(
                Request(method, parts.path, parse_qs(parts.query), headers, body, time.monotonic())
            )
        reply = self._next(parts.path)
        if reply.close:
            return
        if reply.hang:
            await asyncio.sleep(3600)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        payload = reply.payload()
        size = reply.size if reply.size is not None else len(payload)
        head_lines = [f"HTTP/1.1 {reply.status} X", "connection: close"]
        if reply.declare_length:
            head_lines.append(f"content-length: {size}")
        if reply.json is not None:
            head_lines.append("content-type: application/json")
        head_lines += [f"{k}: {v}" for k, v in reply.headers.items()]
        writer.write(("\r\n".join(head_lines) + "\r\n\r\n").encode())
        await writer.drain()
        if reply.trickle is not None:
            for byte in payload:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(reply.trickle)
        elif reply.size is not None:
            chunk = b" " * 65536
            remaining = reply.size
            while remaining > 0:
                writer.write(chunk[: min(remaining, len(chunk))])
                remaining -= len(chunk)
                await writer.drain()
        else:
            writer.write(payload)
        await writer.drain()

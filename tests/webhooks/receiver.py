"""A scripted loopback webhook receiver: a tiny asyncio HTTP/1.1 server in its own thread.

It records every connection and every request (headers, body, wall and
monotonic receipt time) and answers each request with the next `Step` of its
script (the last step repeats): a status, extra headers, a body or a huge
streamed body, a delay, a hang, or a response trickled one byte at a time.
Raw asyncio (not an ASGI app) so trickling the status line itself is possible:
that is what proves the sender's deadline is total, not per read.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Step:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    body_size: int | None = None  # stream this many bytes instead of `body`
    delay: float = 0.0  # seconds before answering
    hang: bool = False  # never answer
    trickle: float | None = None  # seconds between single bytes of the whole response


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    wall: float
    mono: float
    local_addr: str

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


class Receiver:
    """Start with `with Receiver(...) as r:`; `r.url` is its base URL."""

    def __init__(
        self,
        script: list[Step] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.ssl_context = ssl_context
        self.sni: list[str | None] = []  # server names clients asked for (TLS only)
        self.port = port
        self.script: list[Step] = list(script or [Step()])
        self.requests: list[Received] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._served = 0

    # lifecycle ---------------------------------------------------------------
    def __enter__(self) -> Receiver:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("receiver did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stopped is not None
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        if self.ssl_context is not None:

            def record_sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
                self.sni.append(name)

            self.ssl_context.sni_callback = record_sni
        self._server = await asyncio.start_server(
            self._on_connect, self.host, self.port, ssl=self.ssl_context
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stopped.wait()
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def set_script(self, script: list[Step]) -> None:
        with self._lock:
            self.script = list(script)
            self._served = 0

    def _next_step(self) -> Step:
        with self._lock:
            step = self.script[min(self._served, len(self.script) - 1)]
            self._served += 1
            return step

    # waiting -----------------------------------------------------------------
    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        return self.wait_until(lambda reqs: len(reqs) >= count, timeout, f"{count} requests")

    def wait_until(
        self, predicate: Callable[[list[Received]], bool], timeout: float, what: str = "condition"
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                snapshot = list(self.requests)
            if predicate(snapshot):
                return snapshot
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: timed out waiting for {what}; got {len(snapshot)} requests")
            time.sleep(0.01)

    # serving -----------------------------------------------------------------
    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._lock:
            self.connections += 1
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
        method, path, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        sock = writer.get_extra_info("sockname")
        with self._lock:
            self.requests.append(
                Received(method, path, headers, body, time.time(), time.monotonic(), str(sock[0]))
            )
        step = self._next_step()
        if step.hang:
            await asyncio.sleep(3600)
        if step.delay:
            await asyncio.sleep(step.delay)
        size = step.body_size if step.body_size is not None else len(step.body)
        response_head = f"HTTP/1.1 {step.status} X\r\ncontent-length: {size}\r\nconnection: close\r\n"
        response_head += "".join(f"{k}: {v}\r\n" for k, v in step.headers.items()) + "\r\n"
        if step.trickle is not None:
            for byte in response_head.encode() + step.body:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(step.trickle)
            return
        writer.write(response_head.encode())
        if step.body_size is None:
            writer.write(step.body)
        else:
            chunk = b"x" * 65536
            remaining = step.body_size
            while remaining > 0:
                writer.write(chunk[: min(remaining, len(chunk))])
                remaining -= len(chunk)
                await writer.drain()
        await writer.drain()

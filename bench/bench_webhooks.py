"""Webhook delivery benchmark: deliveries/s to a loopback receiver and emit→receipt latency.

The real path: `talentscout.webhooks.outbox.emit` in its own committed transaction, and
`talentscout.webhooks.dispatcher.run_dispatcher` claiming, signing (Standard Webhooks) and
POSTing through the SSRF guard with a fresh connection per attempt, on SQLite and on
PostgreSQL (a throwaway database, when reachable). Emitter and dispatcher share one
process and event loop (as the API and its worker sidecar do), pinned to CPU 0; the
receiver is a minimal asyncio HTTP/1.1 server in its own process pinned to CPU 1 that
notes `webhook-id` and CLOCK_MONOTONIC (shared by all processes) at receipt.

Per backend and per number of configs (one company each, events round-robin):
- drain: B events emitted with the dispatcher stopped, then the dispatcher started;
  deliveries/s until the last receipt (the dispatcher's ceiling, no emitter competing);
- paced: events emitted at fixed rates (by default 50 % and 90 % of the drain rate) for
  S seconds while the dispatcher runs; achieved deliveries/s, p50/p95 from the start of
  the emitting transaction to receipt, and how far the last receipt trailed the last emit.
Baseline, same run, same receiver, same concurrency as the dispatcher (4 in flight per
config): a plain httpx loop POSTing the same body, with keep-alive (the plain client) and
without (as the sender, which never reuses connections).

Run: `.venv/bin/python bench/bench_webhooks.py [--configs 1,8] [--backlog 200] [--seconds 3]
[--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test | --no-pg]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import PG_DEFAULT, loadavg, pct, pg_drop, pg_reachable, pg_scratch, pin, table, wait_quiet

from talentscout.auth.models import ApiKey
from talentscout.config import Settings
from talentscout.db import Database
from talentscout.migrate import upgrade_async
from talentscout.observability import configure_logging
from talentscout.tenancy.models import Company
from talentscout.webhooks.dispatcher import run_dispatcher
from talentscout.webhooks.models import WebhookConfig
from talentscout.webhooks.outbox import emit
from talentscout.webhooks.signing import new_secret

PER_CONFIG = 4  # webhooks_max_in_flight_per_config (default)


# --------------------------------------------------------------------------- the receiver process


@dataclass
class _Receipts:
    seen: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0


async def _serve_receiver(ready_fd: int) -> None:
    receipts = _Receipts()
    ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1]
                length, hook_id, close = 0, "", False
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"webhook-id":
                        hook_id = value.strip().decode()
                    elif name == b"connection" and value.strip().lower() == b"close":
                        close = True
                if length:
                    await reader.readexactly(length)
                if path == b"/_count":
                    body = str(len(receipts.seen)).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
                elif path == b"/_dump":
                    body = orjson.dumps({"receipts": receipts.seen, "duplicates": receipts.duplicates})
                    receipts.seen, receipts.duplicates = {}, 0
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body)
                else:
                    if hook_id in receipts.seen:
                        receipts.duplicates += 1
                    else:
                        receipts.seen[hook_id] = time.monotonic()
                    writer.write(ok)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    with open(ready_fd, "w") as out:  # noqa: ASYNC230 - one line at startup
        out.write(f"{port}\n")
    async with server:
        await server.serve_forever()


def receiver_main(ready_fd: int) -> None:
    pin(1)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_receiver(ready_fd))


@contextlib.contextmanager
def receiver() -> Iterator[str]:
    """Start the receiver process (CPU 1); yields its base URL."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([sys.executable, __file__, "--_receiver", str(write_fd)], pass_fds=(write_fd,))
    os.close(write_fd)
    try:
        with open(read_fd) as ready:
            port = int(ready.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


# --------------------------------------------------------------------------- measuring


@dataclass
class Row:
    backend: str
    configs: int
    what: str
    count: int = 0
    rate: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    lag_ms: float | None = None
    cpu: float | None = None  # this process's CPU seconds / wall seconds (CPU 0 is the only core it has)
    duplicates: int = 0
    load: str = ""

    def cells(self) -> list[object]:
        lat = bool(self.latencies_ms)
        return [
            self.backend,
            self.configs,
            self.what,
            self.count,
            f"{self.rate:,.0f}",
            f"{pct(self.latencies_ms, 50):.1f}" if lat else "–",
            f"{pct(self.latencies_ms, 95):.1f}" if lat else "–",
            f"{self.lag_ms:.0f}" if self.lag_ms is not None else "–",
            f"{self.cpu:.0%}" if self.cpu is not None else "–",
            self.load,
        ]


class Probe:
    """Talks to the receiver's control paths."""

    def __init__(self, base: str) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=30)

    async def wait_count(self, n: int, within: float) -> int:
        deadline = time.monotonic() + within
        count = 0
        while time.monotonic() < deadline:
            count = int((await self.http.get("/_count")).text)
            if count >= n:
                break
            await asyncio.sleep(0.05)
        return count

    async def dump(self) -> tuple[dict[str, float], int]:
        data = orjson.loads((await self.http.get("/_dump")).content)
        return dict(data["receipts"]), int(data["duplicates"])

    async def aclose(self) -> None:
        await self.http.aclose()


async def _companies(db: Database, url: str, n: int) -> list[uuid.UUID]:
    ids = []
    async with db.write() as s:
        for i in range(n):
            company = Company(name=f"Bench hooks {i}")
            s.add(company)
            await s.flush()
            key = ApiKey(
                company_id=company.id,
                name="bench",
                kind="standard",
                prefix="sk_live_bench",
                key_hash=uuid.uuid4().hex,
                scopes=[],
            )
            s.add(key)
            await s.flush()
            s.add(
                WebhookConfig(
                    api_key_id=key.id,
                    owner_company_id=company.id,
                    company_id=company.id,
                    url=f"{url}/hook/{i}",
                    events=["SOURCING_COMPLETED"],
                    headers=[],
                    secret=new_secret(),
                    is_active=True,
                    max_retries=3,
                    timeout_ms=5000,
                    consecutive_failures=0,
                )
            )
            ids.append(company.id)
    return ids


async def _emit_one(db: Database, company: uuid.UUID, sent: dict[str, float]) -> None:
    t0 = time.monotonic()
    payload = {"requestId": str(uuid.uuid4()), "status": "completed", "candidatesFound": 25}
    async with db.write() as s:
        ids = await emit(s, company, "sourcing.completed", payload)
    for delivery_id in ids:
        sent[delivery_id] = t0


class Scenario:
    def __init__(
        self, db: Database, settings: Settings, probe: Probe, backend: str, companies: list[uuid.UUID]
    ):
        self.db, self.settings, self.probe = db, settings, probe
        self.backend, self.companies = backend, companies

    @contextlib.asynccontextmanager
    async def dispatching(self) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_dispatcher(self.db, self.settings, stop))
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)

    async def _collect(self, sent: dict[str, float]) -> tuple[dict[str, float], int]:
        await self.probe.wait_count(len(sent), 60)
        receipts, duplicates = await self.probe.dump()
        missing = set(sent) - set(receipts)
        if missing:
            raise SystemExit(f"{len(missing)} deliveries never arrived")
        return receipts, duplicates

    async def drain(self, backlog: int) -> Row:
        row = Row(self.backend, len(self.companies), "drain: backlog, then dispatcher", load=loadavg())
        sent: dict[str, float] = {}
        for i in range(backlog):
            await _emit_one(self.db, self.companies[i % len(self.companies)], sent)
        started, cpu = time.monotonic(), time.process_time()
        async with self.dispatching():
            receipts, row.duplicates = await self._collect(sent)
            row.cpu = (time.process_time() - cpu) / (time.monotonic() - started)
        row.count = len(sent)
        row.rate = row.count / (max(receipts.values()) - started)
        return row

    async def paced(self, rate: float, seconds: float) -> Row:
        row = Row(self.backend, len(self.companies), f"paced emit at {rate:.0f}/s", load=loadavg())
        sent: dict[str, float] = {}
        n = max(1, int(rate * seconds))
        loop = asyncio.get_running_loop()
        async with self.dispatching():
            tasks = []
            start, cpu = loop.time(), time.process_time()
            for i in range(n):
                delay = start + i / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(
                    asyncio.create_task(_emit_one(self.db, self.companies[i % len(self.companies)], sent))
                )
            await asyncio.gather(*tasks)
            last_emit = max(sent.values())
            receipts, row.duplicates = await self._collect(sent)
            row.cpu = (time.process_time() - cpu) / (loop.time() - start)
        first = min(sent.values())
        row.count = n
        row.rate = n / (max(receipts.values()) - first)
        row.latencies_ms = [(receipts[d] - t0) * 1000 for d, t0 in sent.items()]
        row.lag_ms = (max(receipts.values()) - last_emit) * 1000
        return row


async def baseline(probe: Probe, url: str, configs: int, total: int, keepalive: bool) -> Row:
    concurrency = min(configs * PER_CONFIG, 64)
    label = "keep-alive" if keepalive else "new connection per request"
    row = Row(
        "httpx", configs, f"baseline: plain httpx loop, {label}, {concurrency} in flight", load=loadavg()
    )
    body = orjson.dumps(
        {
            "event": "sourcing.completed",
            "timestamp": "2025-01-01T00:00:00.000Z",
            "deliveryId": "msg_x",
            "data": {"requestId": str(uuid.uuid4()), "status": "completed", "candidatesFound": 25},
        }
    )
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None if keepalive else 0)
    sent: dict[str, float] = {}
    queue = iter(range(total))
    async with httpx.AsyncClient(limits=limits, trust_env=False, timeout=30) as client:

        async def worker() -> None:
            for _ in queue:
                hook_id = f"base_{uuid.uuid4().hex}"
                sent[hook_id] = time.monotonic()
                r = await client.post(
                    f"{url}/hook/base",
                    content=body,
                    headers={"webhook-id": hook_id, "content-type": "application/json"},
                )
                r.raise_for_status()

        started, cpu = time.monotonic(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        row.cpu = (time.process_time() - cpu) / (time.monotonic() - started)
    receipts, row.duplicates = await probe.dump()
    row.count = total
    row.rate = total / (max(receipts.values()) - started)
    row.latencies_ms = [(receipts[d] - t0) * 1000 for d, t0 in sent.items()]
    return row


async def bench_backend(
    url: str,
    backend: str,
    rx: str,
    config_counts: list[int],
    backlog: int,
    seconds: float,
    fractions: list[float],
    rates: list[float],
) -> list[Row]:
    await upgrade_async(url)
    settings = Settings(
        _env_file=None,
        env="test",
        database_url=url,
        webhooks_allow_private=True,
        log_level="WARNING",
        worker_enabled=False,
    )
    db = Database(url)
    probe = Probe(rx)
    rows: list[Row] = []
    try:
        for n in config_counts:
            scenario = Scenario(db, settings, probe, backend, await _companies(db, rx, n))
            await scenario.drain(min(20, backlog))  # warm-up: connections, statement caches
            drained = await scenario.drain(backlog)
            rows.append(drained)
            for r in rates or [round(drained.rate * f) for f in fractions]:
                rows.append(await scenario.paced(max(1.0, r), seconds))
    finally:
        await probe.aclose()
        await db.dispose()
    return rows


async def baselines(rx: str, config_counts: list[int], total: int) -> list[Row]:
    probe = Probe(rx)
    try:
        await baseline(probe, rx, 1, 50, True)  # warm-up
        rows = []
        for n in config_counts:
            rows.append(await baseline(probe, rx, n, total, True))
            rows.append(await baseline(probe, rx, n, total, False))
        return rows
    finally:
        await probe.aclose()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--_receiver":
        receiver_main(int(sys.argv[2]))
        return
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--configs", default="1,8", help="comma-separated numbers of webhook configs")
    ap.add_argument(
        "--backlog", type=int, default=200, help="events in the drain phase (and baseline requests)"
    )
    ap.add_argument("--seconds", type=float, default=3.0, help="duration of each paced phase")
    ap.add_argument("--fractions", default="0.5,0.9", help="paced rates as fractions of the drain rate")
    ap.add_argument("--rates", default="", help="explicit paced rates (events/s), overriding --fractions")
    ap.add_argument("--pg-url", default=PG_DEFAULT)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--wait-quiet", type=float, default=0.0, help="wait up to N s for load1 < 1.5 first")
    args = ap.parse_args()
    configure_logging("WARNING")
    counts = [int(x) for x in args.configs.split(",") if x]
    fractions = [float(x) for x in args.fractions.split(",") if x]
    rates = [float(x) for x in args.rates.split(",") if x]
    start_load = wait_quiet(args.wait_quiet)
    pin(0)
    rows: list[Row] = []
    notes: list[str] = []
    with receiver() as rx:
        rows += asyncio.run(baselines(rx, counts, args.backlog))
        with tempfile.TemporaryDirectory() as tmp:
            rows += asyncio.run(
                bench_backend(
                    f"sqlite+aiosqlite:///{tmp}/hooks.db",
                    "sqlite",
                    rx,
                    counts,
                    args.backlog,
                    args.seconds,
                    fractions,
                    rates,
                )
            )
        if not args.no_pg:
            if pg_reachable(args.pg_url):
                url, name = pg_scratch(args.pg_url, "bench_hooks")
                try:
                    rows += asyncio.run(
                        bench_backend(
                            url, "postgresql", rx, counts, args.backlog, args.seconds, fractions, rates
                        )
                    )
                finally:
                    pg_drop(args.pg_url, name)
            else:
                notes.append(f"postgresql: not reachable at {args.pg_url}, skipped")
    print(
        f"backlog={args.backlog} paced={args.seconds}s; emitter+dispatcher=CPU0 receiver=CPU1; "
        f"load at start {start_load}, at end {loadavg()}"
    )
    print(
        table(
            [
                "backend",
                "configs",
                "what",
                "events",
                "deliveries/s",
                "p50 ms",
                "p95 ms",
                "tail lag ms",
                "CPU0 busy",
                "load 1/5/15",
            ],
            [r.cells() for r in rows],
        )
    )
    dups = sum(r.duplicates for r in rows)
    notes.append(f"duplicate receipts: {dups}" + (" (at-least-once redelivery happened)" if dups else ""))
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()

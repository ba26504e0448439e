"""Billing capture throughput (captures/s) on SQLite and PostgreSQL, next to a bare-INSERT baseline.

Each capture is one committed transaction (`async with db.write(): capture(...)`), as a
worker commits an item's result with its capture: the fast-path UPDATE of the hold
plus the double-entry transaction (journal row, two entries, two cached balances).
Scenarios: one worker on one hold, and W concurrent workers on W holds of W companies
(on PostgreSQL they proceed in parallel; on SQLite writers serialise on BEGIN IMMEDIATE).

Baseline, same run, same database, same session plumbing and concurrency: a bare
`INSERT` of one row into a one-table scratch schema per transaction, i.e. the price of
a committed write transaction itself. The ledger is reconciled (`ledger.verify`) at the end.

This process is pinned to CPU 1; PostgreSQL (a shared system service) is not pinned.
Run: `.venv/bin/python bench/bench_capture.py [--captures 600] [--workers 4]
[--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test | --no-pg]` — a throwaway database is
created next to the given one and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import PG_DEFAULT, loadavg, pct, pg_drop, pg_reachable, pg_scratch, pin, table, wait_quiet

from talentscout.billing import capture, hold, ledger, release
from talentscout.db import Database
from talentscout.migrate import upgrade_async
from talentscout.tenancy import service as companies

_meta = MetaData()
BARE = Table(
    "bench_bare_insert",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("k", String(64), nullable=False),
    Column("v", Integer, nullable=False),
)


@dataclass
class Row:
    backend: str
    what: str
    workers: int
    count: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    cpu: float = 0.0  # this process's CPU seconds during the run (it has CPU 1 only)
    load: str = ""

    def cells(self) -> list[object]:
        rate = self.count / self.seconds if self.seconds else 0.0
        return [
            self.backend,
            self.what,
            self.workers,
            self.count,
            f"{rate:,.0f}",
            f"{pct(self.latencies_ms, 50):.2f}",
            f"{pct(self.latencies_ms, 95):.2f}",
            f"{self.cpu / self.seconds:.0%}" if self.seconds else "–",
            self.load,
        ]


async def _timed(n: int, one: Callable[[int], Awaitable[None]], out: list[float]) -> None:
    for i in range(n):
        t0 = time.perf_counter()
        await one(i)
        out.append((time.perf_counter() - t0) * 1000)


async def _prepare_holds(db: Database, n_holds: int, per_hold: int) -> list[str]:
    refs = []
    for i in range(n_holds):
        async with db.write() as s:
            company = await companies.create_company(s, name=f"Bench {uuid.uuid4().hex[:6]} {i}")
            await ledger.top_up(s, company.id, per_hold)
            ref = f"req_bench_{uuid.uuid4().hex}"
            await hold(s, company.id, per_hold, ref=ref, cost_key="sourcing_candidate", livemode=True)
            refs.append(ref)
    return refs


async def run_captures(db: Database, backend: str, total: int, workers: int) -> Row:
    per = total // workers
    refs = await _prepare_holds(db, workers, per)
    row = Row(backend, "capture (hold UPDATE + ledger txn)", workers, load=loadavg())

    def worker(ref: str) -> Callable[[int], Awaitable[None]]:
        async def one(i: int) -> None:
            async with db.write() as s:
                if not await capture(s, ref, f"prof_{i}", "sourcing_candidate"):
                    raise RuntimeError("a fresh capture was refused")

        return one

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(_timed(per, worker(ref), row.latencies_ms) for ref in refs))
    row.seconds = time.perf_counter() - started
    row.cpu = time.process_time() - cpu
    row.count = per * workers
    async with db.write() as s:
        for ref in refs:
            await release(s, ref)
    return row


async def run_bare(db: Database, backend: str, total: int, workers: int) -> Row:
    per = total // workers
    row = Row(backend, "baseline: bare INSERT, 1 row/txn", workers, load=loadavg())

    def worker(w: int) -> Callable[[int], Awaitable[None]]:
        async def one(i: int) -> None:
            async with db.write() as s:
                await s.execute(insert(BARE).values(k=f"w{w}:{i}", v=1))

        return one

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(_timed(per, worker(w), row.latencies_ms) for w in range(workers)))
    row.seconds = time.perf_counter() - started
    row.cpu = time.process_time() - cpu
    row.count = per * workers
    return row


async def bench(url: str, backend: str, captures: int, workers: int) -> tuple[list[Row], bool]:
    await upgrade_async(url)
    db = Database(url)
    rows: list[Row] = []
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(_meta.create_all)
        # Warm-up: connections, statement caches, first pages of every table.
        await run_captures(db, backend, 20, 1)
        await run_bare(db, backend, 20, 1)
        for n in sorted({1, workers}):
            rows.append(await run_bare(db, backend, captures, n))
            rows.append(await run_captures(db, backend, captures, n))
        async with db.read() as s:
            report = await ledger.verify(s)
        async with db.engine.begin() as conn:
            await conn.run_sync(_meta.drop_all)
        return rows, bool(report.ok)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--captures", type=int, default=600, help="captures (and bare inserts) per scenario")
    parser.add_argument("--workers", type=int, default=4, help="concurrent workers in the parallel scenario")
    parser.add_argument("--pg-url", default=PG_DEFAULT, help="PostgreSQL server to create a scratch db on")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--wait-quiet", type=float, default=0.0, help="wait up to N s for load1 < 1.5 first")
    args = parser.parse_args()
    pin(1)
    start_load = wait_quiet(args.wait_quiet)
    rows: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        r, ok = asyncio.run(
            bench(f"sqlite+aiosqlite:///{tmp}/bench.db", "sqlite", args.captures, args.workers)
        )
        rows += r
        notes.append(f"sqlite ledger reconciles: {ok}")
    if not args.no_pg:
        if pg_reachable(args.pg_url):
            url, name = pg_scratch(args.pg_url, "bench_capture")
            try:
                r, ok = asyncio.run(bench(url, "postgresql", args.captures, args.workers))
                rows += r
                notes.append(f"postgresql ledger reconciles: {ok}")
            finally:
                pg_drop(args.pg_url, name)
        else:
            notes.append(f"postgresql: not reachable at {args.pg_url}, skipped")
    print(
        f"captures={args.captures} per scenario, workers=1 and {args.workers}; client=CPU1; "
        f"load at start {start_load}, at end {loadavg()}"
    )
    print(
        table(
            ["backend", "what", "workers", "txns", "txn/s", "p50 ms", "p95 ms", "CPU1 busy", "load 1/5/15"],
            [r.cells() for r in rows],
        )
    )
    for backend in dict.fromkeys(r.backend for r in rows):
        for n in dict.fromkeys(r.workers for r in rows):
            pair = [r for r in rows if r.backend == backend and r.workers == n]
            if len(pair) == 2 and pair[0].seconds and pair[1].seconds:
                bare, cap = pair[0].count / pair[0].seconds, pair[1].count / pair[1].seconds
                notes.append(f"{backend} workers={n}: capture = {cap / bare:.2f}x the bare-INSERT rate")
    print("\n".join(notes))


if __name__ == "__main__":
    main()

"""Capture throughput (captures/s) on SQLite and PostgreSQL (belongs in bench/; kept here for now).

Each capture is one committed transaction, as a worker commits an item's result with
its capture. Scenarios: one worker on one hold, and W concurrent workers on W holds
of W companies (on PostgreSQL they proceed in parallel; on SQLite writers serialize).

Run: `.venv/bin/python -m tests.billing.bench_capture [--captures 600] [--workers 4]
[--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]` (a scratch database is
created next to the given one and dropped afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid

from talentscout.billing import capture, hold, ledger, release
from talentscout.db import Database
from talentscout.migrate import upgrade_async
from talentscout.tenancy import service as companies


async def _prepare(db: Database, n_holds: int, per_hold: int) -> list[str]:
    refs = []
    for i in range(n_holds):
        async with db.write() as s:
            company = await companies.create_company(s, name=f"Bench {i}")
            await ledger.top_up(s, company.id, per_hold)
            ref = f"req_bench_{uuid.uuid4().hex}"
            await hold(s, company.id, per_hold, ref=ref, cost_key="sourcing_candidate", livemode=True)
            refs.append(ref)
    return refs


async def _worker(db: Database, ref: str, count: int) -> None:
    for i in range(count):
        async with db.write() as s:
            await capture(s, ref, f"prof_{i}", "sourcing_candidate")


async def bench(url: str, label: str, captures: int, workers: int) -> None:
    await upgrade_async(url)
    db = Database(url)
    try:
        for n in sorted({1, workers}):
            refs = await _prepare(db, n, captures // n)
            started = time.perf_counter()
            await asyncio.gather(*(_worker(db, ref, captures // n) for ref in refs))
            elapsed = time.perf_counter() - started
            total = (captures // n) * n
            print(
                f"{label:<10} workers={n:<2} {total} captures in {elapsed:6.2f}s  {total / elapsed:8.0f} captures/s"
            )
            async with db.write() as s:
                for ref in refs:
                    await release(s, ref)
        async with db.read() as s:
            report = await ledger.verify(s)
        print(f"{label:<10} ledger reconciles: {report.ok}")
    finally:
        await db.dispose()


def _pg_scratch(base_url: str) -> tuple[str, str]:
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base_url.rsplit('/', 1)[0]}/{name}", name


def _pg_drop(base_url: str, name: str) -> None:
    import psycopg

    admin = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=600)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bench(f"sqlite+aiosqlite:///{tmp}/bench.db", "sqlite", args.captures, args.workers))
    if args.pg_url:
        url, name = _pg_scratch(args.pg_url)
        try:
            asyncio.run(bench(url, "postgresql", args.captures, args.workers))
        finally:
            _pg_drop(args.pg_url, name)


if __name__ == "__main__":
    main()

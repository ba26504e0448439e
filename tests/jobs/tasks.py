"""Tasks the job tests run: imported by the test process and, through
TALENTSCOUT_JOB_IMPORT_PATHS, by worker subprocesses.

They model the domain rule of ARCHITECTURE.md §1: every side effect of a job
commits in ONE transaction with `ctx.fence`, keyed by (job, item), so a
re-executed job changes nothing. `test_totals` plays the role of credits
captured: it only moves when the keyed effect row is new.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.db import Database
from talentscout.jobs import JobContext, PermanentJobError, RetryPolicy, task
from talentscout.jobs.scheduler import PeriodicSpec, periodic

TABLES = [
    "CREATE TABLE IF NOT EXISTS test_effects (job_key VARCHAR(64) NOT NULL, item INTEGER NOT NULL, "
    "worker VARCHAR(64) NOT NULL, PRIMARY KEY (job_key, item))",
    "CREATE TABLE IF NOT EXISTS test_totals (name VARCHAR(64) PRIMARY KEY, n INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS test_executions (job_key VARCHAR(64) NOT NULL, attempt INTEGER NOT NULL, "
    "worker VARCHAR(64) NOT NULL, at DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS test_results (job_key VARCHAR(64) PRIMARY KEY, worker VARCHAR(64) NOT NULL, "
    "writes INTEGER NOT NULL)",
    "INSERT INTO test_totals (name, n) VALUES ('captured', 0)",
]

# Periodic tasks for scheduler tests live in their own dict so the app's schedulers never fire them.
TEST_PERIODICS: dict[str, PeriodicSpec] = {}


async def create_tables(db: Database) -> None:
    async with db.write() as session:
        for ddl in TABLES:
            await session.execute(text(ddl))


def me(worker: str | None) -> str:
    return worker or f"pid:{os.getpid()}"


async def record_execution(session: AsyncSession, key: str, attempt: int, worker: str | None) -> None:
    await session.execute(
        text("INSERT INTO test_executions (job_key, attempt, worker, at) VALUES (:k, :a, :w, :t)"),
        {"k": key, "a": attempt, "w": me(worker), "t": time.time()},
    )


@task("test.effect", max_attempts=50)
async def effect(
    ctx: JobContext,
    *,
    key: str,
    items: int = 1,
    sleep: float = 0.0,
    after: float = 0.0,
    worker: str | None = None,
) -> None:
    """Write `items` keyed effects and capture one credit per NEW effect, fenced, in one transaction."""
    if sleep:
        await asyncio.sleep(random.uniform(0, sleep))
    async with ctx.fenced() as session:
        await record_execution(session, key, ctx.attempt, worker)
        for item in range(items):
            inserted = await session.execute(
                text(
                    "INSERT INTO test_effects (job_key, item, worker) VALUES (:k, :i, :w) ON CONFLICT DO NOTHING"
                ),
                {"k": key, "i": item, "w": me(worker)},
            )
            if getattr(inserted, "rowcount", 0) == 1:
                await session.execute(text("UPDATE test_totals SET n = n + 1 WHERE name = 'captured'"))
    if after:
        # Widens the window between "effects committed" and "job marked succeeded",
        # which is where a crash makes the job run again.
        await asyncio.sleep(after)


@task("test.flaky", max_attempts=3, retry=RetryPolicy(jitter=0.5))
async def flaky(ctx: JobContext, *, key: str, fail_times: int) -> None:
    """Fails its first `fail_times` attempts (each attempt recorded), then writes its effect."""
    async with ctx.db.write() as session:
        await record_execution(session, key, ctx.attempt, None)
    if ctx.attempt <= fail_times:
        raise RuntimeError(f"flaky failure {ctx.attempt}")
    async with ctx.fenced() as session:
        await session.execute(
            text(
                "INSERT INTO test_effects (job_key, item, worker) VALUES (:k, 0, 'x') ON CONFLICT DO NOTHING"
            ),
            {"k": key},
        )


@task("test.permanent")
async def permanent(ctx: JobContext, *, key: str) -> None:
    async with ctx.db.write() as session:
        await record_execution(session, key, ctx.attempt, None)
    raise PermanentJobError("bad input: never retry")


@task("test.slow_result", max_attempts=10)
async def slow_result(ctx: JobContext, *, key: str, sleep: float, worker: str | None = None) -> None:
    """Sleeps, notes that it is about to commit, then OVERWRITES the result row (fenced).

    Without fencing, a frozen worker that wakes up after another worker finished
    the job would overwrite that worker's result; `writes` counts commits.
    """
    await asyncio.sleep(sleep)
    async with ctx.db.write() as session:
        await record_execution(session, key, ctx.attempt, worker)
    async with ctx.fenced() as session:
        await session.execute(
            text(
                "INSERT INTO test_results (job_key, worker, writes) VALUES (:k, :w, 1) "
                "ON CONFLICT (job_key) DO UPDATE SET worker = excluded.worker, writes = test_results.writes + 1"
            ),
            {"k": key, "w": me(worker)},
        )


@periodic("test.tick", every_seconds=0.5, dedupe=False, periodics=TEST_PERIODICS)
async def tick(ctx: JobContext, **_: Any) -> None:
    return None

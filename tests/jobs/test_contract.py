"""The job contract, run against every backend (embedded/SQLite; embedded and procrastinate on PostgreSQL).

At-least-once delivery, transactional enqueue, retries with backoff, dedupe,
exactly-once periodic firing, and fencing of zombie workers.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlalchemy import text

from talentscout.db import Database
from talentscout.jobs import FencingError
from talentscout.jobs.scheduler import Scheduler
from tests.jobs import tasks as test_tasks
from tests.jobs.conftest import JobEnv

FAKE_EPOCH = 100_000_000.0  # 1973: far from the real-time ticks


class Rollback(Exception):
    pass


async def test_enqueue_in_rolled_back_transaction_never_runs(job_env: JobEnv) -> None:
    with pytest.raises(Rollback):
        async with job_env.db.write() as session:
            await job_env.queue.enqueue(session, "test.effect", {"key": "rolled-back"})
            raise Rollback
    sentinel = await job_env.enqueue("test.effect", {"key": "committed"})
    async with job_env.worker():
        jobs = await job_env.wait_finished([sentinel])
        await asyncio.sleep(0.3)  # a stray job would have been claimed by now
    assert jobs[sentinel].status == "succeeded"
    assert await job_env.count_jobs("test.effect") == 1
    keys = [r[0] for r in await job_env.rows("SELECT DISTINCT job_key FROM test_executions")]
    assert keys == ["committed"]


async def test_committed_jobs_run_exactly_once(job_env: JobEnv) -> None:
    ids = [await job_env.enqueue("test.effect", {"key": f"k{i}", "items": 2}) for i in range(20)]
    async with job_env.worker(concurrency=4):
        jobs = await job_env.wait_finished(ids)
    assert {j.status for j in jobs.values()} == {"succeeded"}
    assert {j.attempts for j in jobs.values()} == {1}
    assert await job_env.scalar("SELECT count(*) FROM test_executions") == 20
    assert await job_env.scalar("SELECT count(*) FROM test_effects") == 40
    assert await job_env.scalar("SELECT n FROM test_totals WHERE name = 'captured'") == 40


async def test_failing_task_is_retried_with_backoff_then_failed(job_env: JobEnv) -> None:
    always = await job_env.enqueue("test.flaky", {"key": "always", "fail_times": 99})
    twice = await job_env.enqueue("test.flaky", {"key": "twice", "fail_times": 2})
    permanent = await job_env.enqueue("test.permanent", {"key": "permanent"})
    async with job_env.worker():
        jobs = await job_env.wait_finished([always, twice, permanent])

    # test.flaky has max_attempts=3.
    assert (jobs[always].status, jobs[always].attempts) == ("failed", 3)
    assert (jobs[twice].status, jobs[twice].attempts) == ("succeeded", 3)
    assert (jobs[permanent].status, jobs[permanent].attempts) == ("failed", 1)
    assert await job_env.scalar("SELECT count(*) FROM test_effects WHERE job_key = 'twice'") == 1

    # Backoff: base 0.2 s doubling, with at most 50 % jitter → gaps ≥ 0.1 s then ≥ 0.2 s.
    times = [
        r[0]
        for r in await job_env.rows("SELECT at FROM test_executions WHERE job_key = 'always' ORDER BY at")
    ]
    assert len(times) == 3
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2, gaps
    assert await job_env.scalar("SELECT count(*) FROM test_executions WHERE job_key = 'permanent'") == 1


async def test_dedupe_key_returns_the_live_job(job_env: JobEnv) -> None:
    first = await job_env.enqueue("test.effect", {"key": "d1"}, dedupe_key="run:1")
    again = await job_env.enqueue("test.effect", {"key": "d1"}, dedupe_key="run:1")
    other = await job_env.enqueue("test.effect", {"key": "d2"}, dedupe_key="run:2")
    async with job_env.db.write() as session:  # twice in one transaction
        same_tx = [
            await job_env.queue.enqueue(session, "test.effect", {"key": "d3"}, dedupe_key="run:3")
            for _ in "ab"
        ]
    assert again == first and other != first
    assert same_tx[0] == same_tx[1]

    # Concurrent enqueuers of one key (separate transactions) agree on one job.
    async def racer() -> int:
        db = Database(job_env.url)
        try:
            async with db.write() as session:
                return await job_env.queue.enqueue(session, "test.effect", {"key": "d4"}, dedupe_key="run:4")
        finally:
            await db.dispose()

    raced = await asyncio.gather(*(racer() for _ in range(5)))
    assert len(set(raced)) == 1
    assert await job_env.count_jobs("test.effect") == 4

    async with job_env.worker():
        await job_env.wait_finished([first, other, same_tx[0], raced[0]])
    # Once the job is finished the key is free again.
    later = await job_env.enqueue("test.effect", {"key": "d1"}, dedupe_key="run:1")
    assert later != first
    assert (await job_env.info(later)).status == "queued"


async def test_two_schedulers_fire_each_tick_once(job_env: JobEnv) -> None:
    spec = test_tasks.TEST_PERIODICS["test.tick"]
    interval = spec.interval(job_env.settings)
    dbs = [Database(job_env.url) for _ in range(2)]
    schedulers = [Scheduler(db, job_env.settings, periodics=test_tasks.TEST_PERIODICS) for db in dbs]
    try:
        # Deterministic: both schedulers see the same instant; only one fires it.
        t0 = (int(FAKE_EPOCH / interval) + 0.5) * interval
        fired = [await s.tick(now=t0) for s in schedulers]
        assert sorted(len(f) for f in fired) == [0, 1]
        fired = [await s.tick(now=t0 + interval) for s in reversed(schedulers)]
        assert sorted(len(f) for f in fired) == [0, 1]
        assert await job_env.count_jobs("test.tick") == 2

        # Free-running: two schedulers racing on real time for ~6 ticks.
        stop = asyncio.Event()
        runs = [asyncio.create_task(s.run(stop)) for s in schedulers]
        await asyncio.sleep(interval * 6 + 0.1)
        stop.set()
        await asyncio.gather(*runs)
    finally:
        for db in dbs:
            await db.dispose()
    ticks = [
        r[0]
        for r in await job_env.rows(
            "SELECT tick FROM job_periodic_ticks WHERE task = 'test.tick' ORDER BY tick"
        )
    ]
    live = [t for t in ticks if t > 2 * FAKE_EPOCH / interval]  # the real-time ones
    # ~7 windows elapsed; a scheduler stalled past a whole window may skip one (no catch-up by design).
    assert 4 <= len(live) <= 8, live
    # Two deterministic firings plus one job per live tick: no tick fired twice.
    # (The 1973 tick rows themselves were pruned as old.)
    assert await job_env.count_jobs("test.tick") == 2 + len(live), "a tick fired more than once"


async def test_zombie_worker_cannot_commit_or_overwrite(job_env: JobEnv) -> None:
    job_id = await job_env.enqueue("test.slow_result", {"key": "z", "sleep": 0})
    zombie = await job_env.claim("zombie")
    await zombie.expire()  # frozen past its lease; the job is taken back …
    assert (await job_env.info(job_id)).status == "queued"

    successor = await job_env.claim("successor")  # … and claimed again
    assert successor.job_id == job_id
    async with successor.ctx.fenced() as session:
        await session.execute(
            text("INSERT INTO test_results (job_key, worker, writes) VALUES ('z', 'successor', 1)")
        )
    await successor.finish(True)

    # The zombie wakes up: it can neither commit effects …
    with pytest.raises(FencingError):
        async with zombie.ctx.fenced() as session:
            await session.execute(text("UPDATE test_results SET worker = 'zombie' WHERE job_key = 'z'"))
    # … nor overwrite the job's outcome.
    await zombie.finish(False)
    job = await job_env.info(job_id)
    assert (job.status, job.attempts) == ("succeeded", 2)
    assert await job_env.rows("SELECT worker, writes FROM test_results") == [("successor", 1)]


async def test_cancel_only_affects_jobs_not_started(job_env: JobEnv) -> None:
    started = await job_env.enqueue("test.effect", {"key": "c1"})
    waiting = await job_env.enqueue("test.effect", {"key": "c2"})
    claim = await job_env.claim("w")  # oldest first
    assert claim.job_id == started
    async with job_env.db.write() as session:
        assert not await job_env.queue.cancel(session, started)
        assert await job_env.queue.cancel(session, waiting)
    assert (await job_env.info(waiting)).status == "cancelled"
    assert (await job_env.info(started)).status == "running"

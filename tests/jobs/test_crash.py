"""Real worker processes under abuse (RELIABILITY.md 12-14): SIGKILL soak, SIGSTOP zombie, SIGTERM drain.

Workers are separate OS processes configured only through TALENTSCOUT_*
variables (lease 1 s, heartbeat 0.2 s …). The drain test starts the real CLI
(`python -m talentscout.cli worker`); the others fork `python -m talentscout.jobs`'s
entry from a preloaded forkserver (`tests/jobs/forked.py`), so a dozen restarts
cost milliseconds instead of an interpreter start-up each.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import random
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from talentscout.db import utcnow
from tests.jobs.conftest import JobEnv

SQLITE_AND_PG = [
    pytest.param("embedded-sqlite", id="embedded-sqlite"),
    pytest.param("procrastinate-pg", id="procrastinate-pg", marks=pytest.mark.pg),
]


class WorkerProcess:
    """One worker subprocess that can be killed, frozen, resumed and restarted."""

    def __init__(
        self, env: JobEnv, logdir: Path, name: str, *args: str, full_cli: bool = False, **settings: Any
    ):
        self.env = env
        self.cmd = env.worker_command(*args, full_cli=full_cli)
        self.environ = env.subprocess_env(**settings)
        self.logdir = logdir
        self.name = name
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        self.starts += 1
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.cmd, env=self.environ, cwd=self.logdir, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def send(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def kill(self) -> None:
        self.send(signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(10)

    def poll(self) -> int | None:
        assert self.proc is not None
        return self.proc.poll()

    async def wait_exit(self, limit: float) -> int:
        deadline = time.monotonic() + limit
        while (code := self.poll()) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not exit within {limit}s ({self.tail()})")
            await asyncio.sleep(0.05)
        return code

    async def wait_up(self, limit: float = 45.0) -> None:
        """Until the worker has registered its heartbeat (imports done, database reachable)."""
        pid = self.pid

        async def up() -> bool:
            if (code := self.poll()) is not None:
                raise AssertionError(f"{self.name} exited with {code}: {self.tail()}")
            return bool(await self.env.scalar("SELECT count(*) FROM job_workers WHERE pid = :p", p=pid))

        await self.env.wait_until(up, limit, f"{self.name} to start")

    @property
    def log_path(self) -> Path:
        return self.logdir / f"{self.name}.{self.starts}.log"

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.send(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)


class ForkedWorker(WorkerProcess):
    """The same worker entry, started as a fork of a preloaded forkserver (cheap restarts)."""

    def __init__(self, env: JobEnv, logdir: Path, name: str, *args: str, **settings: Any):
        super().__init__(env, logdir, name, *args, **settings)
        self.argv = list(args)
        self.process: multiprocessing.process.BaseProcess | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None and self.process.pid is not None
        return self.process.pid

    def start(self) -> None:
        from tests.jobs import forked

        self.starts += 1
        environ = {k: v for k, v in self.environ.items() if k.startswith("TALENTSCOUT_")}
        self.process = forkserver().Process(
            target=forked.run_worker, args=(environ, str(self.log_path), self.argv), name=self.name
        )
        self.process.start()

    def send(self, sig: int) -> None:
        os.kill(self.pid, sig)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.join(10)

    def poll(self) -> int | None:
        assert self.process is not None
        return self.process.exitcode

    def cleanup(self) -> None:
        if self.process is not None and self.process.exitcode is None:
            self.process.kill()
            self.process.join(10)


def forkserver() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    # Only takes effect when the forkserver starts (first use in this pytest process).
    ctx.set_forkserver_preload(["tests.jobs.forked"])
    return ctx


async def enqueue_many(env: JobEnv, n: int, **args: Any) -> list[int]:
    async with env.db.write() as session:
        return [
            await env.queue.enqueue(session, "test.effect", {"key": f"j{i:04d}", **args}) for i in range(n)
        ]


async def unfinished(env: JobEnv) -> int:
    table, col = env.jobs_table
    statuses = "('queued', 'running')" if env.backend == "embedded" else "('todo', 'doing')"
    return int(
        await env.scalar(f"SELECT count(*) FROM {table} WHERE {col} = 'test.effect' AND status IN {statuses}")
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("job_env", "n_workers", "concurrency", "job_sleep"),
    [
        pytest.param("embedded-sqlite", 1, 4, 0.3, id="embedded-sqlite"),
        pytest.param("procrastinate-pg", 2, 4, 1.0, id="procrastinate-pg", marks=pytest.mark.pg),
    ],
    indirect=["job_env"],
)
async def test_sigkill_soak_every_job_done_each_effect_once(
    job_env: JobEnv, tmp_path: Path, n_workers: int, concurrency: int, job_sleep: float
) -> None:
    n_jobs, kills_wanted = 200, 12
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    ids = await enqueue_many(job_env, n_jobs, sleep=job_sleep, after=0.03)
    workers = [
        ForkedWorker(job_env, tmp_path, f"w{i}", "--concurrency", str(concurrency)) for i in range(n_workers)
    ]
    started = time.monotonic()
    mid_work_kills = 0
    try:
        for w in workers:
            w.start()
        for _ in range(kills_wanted):
            victim = rng.choice(workers)
            await victim.wait_up()
            await asyncio.sleep(rng.uniform(0.05, 0.6))
            if await unfinished(job_env):
                mid_work_kills += 1
            victim.kill()
            victim.start()
        await job_env.wait_finished(ids, limit=90)
        for w in workers:
            await w.wait_up()  # a worker still starting up has no SIGTERM handler yet
            w.send(signal.SIGTERM)
        assert [await w.wait_exit(30) for w in workers] == [0] * n_workers
    finally:
        for w in workers:
            w.cleanup()
    elapsed = time.monotonic() - started

    jobs = await job_env.wait_finished(ids, limit=1)
    assert mid_work_kills >= 10, f"only {mid_work_kills} kills landed while jobs remained (seed {seed})"
    assert {j.status for j in jobs.values()} == {"succeeded"}, f"seed {seed}"
    assert await unfinished(job_env) == 0
    # Each effect exactly once, and "credits" captured once per effect, although
    # some jobs ran more than once (their first run was killed).
    assert await job_env.scalar("SELECT count(DISTINCT job_key) FROM test_effects") == n_jobs
    assert await job_env.scalar("SELECT count(*) FROM test_effects") == n_jobs
    assert await job_env.scalar("SELECT n FROM test_totals WHERE name = 'captured'") == n_jobs
    reruns = sum(1 for j in jobs.values() if j.attempts > 1)
    assert reruns > 0, "no kill interrupted a job: the soak proved nothing"
    print(f"soak {job_env.name}: {elapsed:.1f}s, {mid_work_kills} kills, {reruns} jobs re-run, seed {seed}")


async def sqlite_write_lock_free(env: JobEnv) -> bool:
    """Whether a writer can start now (a frozen SQLite writer would block everyone)."""
    import sqlite3

    path = env.url.split("///", 1)[1]
    conn = sqlite3.connect(path, timeout=0.3, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


async def freeze(env: JobEnv, w: WorkerProcess) -> None:
    """SIGSTOP `w`, but never in the middle of one of its SQLite write transactions.

    A frozen process holding SQLite's write lock stalls every writer until it
    resumes (a property of the embedded mode, not of fencing, which is what we test).
    """
    for _ in range(20):
        w.send(signal.SIGSTOP)
        if env.backend != "embedded" or "sqlite" not in env.url or await sqlite_write_lock_free(env):
            return
        w.send(signal.SIGCONT)
        await asyncio.sleep(0.05)
    raise AssertionError("could not freeze the worker outside a write transaction")


@pytest.mark.slow
@pytest.mark.parametrize("job_env", SQLITE_AND_PG, indirect=True)
async def test_sigstopped_zombie_cannot_overwrite_successor(job_env: JobEnv, tmp_path: Path) -> None:
    job_id = await job_env.enqueue("test.slow_result", {"key": "z", "sleep": 2.0})
    zombie = ForkedWorker(job_env, tmp_path, "zombie", "--concurrency", "1")
    successor = ForkedWorker(job_env, tmp_path, "successor", "--concurrency", "1")
    try:
        zombie.start()
        await job_env.wait_until(lambda: _status_is(job_env, job_id, "running"), 45, "the zombie to claim")
        await freeze(job_env, zombie)
        successor.start()
        await job_env.wait_until(
            lambda: _status_is(job_env, job_id, "succeeded"), 45, "the successor to finish"
        )
        assert await job_env.rows("SELECT worker, writes FROM test_results") == [(f"pid:{successor.pid}", 1)]

        zombie.send(signal.SIGCONT)

        async def zombie_tried() -> bool:
            return bool(
                await job_env.scalar(
                    "SELECT count(*) FROM test_executions WHERE worker = :w", w=f"pid:{zombie.pid}"
                )
            )

        # The zombie's sleep is over: it reaches its commit …
        await job_env.wait_until(zombie_tried, 20, "the zombie to resume")
        await asyncio.sleep(1.0)
        # … and is fenced out: the successor's result and the job's outcome stand.
        assert await job_env.rows("SELECT worker, writes FROM test_results") == [(f"pid:{successor.pid}", 1)]
        job = await job_env.info(job_id)
        assert (job.status, job.attempts) == ("succeeded", 2)

        for w in (zombie, successor):
            w.send(signal.SIGTERM)
        assert await zombie.wait_exit(30) == 0
        assert await successor.wait_exit(30) == 0
    finally:
        zombie.cleanup()
        successor.cleanup()


async def _status_is(env: JobEnv, job_id: int, status: str) -> bool:
    return (await env.info(job_id)).status == status


@pytest.mark.slow
@pytest.mark.parametrize("job_env", SQLITE_AND_PG, indirect=True)
async def test_sigterm_finishes_in_flight_work_and_stops_claiming(job_env: JobEnv, tmp_path: Path) -> None:
    running = await job_env.enqueue("test.slow_result", {"key": "g1", "sleep": 1.5})
    w = WorkerProcess(
        job_env, tmp_path, "cli", "--concurrency", "2", full_cli=True, worker_shutdown_grace_seconds=20
    )
    try:
        w.start()
        await job_env.wait_until(lambda: _status_is(job_env, running, "running"), 45, "the worker to claim")
        # Becomes runnable while the worker drains (g1 runs 1.5 s): it must not be claimed.
        later = await job_env.enqueue("test.effect", {"key": "g2"}, run_at=utcnow() + timedelta(seconds=0.5))
        w.send(signal.SIGTERM)
        assert await w.wait_exit(30) == 0
    finally:
        w.cleanup()
    assert (await job_env.info(running)).status == "succeeded"
    assert await job_env.rows("SELECT job_key, writes FROM test_results") == [("g1", 1)]
    later_job = await job_env.info(later)
    assert (later_job.status, later_job.attempts) == ("queued", 0)
    assert await job_env.scalar("SELECT count(*) FROM job_workers") == 0, (
        "a stopped worker left its heartbeat"
    )


@pytest.mark.slow
@pytest.mark.parametrize("job_env", SQLITE_AND_PG, indirect=True)
async def test_sigterm_past_grace_releases_the_job(job_env: JobEnv, tmp_path: Path) -> None:
    job_id = await job_env.enqueue("test.slow_result", {"key": "g3", "sleep": 60})
    w = ForkedWorker(
        job_env, tmp_path, "short-grace", "--concurrency", "1", worker_shutdown_grace_seconds=0.5
    )
    try:
        w.start()
        await job_env.wait_until(lambda: _status_is(job_env, job_id, "running"), 45, "the worker to claim")
        stopped_at = time.monotonic()
        w.send(signal.SIGTERM)
        assert await w.wait_exit(30) == 0
        assert time.monotonic() - stopped_at < 15
    finally:
        w.cleanup()
    job = await job_env.info(job_id)
    # Released straight back to the queue (no lease to wait out), nothing committed.
    assert (job.status, job.attempts) == ("queued", 1)
    assert await job_env.scalar("SELECT count(*) FROM test_results") == 0
    assert await job_env.scalar(f"SELECT count(*) FROM {job_env.jobs_table[0]}") == 1

"""Job-system fixtures: a `JobEnv` per backend, so one contract suite runs on all of them.

Backends: embedded on SQLite (always), embedded on PostgreSQL and procrastinate
on PostgreSQL (`pg` marker; mandatory in CI). Timings are scaled down through
Settings (lease 1 s, heartbeat 0.2 s …) so crash recovery happens in seconds.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, text, update

from talentscout.config import Settings
from talentscout.db import Database, utcnow
from talentscout.jobs import JobContext, JobInfo, JobQueue, queue_for
from talentscout.jobs.embedded import EmbeddedRunner, check_fence, reap
from talentscout.jobs.models import FAILED, SUCCEEDED, Job
from talentscout.jobs.worker import Worker
from talentscout.migrate import upgrade_async
from tests.conftest import make_settings
from tests.jobs import tasks as test_tasks

REPO_ROOT = Path(__file__).resolve().parents[2]
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})

FAST: dict[str, Any] = {
    "job_lease_seconds": 1.0,
    "job_heartbeat_seconds": 0.2,
    "job_poll_seconds": 0.05,
    "job_reap_interval_seconds": 0.2,
    "job_retry_base_seconds": 0.2,
    "job_retry_max_seconds": 2.0,
    "worker_concurrency": 4,
    "scheduler_tick_seconds": 0.05,
    "worker_shutdown_grace_seconds": 5.0,
    "worker_heartbeat_stale_seconds": 5.0,
    "job_import_paths": ["tests.jobs.tasks"],
}

BACKENDS = [
    pytest.param("embedded-sqlite", id="embedded-sqlite"),
    pytest.param("embedded-pg", id="embedded-pg", marks=pytest.mark.pg),
    pytest.param("procrastinate-pg", id="procrastinate-pg", marks=pytest.mark.pg),
]


@dataclass
class Claim:
    """A job held by a hand-driven "worker", to stage zombie scenarios."""

    job_id: int
    ctx: JobContext
    finish: Callable[[bool], Awaitable[None]]
    expire: Callable[[], Awaitable[None]]


@dataclass
class JobEnv:
    name: str
    url: str
    settings: Settings
    db: Database
    queue: JobQueue
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def backend(self) -> str:
        return self.name.split("-")[0]

    @property
    def jobs_table(self) -> tuple[str, str]:
        return ("jobs", "task") if self.backend == "embedded" else ("procrastinate_jobs", "task_name")

    async def enqueue(self, task_name: str, args: dict[str, Any] | None = None, **kw: Any) -> int:
        async with self.db.write() as session:
            return await self.queue.enqueue(session, task_name, args, **kw)

    async def info(self, job_id: int) -> JobInfo:
        async with self.db.read() as session:
            job = await self.queue.get(session, job_id)
        assert job is not None, f"job {job_id} not found"
        return job

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.db.read() as session:
            return (await session.execute(text(sql), params)).scalar()

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.db.read() as session:
            return list((await session.execute(text(sql), params)).all())

    async def count_jobs(self, task_name: str) -> int:
        table, col = self.jobs_table
        return int(await self.scalar(f"SELECT count(*) FROM {table} WHERE {col} = :t", t=task_name))

    async def wait_until(self, pred: Callable[[], Awaitable[bool]], limit: float, what: str = "") -> None:
        deadline = time.monotonic() + limit
        while not await pred():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {limit}s waiting for {what or pred}")
            await asyncio.sleep(0.05)

    async def infos(self, ids: Iterable[int]) -> dict[int, JobInfo]:
        """Many jobs in one query (polling job by job would load the database under test)."""
        table, col = self.jobs_table
        stmt = text(f"SELECT id, {col}, status, attempts FROM {table} WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        async with self.db.read() as session:
            rows = (await session.execute(stmt, {"ids": list(ids)})).all()
        names = {"todo": "queued", "doing": "running", "aborted": "cancelled"}
        return {
            int(r[0]): JobInfo(
                id=int(r[0]), task=r[1], status=names.get(str(r[2]), str(r[2])), attempts=r[3], args={}
            )
            for r in rows
        }

    async def wait_finished(self, ids: Iterable[int], limit: float = 30.0) -> dict[int, JobInfo]:
        ids = list(ids)
        result: dict[int, JobInfo] = {}

        async def done() -> bool:
            result.update(await self.infos(ids))
            return len(result) == len(ids) and all(j.status in TERMINAL for j in result.values())

        await self.wait_until(done, limit, f"{len(ids)} jobs to finish")
        return result

    @asynccontextmanager
    async def worker(self, **kw: Any) -> AsyncIterator[Worker]:
        worker = Worker(self.settings, **kw)
        task = asyncio.create_task(worker.run())
        try:
            await asyncio.wait_for(worker.started.wait(), 30)
            yield worker
        finally:
            worker.stop()
            await asyncio.wait_for(task, 60)

    async def claim(self, worker_name: str) -> Claim:
        """Claim the next job as `worker_name`, without running it."""
        if self.backend == "embedded":
            return await self._claim_embedded(worker_name)
        return await self._claim_procrastinate(worker_name)

    async def _claim_embedded(self, worker_name: str) -> Claim:
        runner = EmbeddedRunner(
            self.db, self.settings, worker_id=worker_name, concurrency=1, queue=self.queue
        )
        claimed = await runner.claim()
        assert claimed is not None, "nothing to claim"
        ctx = self._ctx(
            claimed.id, claimed.task, claimed.attempt, partial(check_fence, claimed.id, claimed.fence)
        )

        async def finish(ok: bool) -> None:
            await runner.settle(claimed, SUCCEEDED if ok else FAILED, error=None if ok else "boom")

        async def expire() -> None:
            # The worker froze: its lease runs out and the reaper takes the job back.
            async with self.db.write() as session:
                await session.execute(
                    update(Job)
                    .where(Job.id == claimed.id)
                    .values(lease_expires_at=utcnow() - timedelta(hours=1))
                    .execution_options(synchronize_session=False)
                )
            await reap(self.db, self.settings)

        return Claim(claimed.id, ctx, finish, expire)

    async def _claim_procrastinate(self, worker_name: str) -> Claim:
        from procrastinate import jobs as pjobs

        from talentscout.jobs import pg

        app = await self._procrastinate_app()
        worker_id = await app.job_manager.register_worker()
        job = await app.job_manager.fetch_job(None, worker_id)
        assert job is not None and job.id is not None, "nothing to claim"
        job_id = job.id
        ctx = self._ctx(
            job_id,
            job.task_name,
            job.attempts + 1,
            partial(pg.check_fence, job_id, job.worker_id, job.attempts),
        )

        async def finish(ok: bool) -> None:
            status = pjobs.Status.SUCCEEDED if ok else pjobs.Status.FAILED
            await app.job_manager.finish_job(job, status, delete_job=False)

        async def expire() -> None:
            # The worker froze: its heartbeat goes stale and the stalled-job recovery re-queues.
            async with self.db.write() as session:
                await session.execute(
                    text(
                        "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' WHERE id = :w"
                    ),
                    {"w": worker_id},
                )
            await pg.retry_stalled(app, self.settings)

        return Claim(job_id, ctx, finish, expire)

    async def _procrastinate_app(self) -> Any:
        from talentscout.jobs import pg

        if not hasattr(self, "_papp"):
            app = pg.build_app(self.settings)
            await app.open_async()
            self._papp = app
            self._closers.append(app.close_async)
        return self._papp

    def _ctx(self, job_id: int, task_name: str, attempt: int, fence: Any) -> JobContext:
        return JobContext(
            db=self.db,
            settings=self.settings,
            queue=self.queue,
            job_id=job_id,
            task_name=task_name,
            attempt=attempt,
            max_attempts=10,
            _fence=fence,
        )

    def subprocess_env(self, **overrides: Any) -> dict[str, str]:
        """Environment for a worker subprocess: same database and fast timings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TALENTSCOUT_")}
        values: dict[str, Any] = {
            **FAST,
            "env": "test",
            "database_url": self.url,
            "job_backend": self.backend,
            "log_level": "WARNING",
            "demo_profiles": 0,
            **overrides,
        }
        for key, value in values.items():
            env[f"TALENTSCOUT_{key.upper()}"] = (
                "[" + ",".join(f'"{v}"' for v in value) + "]" if isinstance(value, list) else str(value)
            )
        env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        return env

    @staticmethod
    def worker_command(*args: str, full_cli: bool = False) -> list[str]:
        module = "talentscout.cli" if full_cli else "talentscout.jobs"
        return [sys.executable, "-m", module, *(["worker"] if full_cli else []), *args]

    async def close(self) -> None:
        for close in reversed(self._closers):
            await close()
        await self.db.dispose()


async def make_env(name: str, url: str) -> JobEnv:
    # Only the job tables: these tests must not depend on other features' migrations.
    await upgrade_async(url, "0002")
    backend = name.split("-")[0]
    settings = make_settings(url, job_backend=backend, **FAST)
    db = Database(url)
    await test_tasks.create_tables(db)
    return JobEnv(name=name, url=url, settings=settings, db=db, queue=queue_for(settings))


@pytest.fixture(params=BACKENDS)
async def job_env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JobEnv]:
    name: str = request.param
    url = (
        request.getfixturevalue("pg_url")
        if name.endswith("-pg")
        else f"sqlite+aiosqlite:///{tmp_path}/jobs.db"
    )
    env = await make_env(name, url)
    try:
        yield env
    finally:
        await env.close()

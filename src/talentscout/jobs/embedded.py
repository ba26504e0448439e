"""The embedded backend: a `jobs` table in the application database, claimed with leases.

Owns enqueue (`EmbeddedQueue`) and execution (`EmbeddedRunner`) for the default
single-process deployment (SQLite); it also runs on PostgreSQL, which the
test-suite uses to exercise `FOR UPDATE SKIP LOCKED`.

Protocol, and why each step exists:

- claim: one short write transaction flips the oldest runnable job to `running`,
  bumps `attempts` and the fencing token `fence`, and sets a lease
  (`lease_owner`, `lease_expires_at`). SQLite serialises writers (`BEGIN
  IMMEDIATE`); PostgreSQL uses `FOR UPDATE SKIP LOCKED` so workers never wait
  on each other's candidate row.
- heartbeat: while a task runs, its lease is extended every
  `job_heartbeat_seconds`, but only if the token is still ours.
- reaper: a job whose lease expired (its worker crashed or froze) goes back to
  `queued`, or to `failed` once it has used all its attempts.
- fencing: the task's own transaction calls `ctx.fence(session)`, which
  touches the job row only if the token is unchanged, so a frozen worker that
  wakes up after being reaped cannot commit; finishing a job is conditional on
  the token too, so it cannot overwrite the outcome of the worker that took over.
- retries: exponential backoff with jitter up to `max_attempts`.

On SQLite a process frozen (SIGSTOP, swapped out) in the middle of a write
transaction holds the database's single write lock, so every writer waits
(`busy_timeout`) until it resumes; fencing still guarantees it cannot commit
stale work afterwards. PostgreSQL has no such global lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

import structlog
from sqlalchemy import Select, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.config import Settings
from talentscout.db import Database, utcnow
from talentscout.jobs.models import (
    ACTIVE_PREDICATE,
    ACTIVE_STATUSES,
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    Job,
    WorkerHeartbeat,
)
from talentscout.jobs.queue import Backend, JobInfo, JobQueue, encode_args
from talentscout.jobs.registry import (
    REGISTRY,
    FencingError,
    JobContext,
    PermanentJobError,
    Registry,
    TaskSpec,
)
from talentscout.observability import JOB_LAG, JOBS_FINISHED

log = structlog.get_logger(__name__)


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """`INSERT` with the dialect's `ON CONFLICT` support (SQLite and PostgreSQL share the syntax)."""
    name = session.get_bind().dialect.name
    return postgresql.insert(table) if name == "postgresql" else sqlite.insert(table)


def rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]


class EmbeddedQueue:
    """`JobQueue` on the `jobs` table."""

    backend: Backend = "embedded"

    def __init__(self, settings: Settings, registry: Registry | None = None) -> None:
        self.settings = settings
        self.registry = registry or REGISTRY

    async def enqueue(
        self,
        session: AsyncSession,
        task_name: str,
        args: dict[str, Any] | None = None,
        *,
        dedupe_key: str | None = None,
        run_at: datetime | None = None,
    ) -> int:
        payload = encode_args(task_name, args)
        spec = self.registry.get(task_name)
        now = utcnow()
        values: dict[str, Any] = {
            "task": task_name,
            "queue": spec.queue if spec else "default",
            "args": payload,
            "status": QUEUED,
            "attempts": 0,
            "max_attempts": spec.attempts_allowed(self.settings) if spec else self.settings.job_max_attempts,
            "run_at": run_at or now,
            "fence": 0,
            "dedupe_key": dedupe_key,
            "created_at": now,
            "updated_at": now,
        }
        if dedupe_key is None:
            return int((await session.execute(insert(Job).values(**values).returning(Job.id))).scalar_one())
        stmt = (
            dialect_insert(session, Job)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[Job.dedupe_key], index_where=text(ACTIVE_PREDICATE))
            .returning(Job.id)
        )
        # ON CONFLICT keeps the caller's transaction healthy (no IntegrityError to roll back);
        # the loop covers the active job finishing between our insert and our select.
        for _ in range(5):
            new_id = (await session.execute(stmt)).scalar_one_or_none()
            if new_id is not None:
                return int(new_id)
            existing = (
                await session.execute(
                    select(Job.id)
                    .where(Job.dedupe_key == dedupe_key, Job.status.in_(ACTIVE_STATUSES))
                    .limit(1)
                )
            ).scalar_one_or_none()
            if existing is not None:
                return int(existing)
        raise RuntimeError(f"could not enqueue {task_name!r} with dedupe key {dedupe_key!r}")

    async def get(self, session: AsyncSession, job_id: int) -> JobInfo | None:
        job = (await session.execute(select(Job).where(Job.id == job_id))).scalar_one_or_none()
        if job is None:
            return None
        return JobInfo(
            id=job.id, task=job.task, status=job.status, attempts=job.attempts, args=dict(job.args)
        )

    async def cancel(self, session: AsyncSession, job_id: int) -> bool:
        now = utcnow()
        result = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == QUEUED)
            .values(status=CANCELLED, finished_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def depth(self, session: AsyncSession) -> dict[str, int]:
        rows = await session.execute(
            select(Job.task, func.count()).where(Job.status == QUEUED).group_by(Job.task)
        )
        return {str(task): int(n) for task, n in rows.all()}


@dataclass
class Claimed:
    """A job this worker holds, with the fencing token it was claimed under."""

    id: int
    task: str
    args: dict[str, Any]
    attempt: int
    max_attempts: int
    fence: int
    run_at: datetime
    claimed_at: datetime
    lease_lost: bool = False
    task_handle: asyncio.Task[None] | None = field(default=None, repr=False)
    shutting_down: bool = False


async def check_fence(job_id: int, token: int, session: AsyncSession) -> None:
    """Raise `FencingError` unless `token` is still the job's current claim.

    A no-op UPDATE rather than a SELECT: on PostgreSQL it row-locks the job until
    the task's transaction ends, so the reaper cannot re-queue the job between
    this check and the commit (on SQLite the write transaction already excludes it).
    """
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.fence == token, Job.status == RUNNING)
        .values(fence=Job.fence)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise FencingError(f"job {job_id}: claim {token} is no longer current")


class EmbeddedRunner:
    """Claims and runs jobs from the `jobs` table with up to `concurrency` in flight."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        worker_id: str,
        concurrency: int,
        queue: JobQueue,
        registry: Registry | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.worker_id = worker_id
        self.concurrency = max(1, concurrency)
        self.queue = queue
        self.registry = registry or REGISTRY
        self.inflight: dict[int, Claimed] = {}
        self._force = asyncio.Event()

    @property
    def running(self) -> int:
        return len(self.inflight)

    def force_stop(self) -> None:
        """Stop waiting for in-flight jobs: release them now."""
        self._force.set()

    # ------------------------------------------------------------------ claim

    async def claim(self) -> Claimed | None:
        now = utcnow()
        lease = timedelta(seconds=self.settings.job_lease_seconds)
        cand = Job.__table__.alias("cand")
        # An alias, so the subquery is not correlated into the outer UPDATE.
        candidate: Select[Any] = (
            select(cand.c.id)
            .where(cand.c.status == QUEUED, cand.c.run_at <= now)
            .order_by(cand.c.run_at, cand.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(Job)
            .where(Job.id == candidate.scalar_subquery(), Job.status == QUEUED)
            .values(
                status=RUNNING,
                attempts=Job.attempts + 1,
                fence=Job.fence + 1,
                lease_owner=self.worker_id,
                lease_expires_at=now + lease,
                started_at=now,
                updated_at=now,
            )
            .returning(Job.id, Job.task, Job.args, Job.attempts, Job.max_attempts, Job.fence, Job.run_at)
            .execution_options(synchronize_session=False)
        )
        async with self.db.write() as session:
            row = (await session.execute(stmt)).first()
        if row is None:
            return None
        job = Claimed(
            id=int(row.id),
            task=str(row.task),
            args=dict(row.args or {}),
            attempt=int(row.attempts),
            max_attempts=int(row.max_attempts),
            fence=int(row.fence),
            run_at=row.run_at,
            claimed_at=now,
        )
        JOB_LAG.labels(job.task).observe(max(0.0, (now - job.run_at).total_seconds()))
        return job

    # ------------------------------------------------------------------ run loop

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and execute until `stop` is set, then drain (see `_drain`)."""
        maintenance = [
            asyncio.create_task(self._lease_loop(), name="jobs-lease-heartbeat"),
            asyncio.create_task(self._reap_loop(), name="jobs-reaper"),
        ]
        try:
            while not stop.is_set():
                if len(self.inflight) >= self.concurrency:
                    await self._wait_for_slot(stop)
                    continue
                try:
                    job = await self.claim()
                except Exception as exc:  # database busy or down: back off, keep the worker alive
                    log.warning("jobs.claim_failed", error=error_text(exc))
                    await sleep_or_stop(stop, self.settings.job_poll_seconds * 5)
                    continue
                if job is None:
                    await sleep_or_stop(stop, self.settings.job_poll_seconds)
                    continue
                job.task_handle = asyncio.create_task(self._execute(job), name=f"job-{job.id}")
                self.inflight[job.id] = job
                job.task_handle.add_done_callback(partial(self._forget, job.id))
        finally:
            await self._drain()
            for t in maintenance:
                t.cancel()
            await asyncio.gather(*maintenance, return_exceptions=True)

    def _forget(self, job_id: int, _task: asyncio.Task[None]) -> None:
        self.inflight.pop(job_id, None)

    async def _wait_for_slot(self, stop: asyncio.Event) -> None:
        waiters: list[asyncio.Task[Any]] = [j.task_handle for j in self.inflight.values() if j.task_handle]
        stopper = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([*waiters, stopper], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()

    async def _drain(self) -> None:
        """Graceful stop: let in-flight jobs finish for the grace period, then release them.

        Released jobs go back to `queued` (only if still ours) so another worker
        picks them up at once instead of waiting for the lease to expire.
        """
        if not self.inflight:
            return
        handles = [j.task_handle for j in self.inflight.values() if j.task_handle is not None]
        log.info("jobs.worker_draining", in_flight=len(handles))
        all_done: asyncio.Future[Any] = asyncio.gather(*handles, return_exceptions=True)
        forcer: asyncio.Future[Any] = asyncio.create_task(self._force.wait())
        await asyncio.wait(
            [all_done, forcer],
            timeout=self.settings.worker_shutdown_grace_seconds,
            return_when=asyncio.FIRST_COMPLETED,
        )
        forcer.cancel()
        remaining = [
            j for j in self.inflight.values() if j.task_handle is not None and not j.task_handle.done()
        ]
        for job in remaining:
            job.shutting_down = True
            assert job.task_handle is not None
            job.task_handle.cancel()
        if remaining:
            await asyncio.gather(*(j.task_handle for j in remaining if j.task_handle), return_exceptions=True)

    # ------------------------------------------------------------------ execute

    async def _execute(self, job: Claimed) -> None:
        spec = self.registry.get(job.task)
        if spec is None:
            await self.settle(job, FAILED, error=f"unknown task {job.task!r} (is its module imported?)")
            return
        ctx = JobContext(
            db=self.db,
            settings=self.settings,
            queue=self.queue,
            job_id=job.id,
            task_name=job.task,
            attempt=job.attempt,
            max_attempts=spec.attempts_allowed(self.settings),
            _fence=partial(check_fence, job.id, job.fence),
        )
        structlog.contextvars.bind_contextvars(job_id=job.id, task=job.task)
        try:
            await spec.fn(ctx, **job.args)
        except asyncio.CancelledError:
            if job.shutting_down:
                await self.settle(job, QUEUED, error="released by a stopping worker", outcome="released")
                return
            raise
        except FencingError as exc:
            # Someone else owns the job now; its outcome is theirs to record.
            log.warning("jobs.fenced_out", job_id=job.id, error=str(exc))
            JOBS_FINISHED.labels(job.task, "fenced").inc()
        except PermanentJobError as exc:
            await self.settle(job, FAILED, error=error_text(exc))
        except Exception as exc:
            await self._after_failure(job, spec, exc)
        else:
            await self.settle(job, SUCCEEDED)
        finally:
            structlog.contextvars.unbind_contextvars("job_id", "task")

    async def _after_failure(self, job: Claimed, spec: TaskSpec, exc: Exception) -> None:
        allowed = spec.attempts_allowed(self.settings)
        if job.attempt >= allowed:
            log.error("jobs.failed", job_id=job.id, task=job.task, attempt=job.attempt, error=error_text(exc))
            await self.settle(job, FAILED, error=error_text(exc))
            return
        delay = spec.retry.delay(job.attempt, self.settings)
        log.warning(
            "jobs.retrying",
            job_id=job.id,
            task=job.task,
            attempt=job.attempt,
            delay=delay,
            error=error_text(exc),
        )
        await self.settle(job, QUEUED, error=error_text(exc), delay=delay, outcome="retried")

    async def settle(
        self,
        job: Claimed,
        status: str,
        *,
        error: str | None = None,
        delay: float = 0.0,
        outcome: str | None = None,
    ) -> None:
        """Record the outcome, only if our claim is still current (fenced finish)."""
        now = utcnow()
        values: dict[str, Any] = {
            "status": status,
            "lease_owner": None,
            "lease_expires_at": None,
            "last_error": error,
            "updated_at": now,
        }
        if status == QUEUED:
            values["run_at"] = now + timedelta(seconds=delay)
        else:
            values["finished_at"] = now
        stmt = (
            update(Job)
            .where(Job.id == job.id, Job.fence == job.fence, Job.status == RUNNING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        outcome = outcome or status
        updated = 0
        for attempt in range(3):
            try:
                async with self.db.write() as session:
                    updated = rowcount(await session.execute(stmt))
                break
            except Exception as exc:  # transient (locked, connection reset): the lease will cover us
                if attempt == 2:
                    log.error("jobs.settle_failed", job_id=job.id, error=error_text(exc))
                    return
                await asyncio.sleep(0.1 * (attempt + 1))
        if updated != 1:
            log.warning("jobs.outcome_discarded", job_id=job.id, task=job.task, outcome=outcome)
            outcome = "fenced"
        JOBS_FINISHED.labels(job.task, outcome).inc()

    # ------------------------------------------------------------------ maintenance

    async def _lease_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.job_heartbeat_seconds)
            try:
                await self.extend_leases()
            except Exception as exc:
                log.warning("jobs.lease_extend_failed", error=error_text(exc))

    async def extend_leases(self) -> None:
        jobs = [j for j in self.inflight.values() if not j.lease_lost]
        if not jobs:
            return
        now = utcnow()
        expires = now + timedelta(seconds=self.settings.job_lease_seconds)
        async with self.db.write() as session:
            for job in jobs:
                result = await session.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.fence == job.fence, Job.status == RUNNING)
                    .values(lease_expires_at=expires, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
                if rowcount(result) != 1:
                    # The job was reaped (we were frozen past the lease). The task may still be
                    # running; its fence check will stop it from committing.
                    job.lease_lost = True
                    log.warning("jobs.lease_lost", job_id=job.id, task=job.task)

    async def _reap_loop(self) -> None:
        while True:
            try:
                await reap(self.db, self.settings)
            except Exception as exc:
                log.warning("jobs.reap_failed", error=error_text(exc))
            await asyncio.sleep(self.settings.job_reap_interval_seconds)


async def reap(db: Database, settings: Settings) -> int:
    """Requeue (or fail, when out of attempts) running jobs whose lease expired; prune dead workers."""
    now = utcnow()
    expired = (Job.status == RUNNING, Job.lease_expires_at < now)
    cleared: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None, "updated_at": now}
    async with db.write() as session:
        failed = rowcount(
            await session.execute(
                update(Job)
                .where(*expired, Job.attempts >= Job.max_attempts)
                .values(status=FAILED, finished_at=now, last_error="lease expired: worker lost", **cleared)
                .execution_options(synchronize_session=False)
            )
        )
        requeued = rowcount(
            await session.execute(
                update(Job)
                .where(*expired)
                .values(status=QUEUED, run_at=now, last_error="lease expired: worker lost", **cleared)
                .execution_options(synchronize_session=False)
            )
        )
        horizon = now - timedelta(seconds=max(3600.0, 10 * settings.worker_heartbeat_stale_seconds))
        await session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_seen < horizon))
    if failed or requeued:
        log.warning("jobs.reaped", requeued=requeued, failed=failed)
    return failed + requeued


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake up as soon as `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)

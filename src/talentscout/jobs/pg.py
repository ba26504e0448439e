"""The PostgreSQL backend: procrastinate runs the registry's tasks.

Why procrastinate: it is a maintained PostgreSQL job engine (`FOR UPDATE SKIP
LOCKED` fetch, LISTEN/NOTIFY wake-ups, retries, worker heartbeats), so the
distributed mode does not grow a second home-made queue. This module owns the
glue:

- `ProcrastinateQueue.enqueue` calls `procrastinate_defer_jobs_v1` through the
  CALLER'S SQLAlchemy session, so the job commits or rolls back with the
  caller's transaction. `dedupe_key` is stored as procrastinate's
  `queueing_lock`; because that lock only covers `todo` jobs, enqueue also
  checks `doing` jobs under a transaction-scoped advisory lock, which gives the
  embedded backend's semantics (one queued-or-running job per key).
- Stalled jobs: procrastinate workers heartbeat into `procrastinate_workers`;
  every worker runs a loop that retries jobs whose worker's heartbeat is older
  than `job_lease_seconds` (procrastinate's documented `get_stalled_jobs` +
  `retry_job` recipe), failing them instead when out of attempts.
- Fencing: a job's claim is identified by (`worker_id`, `attempts`) of the row
  when it was fetched: every re-queue increments `attempts` and every fetch
  sets `worker_id`, and pruning a dead worker nulls it. `ctx.fence(session)`
  row-locks the job and checks both inside the task's transaction, and
  `FencedJobManager` makes procrastinate's finish/retry calls compare-and-set
  on them, so a worker that was frozen past its heartbeat and then resumed
  can neither commit effects nor overwrite the outcome recorded by the worker
  that took over.

The schema is procrastinate's own `schema.sql` from the installed package,
applied by migration 0002 on PostgreSQL only. Upgrading procrastinate needs a
migration applying its `sql/migrations` deltas.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog
from procrastinate import App, BaseRetryStrategy, PsycopgConnector
from procrastinate import JobContext as ProcrastinateContext
from procrastinate import exceptions as pexc
from procrastinate import jobs as pjobs
from procrastinate import manager as pmanager
from procrastinate.retry import RetryDecision
from procrastinate.schema import SchemaManager
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.config import Settings
from talentscout.db import Database, normalize_url, utcnow
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

CONTEXT_KEY = "talentscout"
_STATUS = {
    "todo": "queued",
    "doing": "running",
    "succeeded": "succeeded",
    "failed": "failed",
    "cancelled": "cancelled",
    "aborting": "running",
    "aborted": "cancelled",
}

_DEFER = text(
    """
    SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[CAST(ROW(
        CAST(:queue AS varchar), CAST(:task AS varchar), 0, CAST(NULL AS text),
        CAST(:qlock AS text), CAST(:args AS jsonb),
        COALESCE(CAST(:run_at AS timestamptz), now())
    ) AS procrastinate_job_to_defer_v1)])) AS id
    """
)
_ACTIVE_WITH_KEY = text(
    "SELECT id FROM procrastinate_jobs WHERE queueing_lock = :key AND status IN ('todo', 'doing') "
    "ORDER BY id LIMIT 1"
)
_DEDUPE_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_FENCE = text(
    "SELECT id FROM procrastinate_jobs WHERE id = :id AND status = 'doing' "
    "AND worker_id = :worker_id AND attempts = :attempts FOR UPDATE"
)

# Compare-and-set wrappers around procrastinate's own finish/retry functions.
_OWNED = """
    WITH owned AS MATERIALIZED (
        SELECT id FROM procrastinate_jobs
         WHERE id = %(job_id)s AND status = 'doing'
           AND worker_id IS NOT DISTINCT FROM %(worker_id)s::bigint
           AND attempts = %(attempts)s
         FOR UPDATE
    )
"""
_FINISH_FENCED = (
    _OWNED
    + """
    SELECT owned.id, procrastinate_finish_job_v1(
        owned.id, %(status)s::procrastinate_job_status, %(delete_job)s) AS done
      FROM owned
"""
)
_RETRY_FENCED = (
    _OWNED
    + """
    SELECT owned.id, procrastinate_retry_job_v2(
        owned.id, %(retry_at)s::timestamptz, %(new_priority)s::integer,
        %(new_queue_name)s::varchar, %(new_lock)s::varchar) AS done
      FROM owned
"""
)


def conninfo(url: str) -> str:
    """libpq URL for psycopg from the SQLAlchemy URL."""
    return make_url(normalize_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def schema_sql() -> str:
    """procrastinate's schema for the installed version (applied by migration 0002)."""
    return str(SchemaManager.get_schema())


# Dropped in dependency order by migration 0002's downgrade; functions and types are
# found by name so the list survives procrastinate adding functions.
DROP_SCHEMA_SQL = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
    procrastinate_jobs, procrastinate_workers CASCADE;
DO $$
DECLARE fn regprocedure;
BEGIN
    FOR fn IN SELECT p.oid::regprocedure FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE p.proname LIKE 'procrastinate\\_%' AND n.nspname = current_schema()
    LOOP
        EXECUTE 'DROP FUNCTION IF EXISTS ' || fn || ' CASCADE';
    END LOOP;
END;
$$;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status CASCADE;
"""


class ProcrastinateQueue:
    """`JobQueue` on procrastinate's tables, written through the caller's session."""

    backend: Backend = "procrastinate"

    def __init__(self, registry: Registry | None = None) -> None:
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
        if dedupe_key is not None:
            # Serialise enqueuers of the same key until commit, then look for a live job.
            await session.execute(_DEDUPE_LOCK, {"key": "talentscout.jobs:" + dedupe_key})
            existing = (await session.execute(_ACTIVE_WITH_KEY, {"key": dedupe_key})).scalar_one_or_none()
            if existing is not None:
                return int(existing)
        spec = self.registry.get(task_name)
        # scheduled_at is always set (now() by default) so claim lag = fetch time - scheduled_at.
        row = await session.execute(
            _DEFER,
            {
                "queue": spec.queue if spec else "default",
                "task": task_name,
                "qlock": dedupe_key,
                "args": json.dumps(payload),
                "run_at": run_at,
            },
        )
        return int(row.scalar_one())

    async def get(self, session: AsyncSession, job_id: int) -> JobInfo | None:
        row = (
            await session.execute(
                text(
                    "SELECT id, task_name, status::text AS status, attempts, args FROM procrastinate_jobs WHERE id = :id"
                ),
                {"id": job_id},
            )
        ).first()
        if row is None:
            return None
        return JobInfo(
            id=int(row.id),
            task=str(row.task_name),
            status=_STATUS.get(str(row.status), str(row.status)),
            attempts=int(row.attempts),
            args=dict(row.args or {}),
        )

    async def cancel(self, session: AsyncSession, job_id: int) -> bool:
        result = await session.execute(
            text("SELECT procrastinate_cancel_job_v1(:id, false, false) AS id"), {"id": job_id}
        )
        return result.scalar_one_or_none() is not None

    async def depth(self, session: AsyncSession) -> dict[str, int]:
        rows = await session.execute(
            text(
                "SELECT task_name, count(*) FROM procrastinate_jobs WHERE status = 'todo' GROUP BY task_name"
            )
        )
        return {str(task): int(n) for task, n in rows.all()}


class FencedJobManager(pmanager.JobManager):
    """procrastinate's JobManager whose finish/retry only apply to the claim that was fetched."""

    async def finish_job(self, job: pjobs.Job, status: pjobs.Status, delete_job: bool) -> None:
        rows = await self.connector.execute_query_all_async(
            query=_FINISH_FENCED,
            job_id=job.id,
            worker_id=job.worker_id,
            attempts=job.attempts,
            status=status.value,
            delete_job=delete_job,
        )
        _count_outcome(job, status.value, bool(rows))

    async def retry_job(
        self,
        job: pjobs.Job,
        retry_at: datetime | None = None,
        priority: int | None = None,
        queue: str | None = None,
        lock: str | None = None,
    ) -> None:
        rows = await self.connector.execute_query_all_async(
            query=_RETRY_FENCED,
            job_id=job.id,
            worker_id=job.worker_id,
            attempts=job.attempts,
            retry_at=retry_at or utcnow(),
            new_priority=priority,
            new_queue_name=queue,
            new_lock=lock,
        )
        _count_outcome(job, "retried", bool(rows))


def _count_outcome(job: pjobs.Job, outcome: str, applied: bool) -> None:
    if not applied:
        log.warning("jobs.outcome_discarded", job_id=job.id, task=job.task_name, outcome=outcome)
        outcome = "fenced"
    JOBS_FINISHED.labels(job.task_name, outcome).inc()


class _Runtime:
    """What the task wrappers need from the worker process (passed via additional_context)."""

    def __init__(self, db: Database, settings: Settings, queue: JobQueue) -> None:
        self.db = db
        self.settings = settings
        self.queue = queue
        self.running = 0


class _RetryStrategy(BaseRetryStrategy):
    """The registry's retry policy expressed as procrastinate retry decisions."""

    def __init__(self, spec: TaskSpec, settings: Settings) -> None:
        self.spec = spec
        self.settings = settings

    def get_retry_decision(self, *, exception: BaseException, job: pjobs.Job) -> RetryDecision | None:
        if isinstance(exception, asyncio.CancelledError | pexc.JobAborted):
            # Only a stopping worker cancels our tasks: release the job for another worker now.
            return RetryDecision(retry_at=utcnow())
        if isinstance(exception, FencingError | PermanentJobError):
            return None
        attempt = job.attempts + 1
        if attempt >= self.spec.attempts_allowed(self.settings):
            return None
        delay = self.spec.retry.delay(attempt, self.settings)
        return RetryDecision(retry_at=utcnow() + timedelta(seconds=delay))


async def check_fence(job_id: int, worker_id: int | None, attempts: int, session: AsyncSession) -> None:
    """Raise `FencingError` unless the job is still this fetch's; row-locks it until the task commits."""
    row = (
        await session.execute(_FENCE, {"id": job_id, "worker_id": worker_id, "attempts": attempts})
    ).first()
    if row is None:
        raise FencingError(
            f"job {job_id}: claim (worker {worker_id}, attempt {attempts + 1}) is no longer current"
        )


def _wrap(spec: TaskSpec) -> Any:
    async def run_task(pctx: ProcrastinateContext, **kwargs: Any) -> None:
        job = pctx.job
        rt: _Runtime = pctx.additional_context[CONTEXT_KEY]
        assert job.id is not None
        if job.scheduled_at is not None:
            JOB_LAG.labels(spec.name).observe(max(0.0, (utcnow() - job.scheduled_at).total_seconds()))
        ctx = JobContext(
            db=rt.db,
            settings=rt.settings,
            queue=rt.queue,
            job_id=job.id,
            task_name=spec.name,
            attempt=job.attempts + 1,
            max_attempts=spec.attempts_allowed(rt.settings),
            _fence=partial(check_fence, job.id, job.worker_id, job.attempts),
        )
        rt.running += 1
        structlog.contextvars.bind_contextvars(job_id=job.id, task=spec.name)
        try:
            await spec.fn(ctx, **kwargs)
        except FencingError as exc:
            log.warning("jobs.fenced_out", job_id=job.id, error=str(exc))
            raise
        finally:
            rt.running -= 1
            structlog.contextvars.unbind_contextvars("job_id", "task")

    run_task.__name__ = run_task.__qualname__ = spec.name.replace(".", "_")
    return run_task


def build_app(settings: Settings, registry: Registry | None = None) -> App:
    """A procrastinate App with every registered task and the fenced job manager."""
    connector = PsycopgConnector(
        conninfo=conninfo(settings.database_url),
        min_size=1,
        max_size=max(4, settings.worker_concurrency + 4),
    )
    app = App(connector=connector)
    app.job_manager = FencedJobManager(connector=connector)
    for spec in (registry or REGISTRY).all():
        app.task(name=spec.name, pass_context=True, queue=spec.queue, retry=_RetryStrategy(spec, settings))(
            _wrap(spec)
        )
    return app


async def retry_stalled(app: App, settings: Settings, registry: Registry | None = None) -> int:
    """Re-queue jobs whose worker stopped heartbeating (fail them when out of attempts)."""
    registry = registry or REGISTRY
    # No periodic pruning of procrastinate_workers: a pruned worker that is merely slow would
    # crash on its next fetch (FK); stale rows are harmless and pruned at worker start-up.
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=settings.job_lease_seconds)
    count = 0
    for job in stalled:
        spec = registry.get(job.task_name)
        allowed = spec.attempts_allowed(settings) if spec else settings.job_max_attempts
        if job.attempts + 1 >= allowed:
            await app.job_manager.finish_job(job, pjobs.Status.FAILED, delete_job=False)
        else:
            await app.job_manager.retry_job(job)
        count += 1
    if count:
        log.warning("jobs.stalled_retried", count=count)
    return count


class ProcrastinateRunner:
    """Runs a procrastinate worker on the registry plus the stalled-job loop."""

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
        self.registry = registry or REGISTRY
        self.runtime = _Runtime(db, settings, queue)
        self._worker_task: asyncio.Task[None] | None = None

    @property
    def running(self) -> int:
        return self.runtime.running

    def force_stop(self) -> None:
        # procrastinate aborts in-flight jobs once shutdown_graceful_timeout elapses;
        # a second signal cancels the worker task again, which it treats the same way.
        if self._worker_task is not None:
            self._worker_task.cancel()

    async def run(self, stop: asyncio.Event) -> None:
        app = build_app(self.settings, self.registry)
        async with app.open_async():
            self._worker_task = asyncio.create_task(
                app.run_worker_async(
                    name=self.worker_id,
                    concurrency=self.concurrency,
                    install_signal_handlers=False,
                    fetch_job_polling_interval=self.settings.job_poll_seconds,
                    abort_job_polling_interval=max(1.0, self.settings.job_heartbeat_seconds),
                    update_heartbeat_interval=self.settings.job_heartbeat_seconds,
                    stalled_worker_timeout=self.settings.job_lease_seconds,
                    shutdown_graceful_timeout=self.settings.worker_shutdown_grace_seconds,
                    listen_notify=True,
                    additional_context={CONTEXT_KEY: self.runtime},
                ),
                name="procrastinate-worker",
            )
            stalled_loop = asyncio.create_task(self._stalled_loop(app), name="jobs-stalled-retry")
            stopper = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait([self._worker_task, stopper], return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopper.cancel()
                stalled_loop.cancel()
                await asyncio.gather(stalled_loop, return_exceptions=True)
                if not self._worker_task.done():
                    # Cancelling run_worker_async is procrastinate's graceful stop: no new
                    # fetches, wait for in-flight jobs up to the grace period, then abort
                    # them (our retry strategy releases aborted jobs for another worker).
                    self._worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._worker_task

    async def _stalled_loop(self, app: App) -> None:
        while True:
            try:
                await retry_stalled(app, self.settings, self.registry)
            except Exception as exc:
                log.warning("jobs.stalled_retry_failed", error=repr(exc))
            await asyncio.sleep(self.settings.job_reap_interval_seconds)

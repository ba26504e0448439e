"""Worker lifecycle: run N jobs concurrently on the configured backend, heartbeat, stop gracefully.

A `Worker` is the same object whether it runs inside `talentscout serve` (the
lifespan hook below) or as `talentscout worker`. It owns:

- the backend runner (embedded leases, or a procrastinate worker),
- a heartbeat row in `job_workers` every `job_heartbeat_seconds` (worker id,
  pid, host, last_seen), which `/readyz` reads through the "worker" check,
- the queue-depth gauge, and optionally the scheduler.

Stopping (SIGTERM/SIGINT, or the app shutting down): stop claiming, let
in-flight jobs finish for `worker_shutdown_grace_seconds`, release whatever is
still running back to the queue, delete the heartbeat row, exit 0. A second
signal skips the grace period.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import pkgutil
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from sqlalchemy import delete, func, select

import talentscout
from talentscout.config import Settings
from talentscout.db import Database, utcnow
from talentscout.jobs.embedded import EmbeddedRunner, dialect_insert, error_text, sleep_or_stop
from talentscout.jobs.models import WorkerHeartbeat
from talentscout.jobs.queue import JobQueue, backend_for, queue_for
from talentscout.jobs.registry import REGISTRY, Registry
from talentscout.jobs.scheduler import Scheduler
from talentscout.observability import JOBS_QUEUED

if TYPE_CHECKING:
    from fastapi import FastAPI

log = structlog.get_logger(__name__)


class Runner(Protocol):
    @property
    def running(self) -> int: ...

    async def run(self, stop: asyncio.Event) -> None: ...

    def force_stop(self) -> None: ...


def import_task_modules(settings: Settings) -> list[str]:
    """Import every feature's `tasks` module (`talentscout/<feature>/tasks.py`) and `job_import_paths`.

    This is how a feature registers tasks, periodic tasks and reconciler hooks:
    define them with the decorators in its own `tasks.py`; workers, schedulers
    and the API process all import them here, so everybody sees the same registry.
    """
    imported: list[str] = []
    for info in pkgutil.iter_modules(talentscout.__path__):
        if not info.ispkg:
            continue
        name = f"talentscout.{info.name}.tasks"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
            imported.append(name)
    for name in settings.job_import_paths:
        importlib.import_module(name)
        imported.append(name)
    return imported


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def queue_depth_to_metrics(db: Database, queue: JobQueue, known: set[str]) -> None:
    """Set the queue-depth gauge per task (tasks that drained go back to 0)."""
    async with db.read() as session:
        depth = await queue.depth(session)
    for name in known - depth.keys():
        JOBS_QUEUED.labels(name).set(0)
    for name, n in depth.items():
        JOBS_QUEUED.labels(name).set(n)
    known.update(depth)


async def metrics_loop(db: Database, queue: JobQueue, settings: Settings, stop: asyncio.Event) -> None:
    known: set[str] = set()
    while not stop.is_set():
        try:
            await queue_depth_to_metrics(db, queue, known)
        except Exception as exc:
            log.warning("jobs.depth_sample_failed", error=error_text(exc))
        await sleep_or_stop(stop, settings.job_metrics_interval_seconds)


def readiness_check(db: Database, settings: Settings) -> Callable[[], Awaitable[str]]:
    """`/readyz` "worker": ok when any worker (this process or another) heartbeated recently."""

    async def check() -> str:
        try:
            async with asyncio.timeout(3), db.read() as session:
                last = (
                    await session.execute(select(func.max(WorkerHeartbeat.last_seen)))
                ).scalar_one_or_none()
        except Exception as exc:
            return f"error: {type(exc).__name__}"
        if last is None:
            return "no worker has reported"
        age = (utcnow() - last).total_seconds()
        if age > settings.worker_heartbeat_stale_seconds:
            return f"stale: last worker heartbeat {age:.0f}s ago"
        return "ok"

    return check


class Worker:
    """A job worker on the configured backend (see module docstring)."""

    def __init__(
        self,
        settings: Settings,
        *,
        db: Database | None = None,
        concurrency: int | None = None,
        with_scheduler: bool = False,
        registry: Registry | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.backend = backend_for(settings)
        self.concurrency = concurrency or settings.worker_concurrency
        self.with_scheduler = with_scheduler
        self.registry = registry or REGISTRY
        self.worker_id = worker_id or new_worker_id()
        self._db = db
        self._stop = asyncio.Event()
        self._runner: Runner | None = None
        self.started = asyncio.Event()

    def stop(self, *, force: bool = False) -> None:
        """Request a graceful stop (`force`: release in-flight jobs without waiting)."""
        if force and self._runner is not None:
            self._runner.force_stop()
        self._stop.set()

    async def run(self) -> None:
        db = self._db or Database(self.settings.database_url)
        queue = queue_for(self.settings)
        runner: Runner
        if self.backend == "procrastinate":
            from talentscout.jobs.pg import ProcrastinateRunner

            runner = ProcrastinateRunner(
                db,
                self.settings,
                worker_id=self.worker_id,
                concurrency=self.concurrency,
                queue=queue,
                registry=self.registry,
            )
        else:
            runner = EmbeddedRunner(
                db,
                self.settings,
                worker_id=self.worker_id,
                concurrency=self.concurrency,
                queue=queue,
                registry=self.registry,
            )
        self._runner = runner
        side_stop = asyncio.Event()
        side = [
            asyncio.create_task(self._heartbeat_loop(db, runner, side_stop), name="jobs-worker-heartbeat"),
            asyncio.create_task(metrics_loop(db, queue, self.settings, side_stop), name="jobs-metrics"),
        ]
        if self.with_scheduler:
            side.append(asyncio.create_task(Scheduler(db, self.settings, queue=queue).run(side_stop)))
        log.info(
            "jobs.worker_started",
            worker_id=self.worker_id,
            backend=self.backend,
            concurrency=self.concurrency,
            scheduler=self.with_scheduler,
            tasks=sorted(s.name for s in self.registry.all()),
        )
        try:
            await runner.run(self._stop)
        finally:
            side_stop.set()
            await asyncio.gather(*side, return_exceptions=True)
            await self._unregister(db)
            if self._db is None:
                await db.dispose()
            log.info("jobs.worker_stopped", worker_id=self.worker_id)

    async def _heartbeat_loop(self, db: Database, runner: Runner, stop: asyncio.Event) -> None:
        started = utcnow()
        while not stop.is_set():
            try:
                await self._beat(db, runner, started)
                self.started.set()
            except Exception as exc:
                log.warning("jobs.worker_heartbeat_failed", error=error_text(exc))
            await sleep_or_stop(stop, self.settings.job_heartbeat_seconds)

    async def _beat(self, db: Database, runner: Runner, started: Any) -> None:
        now = utcnow()
        values = {
            "id": self.worker_id,
            "backend": self.backend,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "concurrency": self.concurrency,
            "running": int(runner.running),
            "started_at": started,
            "last_seen": now,
        }
        async with db.write() as session:
            stmt = dialect_insert(session, WorkerHeartbeat).values(**values)
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["id"], set_={"last_seen": now, "running": int(runner.running)}
                )
            )

    async def _unregister(self, db: Database) -> None:
        try:
            async with db.write() as session:
                await session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.id == self.worker_id))
        except Exception as exc:
            log.warning("jobs.worker_unregister_failed", error=error_text(exc))


Sidecar = Callable[[Database, Settings, asyncio.Event], Coroutine[Any, Any, None]]
# Long-running loops a worker process runs beside its jobs until it stops (e.g. the webhook
# dispatcher). Features register them from their `tasks` module, so jobs/ imports no feature.
SIDECARS: list[Sidecar] = []


def run_worker_process(
    settings: Settings,
    *,
    concurrency: int | None = None,
    with_scheduler: bool = False,
    metrics_port: int | None = None,
) -> int:
    """`talentscout worker`: run until SIGTERM/SIGINT, drain, return the exit code (0 when graceful)."""
    from talentscout.observability import configure_logging

    configure_logging(settings.log_level, settings.log_json)
    import_task_modules(settings)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port)

    async def main() -> None:
        worker = Worker(settings, concurrency=concurrency, with_scheduler=with_scheduler)
        sidecar_db = Database(settings.database_url)
        sidecar_stop = asyncio.Event()
        sidecars: list[asyncio.Task[None]] = [
            asyncio.create_task(fn(sidecar_db, settings, sidecar_stop), name=f"sidecar-{fn.__name__}")
            for fn in SIDECARS
        ]
        loop = asyncio.get_running_loop()
        signals_seen = 0

        def on_signal() -> None:
            nonlocal signals_seen
            signals_seen += 1
            log.info("jobs.worker_signal", graceful=signals_seen == 1)
            worker.stop(force=signals_seen > 1)

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
        try:
            await worker.run()
        finally:
            sidecar_stop.set()
            await asyncio.gather(*sidecars, return_exceptions=True)
            await sidecar_db.dispose()

    asyncio.run(main())
    return 0


async def jobs_lifespan(app: FastAPI) -> Callable[[], Awaitable[None]] | None:
    """Startup hook for `create_app`: job queue on app.state, readiness check, in-process worker.

    `app.state.job_queue` is the queue routers enqueue through. With
    `app.state.run_worker` the process also runs a worker and the scheduler
    (`talentscout serve`); `--no-worker` nodes only sample queue depth. The
    "worker" readiness check is registered unless this is a test app without
    a worker (tests that disable the worker should not be 503).
    """
    settings: Settings = app.state.settings
    db: Database = app.state.db
    import_task_modules(settings)
    queue = queue_for(settings)
    app.state.job_queue = queue
    run_worker = bool(app.state.run_worker)
    if run_worker or settings.env != "test":
        app.state.readiness_checks["worker"] = readiness_check(db, settings)

    if not run_worker:
        stop = asyncio.Event()
        sampler = asyncio.create_task(metrics_loop(db, queue, settings, stop), name="jobs-metrics")

        async def stop_sampler() -> None:
            stop.set()
            await asyncio.gather(sampler, return_exceptions=True)

        return stop_sampler

    worker = Worker(settings, db=db, with_scheduler=True)
    task = asyncio.create_task(worker.run(), name="jobs-in-process-worker")
    # Surface a crashed in-process worker at once (readiness goes stale a bit later).
    task.add_done_callback(
        lambda t: (
            t.cancelled()
            or t.exception() is None
            or log.error("jobs.worker_crashed", error=error_text(t.exception() or RuntimeError()))
        )
    )

    async def stop_worker() -> None:
        worker.stop()
        try:
            await task
        except Exception as exc:
            log.error("jobs.worker_crashed", error=error_text(exc))

    return stop_worker

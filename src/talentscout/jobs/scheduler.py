"""Periodic tasks and the reconciler.

`@periodic(name, every_seconds=…)` registers a task that the scheduler enqueues
once per tick: tick k of a task spans [k·every, (k+1)·every) of Unix time, and a
firing is an INSERT into `job_periodic_ticks` keyed by (task, tick) in the same
transaction as the enqueue. Any number of schedulers may run (every `serve`, a
`worker --with-scheduler`, a `talentscout scheduler`): exactly one of them wins
each tick. One implementation serves both backends, which is why we do not use
procrastinate's own periodic deferrer.

`@reconciler(name)` registers a repair hook that the built-in periodic task
`jobs.reconcile` runs every `reconcile_interval_seconds` (for example sourcing's
"re-queue runs that are processing without a live job"). Hooks must be
idempotent: they run again on every interval and after crashes.
"""

from __future__ import annotations

import asyncio
import math
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import delete, update

from talentscout.config import Settings
from talentscout.db import Database, utcnow
from talentscout.jobs.embedded import dialect_insert, error_text, sleep_or_stop
from talentscout.jobs.models import PeriodicTick
from talentscout.jobs.queue import JobQueue, queue_for
from talentscout.jobs.registry import F, JobContext, Registry, task

log = structlog.get_logger(__name__)

Interval = float | Callable[[Settings], float]
ReconcileHook = Callable[[JobContext], Awaitable[int | None]]
# How many past ticks per task to keep (older rows are pruned as new ticks fire).
_TICKS_KEPT = 100


@dataclass(frozen=True)
class PeriodicSpec:
    """A periodic task: its name and interval (seconds, or read from Settings)."""

    name: str
    every: Interval
    dedupe: bool = True

    def interval(self, settings: Settings) -> float:
        value = self.every(settings) if callable(self.every) else self.every
        if value <= 0:
            raise ValueError(f"periodic task {self.name!r} needs a positive interval")
        return float(value)

    def tick(self, settings: Settings, now: float) -> int:
        return math.floor(now / self.interval(settings))


PERIODICS: dict[str, PeriodicSpec] = {}
RECONCILERS: dict[str, ReconcileHook] = {}


def periodic(
    name: str,
    *,
    every_seconds: Interval,
    dedupe: bool = True,
    max_attempts: int = 1,
    registry: Registry | None = None,
    periodics: dict[str, PeriodicSpec] | None = None,
) -> Callable[[F], F]:
    """Register `async def fn(ctx)` as a task fired once per `every_seconds`.

    `every_seconds` may be a callable reading Settings (`lambda s: s.reconcile_interval_seconds`).
    With `dedupe` (default) a tick does not enqueue while the previous firing is
    still queued or running. `max_attempts` defaults to 1: the next tick is the retry.
    """

    def decorate(fn: F) -> F:
        task(name, max_attempts=max_attempts, registry=registry)(fn)
        (PERIODICS if periodics is None else periodics)[name] = PeriodicSpec(name, every_seconds, dedupe)
        return fn

    return decorate


def reconciler(name: str) -> Callable[[ReconcileHook], ReconcileHook]:
    """Register `async def hook(ctx) -> int | None` (number of things repaired) with the reconciler."""

    def decorate(fn: ReconcileHook) -> ReconcileHook:
        RECONCILERS[name] = fn
        return fn

    return decorate


class ReconcileError(RuntimeError):
    """One or more reconciler hooks failed (the others still ran)."""


@periodic("jobs.reconcile", every_seconds=lambda s: s.reconcile_interval_seconds)
async def run_reconcilers(ctx: JobContext) -> None:
    """Run every registered reconciler hook; a failing hook does not stop the others."""
    failed: list[str] = []
    for name, hook in list(RECONCILERS.items()):
        try:
            repaired = await hook(ctx)
        except Exception as exc:
            failed.append(name)
            log.error("jobs.reconciler_failed", hook=name, error=error_text(exc))
            continue
        if repaired:
            log.info("jobs.reconciled", hook=name, repaired=repaired)
    if failed:
        raise ReconcileError("reconciler hooks failed: " + ", ".join(failed))


class Scheduler:
    """Fires due periodic tasks every `scheduler_tick_seconds`."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        queue: JobQueue | None = None,
        periodics: dict[str, PeriodicSpec] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.queue = queue or queue_for(settings)
        self.periodics = PERIODICS if periodics is None else periodics
        self._last: dict[str, int] = {}

    async def tick(self, now: float | None = None) -> list[str]:
        """Fire every periodic task whose current tick has not fired yet; returns those this call fired."""
        now = time.time() if now is None else now
        fired: list[str] = []
        for spec in list(self.periodics.values()):
            k = spec.tick(self.settings, now)
            if self._last.get(spec.name) == k:
                continue
            try:
                if await self._fire(spec, k):
                    fired.append(spec.name)
                self._last[spec.name] = k
            except Exception as exc:  # keep ticking the others; this one is retried next tick
                log.warning("jobs.periodic_fire_failed", task=spec.name, error=error_text(exc))
        return fired

    async def _fire(self, spec: PeriodicSpec, k: int) -> bool:
        async with self.db.write() as session:
            claimed = (
                await session.execute(
                    dialect_insert(session, PeriodicTick)
                    .values(task=spec.name, tick=k, fired_at=utcnow())
                    .on_conflict_do_nothing(index_elements=["task", "tick"])
                    .returning(PeriodicTick.tick)
                )
            ).first()
            if claimed is None:
                return False  # another scheduler fired this tick
            job_id = await self.queue.enqueue(
                session, spec.name, {}, dedupe_key=f"periodic:{spec.name}" if spec.dedupe else None
            )
            await session.execute(
                update(PeriodicTick)
                .where(PeriodicTick.task == spec.name, PeriodicTick.tick == k)
                .values(job_id=job_id)
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                delete(PeriodicTick).where(
                    PeriodicTick.task == spec.name, PeriodicTick.tick < k - _TICKS_KEPT
                )
            )
        log.debug("jobs.periodic_fired", task=spec.name, tick=k, job_id=job_id)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.tick()
            await sleep_or_stop(stop, self.settings.scheduler_tick_seconds)


def run_scheduler_process(settings: Settings) -> int:
    """`talentscout scheduler`: run the scheduler until SIGTERM/SIGINT; returns the exit code."""
    from talentscout.jobs.worker import import_task_modules
    from talentscout.observability import configure_logging

    configure_logging(settings.log_level, settings.log_json)
    import_task_modules(settings)

    async def main() -> None:
        db = Database(settings.database_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("jobs.scheduler_started", periodic=sorted(PERIODICS))
        try:
            await Scheduler(db, settings).run(stop)
        finally:
            await db.dispose()

    asyncio.run(main())
    return 0

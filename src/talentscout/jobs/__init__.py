"""Durable background jobs: task registry, queue port, embedded and procrastinate backends, scheduler.

Semantics are at-least-once on both backends; correctness lives in the domain
(one transaction per (run, item), fenced with `ctx.fence`). How a feature uses it:

    # talentscout/<feature>/tasks.py  (imported automatically by workers and the app)
    from talentscout.jobs import JobContext, periodic, reconciler, task

    @task("sourcing.process_run", max_attempts=5)
    async def process_run(ctx: JobContext, *, run_id: str) -> None:
        async with ctx.fenced() as session:  # effects + fence in one transaction
            ...

    # in a request handler / service, inside the caller's transaction:
    await request.app.state.job_queue.enqueue(session, "sourcing.process_run", {"run_id": rid},
                                              dedupe_key=f"run:{rid}")
"""

from talentscout.jobs.queue import JobInfo, JobQueue, backend_for, queue_for
from talentscout.jobs.registry import (
    REGISTRY,
    FencingError,
    JobContext,
    PermanentJobError,
    RetryPolicy,
    task,
)
from talentscout.jobs.scheduler import periodic, reconciler

__all__ = [
    "REGISTRY",
    "FencingError",
    "JobContext",
    "JobInfo",
    "JobQueue",
    "PermanentJobError",
    "RetryPolicy",
    "backend_for",
    "periodic",
    "queue_for",
    "reconciler",
    "task",
]

"""The `JobQueue` port and the choice of backend.

`enqueue` writes the job through the CALLER'S session, inside the caller's
transaction: "create the run + enqueue its job" is one atomic commit, and a
rolled-back transaction never leaves a job behind.

Backends (`TALENTSCOUT_JOB_BACKEND`):

- `embedded` (default on SQLite): a `jobs` table in the application database,
  claimed with leases by the in-process worker (`talentscout.jobs.embedded`).
  It also runs on PostgreSQL, which the test-suite uses.
- `procrastinate` (default on PostgreSQL): procrastinate's tables and workers
  (`talentscout.jobs.pg`), enqueued by calling its defer SQL function.

Statuses are normalised across backends to queued / running / succeeded /
failed / cancelled, and `attempts` counts executions started.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.config import Settings

Backend = Literal["embedded", "procrastinate"]


@dataclass(frozen=True)
class JobInfo:
    """A job as seen through the port (backend-neutral)."""

    id: int
    task: str
    status: str
    attempts: int
    args: dict[str, Any]


class JobQueue(Protocol):
    """Where features put work. Every method runs in the session it is given."""

    backend: Backend

    async def enqueue(
        self,
        session: AsyncSession,
        task_name: str,
        args: dict[str, Any] | None = None,
        *,
        dedupe_key: str | None = None,
        run_at: datetime | None = None,
    ) -> int:
        """Insert a job in the caller's transaction and return its id.

        With `dedupe_key`, while a job with that key is queued or running no second
        job is created and the existing job's id is returned. `run_at` delays the job.
        """
        ...

    async def get(self, session: AsyncSession, job_id: int) -> JobInfo | None:
        """The job, or None if it does not exist (or was deleted)."""
        ...

    async def cancel(self, session: AsyncSession, job_id: int) -> bool:
        """Cancel a job that has not started yet; True if it was cancelled."""
        ...

    async def depth(self, session: AsyncSession) -> dict[str, int]:
        """Runnable-or-waiting jobs by task name (for the queue-depth gauge)."""
        ...


def backend_for(settings: Settings) -> Backend:
    """The configured backend, defaulting by database (embedded on SQLite, procrastinate on PG)."""
    if settings.job_backend is not None:
        if settings.job_backend == "procrastinate" and settings.is_sqlite:
            raise ValueError("TALENTSCOUT_JOB_BACKEND=procrastinate needs a PostgreSQL database")
        return settings.job_backend
    return "embedded" if settings.is_sqlite else "procrastinate"


def queue_for(settings: Settings) -> JobQueue:
    """The queue adapter for the configured backend (stateless, cheap to build)."""
    if backend_for(settings) == "procrastinate":
        from talentscout.jobs.pg import ProcrastinateQueue

        return ProcrastinateQueue()
    from talentscout.jobs.embedded import EmbeddedQueue

    return EmbeddedQueue(settings)


def encode_args(task_name: str, args: dict[str, Any] | None) -> dict[str, Any]:
    """Validate that job arguments are JSON (they cross process boundaries)."""
    args = dict(args or {})
    try:
        json.dumps(args)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"arguments of task {task_name!r} must be JSON-serialisable: {exc}") from exc
    return args

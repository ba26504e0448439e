"""The task registry: `@task` functions, their retry policy, and the `JobContext` they receive.

A task is a plain `async def fn(ctx: JobContext, **args) -> None`. Both queue
backends (embedded, procrastinate) look tasks up here by name and call them
the same way, so a feature writes its tasks once.

Delivery is at-least-once: a task may run again after a crash, a lost lease
or a retry. A task therefore commits its side effects in ONE transaction keyed
by its domain identity (run, item) and calls `ctx.fence(session)` inside that
transaction (or uses `ctx.fenced()`), so a worker that lost the job cannot
commit after another worker took over.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.config import Settings
from talentscout.db import Database

if TYPE_CHECKING:
    from talentscout.jobs.queue import JobQueue


class FencingError(RuntimeError):
    """This worker no longer owns the job (lease expired and the job was re-claimed)."""


class PermanentJobError(Exception):
    """Raise from a task to fail the job now, without further retries."""


# `async def fn(ctx: JobContext, **args) -> None`; kwargs are the job's JSON arguments.
TaskFunction = Callable[..., Awaitable[Any]]
F = TypeVar("F", bound=TaskFunction)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits ~base·2^(n-1), capped, jittered.

    `base_seconds`/`max_seconds` default to the Settings values so tests can scale time.
    Jitter keeps a burst of failures (a provider outage) from retrying in lockstep.
    """

    base_seconds: float | None = None
    max_seconds: float | None = None
    jitter: float = 0.5

    def delay(self, attempt: int, settings: Settings, rng: random.Random | None = None) -> float:
        """Seconds to wait after the `attempt`-th (1-based) failed attempt."""
        base = settings.job_retry_base_seconds if self.base_seconds is None else self.base_seconds
        cap = settings.job_retry_max_seconds if self.max_seconds is None else self.max_seconds
        raw = min(cap, base * 2.0 ** max(0, attempt - 1))
        r = (rng or random).random()
        # "Equal jitter": keep at least (1 - jitter) of the delay so backoff still grows.
        return raw * (1 - self.jitter) + raw * self.jitter * r


@dataclass(frozen=True)
class TaskSpec:
    """A registered task: its name, function and retry behaviour."""

    name: str
    fn: TaskFunction
    max_attempts: int | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    queue: str = "default"

    def attempts_allowed(self, settings: Settings) -> int:
        return self.max_attempts if self.max_attempts is not None else settings.job_max_attempts


FenceCheck = Callable[[AsyncSession], Awaitable[None]]


@dataclass
class JobContext:
    """What a running task gets: the database, settings, its queue and its identity.

    `attempt` is 1 on the first execution. `fence(session)` must be awaited inside
    the transaction that commits the task's effects; it raises `FencingError` when
    this worker's claim is no longer current, which rolls the transaction back.
    """

    db: Database
    settings: Settings
    queue: JobQueue
    job_id: int
    task_name: str
    attempt: int
    max_attempts: int
    _fence: FenceCheck = field(repr=False)

    async def fence(self, session: AsyncSession) -> None:
        await self._fence(session)

    @asynccontextmanager
    async def fenced(self) -> AsyncIterator[AsyncSession]:
        """A write transaction that is fenced before anything else happens in it."""
        async with self.db.write() as session:
            await self.fence(session)
            yield session


class Registry:
    """Task specs by name. One process-wide instance (`REGISTRY`); tests may build their own."""

    def __init__(self) -> None:
        self._tasks: dict[str, TaskSpec] = {}

    def add(self, spec: TaskSpec) -> None:
        existing = self._tasks.get(spec.name)
        # Re-importing the same module (e.g. `python -m` plus an import) registers the
        # same function again; a different function under the same name is a bug.
        if existing is not None and _qualname(existing.fn) != _qualname(spec.fn):
            raise ValueError(f"task {spec.name!r} is already registered by {_qualname(existing.fn)}")
        self._tasks[spec.name] = spec

    def get(self, name: str) -> TaskSpec | None:
        return self._tasks.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tasks

    def all(self) -> list[TaskSpec]:
        return list(self._tasks.values())


def _qualname(fn: object) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


REGISTRY = Registry()


def task(
    name: str,
    *,
    max_attempts: int | None = None,
    retry: RetryPolicy | None = None,
    queue: str = "default",
    registry: Registry | None = None,
) -> Callable[[F], F]:
    """Register `async def fn(ctx, **args)` as the task `name` (returned unchanged).

    `max_attempts` defaults to `Settings.job_max_attempts`; `retry` to exponential
    backoff from `Settings.job_retry_base_seconds`.
    """
    if not name or len(name) > 128:
        raise ValueError("task names are 1..128 characters")

    def decorate(fn: F) -> F:
        (registry or REGISTRY).add(
            TaskSpec(name=name, fn=fn, max_attempts=max_attempts, retry=retry or RetryPolicy(), queue=queue)
        )
        return fn

    return decorate

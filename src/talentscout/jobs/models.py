"""Tables owned by the job system: the embedded job queue, worker heartbeats, periodic ticks.

`jobs` is only used by the embedded backend (the procrastinate backend keeps its
jobs in `procrastinate_jobs`); `job_workers` and `job_periodic_ticks` are used by
both backends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from talentscout.db import Base, JSONType, UTCDateTime, utcnow

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
ACTIVE_STATUSES = (QUEUED, RUNNING)
# Literal SQL (not bound parameters) so PostgreSQL can match ON CONFLICT to the partial index.
ACTIVE_PREDICATE = "status IN ('queued', 'running')"

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
JobId = BigInteger().with_variant(Integer(), "sqlite")


class Job(Base):
    """One job of the embedded queue.

    `fence` is the fencing token: incremented by every claim, so a worker that
    lost its lease holds a stale token and can neither commit the task's effects
    (`JobContext.fence`) nor finish the job.
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(JobId, primary_key=True, autoincrement=True)
    task: Mapped[str] = mapped_column(String(128))
    queue: Mapped[str] = mapped_column(String(64), default="default")
    args: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fence: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_jobs_claim", "status", "run_at"),
        Index("ix_jobs_lease", "status", "lease_expires_at"),
        Index(
            "uq_jobs_active_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text(ACTIVE_PREDICATE),
            postgresql_where=text(ACTIVE_PREDICATE),
        ),
    )


class WorkerHeartbeat(Base):
    """A live worker process (either backend); `/readyz` looks at the freshest `last_seen`."""

    __tablename__ = "job_workers"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    backend: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    concurrency: Mapped[int] = mapped_column(Integer)
    running: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PeriodicTick(Base):
    """One firing of a periodic task; the primary key makes each (task, tick) fire once."""

    __tablename__ = "job_periodic_ticks"

    task: Mapped[str] = mapped_column(String(128), primary_key=True)
    tick: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

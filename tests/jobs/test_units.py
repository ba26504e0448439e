"""Fast unit tests of the job system's pieces, plus its hooks into the app (metrics, readiness, reconciler)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY as PROM
from sqlalchemy import text

from talentscout.db import Database
from talentscout.jobs import JobContext, backend_for, queue_for
from talentscout.jobs.pg import conninfo
from talentscout.jobs.queue import encode_args
from talentscout.jobs.registry import Registry, RetryPolicy, task
from talentscout.jobs.scheduler import RECONCILERS, PeriodicSpec, ReconcileError, run_reconcilers
from talentscout.jobs.worker import jobs_lifespan, queue_depth_to_metrics
from tests.conftest import make_settings
from tests.jobs.conftest import JobEnv, make_env

SQLITE = "sqlite+aiosqlite:///x.db"
PG = "postgresql+psycopg://u:p@db:5432/ts"


def test_backoff_doubles_caps_and_jitters_within_bounds() -> None:
    settings = make_settings(SQLITE, job_retry_base_seconds=1.0, job_retry_max_seconds=10.0)
    exact = RetryPolicy(jitter=0.0)
    assert [exact.delay(n, settings) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    rng = random.Random(7)
    jittered = [RetryPolicy().delay(3, settings, rng) for _ in range(200)]
    assert min(jittered) >= 2.0 and max(jittered) <= 4.0
    assert max(jittered) - min(jittered) > 1.0, "jitter should spread retries"
    assert RetryPolicy(base_seconds=0.5, max_seconds=1.0, jitter=0).delay(5, settings) == 1.0


def test_backend_follows_the_database_unless_set() -> None:
    assert backend_for(make_settings(SQLITE)) == "embedded"
    assert backend_for(make_settings(PG)) == "procrastinate"
    assert backend_for(make_settings(PG, job_backend="embedded")) == "embedded"
    assert queue_for(make_settings(PG)).backend == "procrastinate"
    with pytest.raises(ValueError, match="PostgreSQL"):
        backend_for(make_settings(SQLITE, job_backend="procrastinate"))


def test_conninfo_is_a_libpq_url() -> None:
    assert conninfo(PG) == "postgresql://u:p@db:5432/ts"
    assert conninfo("postgresql+asyncpg://u@h/d") == "postgresql://u@h/d"


def test_registry_rejects_a_second_function_under_one_name() -> None:
    registry = Registry()

    async def one(ctx: JobContext) -> None: ...

    async def two(ctx: JobContext) -> None: ...

    task("x.same", registry=registry)(one)
    task("x.same", registry=registry)(one)  # re-import of the same module: fine
    with pytest.raises(ValueError, match="already registered"):
        task("x.same", registry=registry)(two)
    spec = registry.get("x.same")
    assert spec is not None and spec.attempts_allowed(make_settings(SQLITE, job_max_attempts=7)) == 7


def test_job_arguments_must_be_json() -> None:
    assert encode_args("t", {"a": [1, "b"]}) == {"a": [1, "b"]}
    with pytest.raises(TypeError, match="JSON"):
        encode_args("t", {"when": object()})


def test_periodic_ticks_follow_wall_clock_windows() -> None:
    settings = make_settings(SQLITE, reconcile_interval_seconds=30.0)
    spec = PeriodicSpec("p", lambda s: s.reconcile_interval_seconds)
    assert spec.interval(settings) == 30.0
    assert spec.tick(settings, 59.9) == 1 and spec.tick(settings, 60.0) == 2
    with pytest.raises(ValueError):
        PeriodicSpec("bad", 0).interval(settings)


async def test_reconciler_runs_every_hook_even_when_one_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    async def ok(ctx: JobContext) -> int:
        seen.append("ok")
        return 1

    async def broken(ctx: JobContext) -> int:
        seen.append("broken")
        raise RuntimeError("boom")

    async def after(ctx: JobContext) -> None:
        seen.append("after")

    monkeypatch.setattr("talentscout.jobs.scheduler.RECONCILERS", {"a": ok, "b": broken, "c": after})
    ctx: Any = object()
    with pytest.raises(ReconcileError, match="b"):
        await run_reconcilers(ctx)
    assert seen == ["ok", "broken", "after"]


@pytest.fixture
async def sqlite_env(tmp_path: Any) -> Any:
    env = await make_env("embedded-sqlite", f"sqlite+aiosqlite:///{tmp_path}/units.db")
    try:
        yield env
    finally:
        await env.close()


def sample(name: str, labels: dict[str, str]) -> float:
    return PROM.get_sample_value(name, labels) or 0.0


async def test_metrics_queue_depth_and_claim_lag(sqlite_env: JobEnv) -> None:
    lag_before = sample("talentscout_job_lag_seconds_count", {"task": "test.effect"})
    done_before = sample("talentscout_jobs_finished_total", {"task": "test.effect", "outcome": "succeeded"})
    ids = [await sqlite_env.enqueue("test.effect", {"key": f"m{i}"}) for i in range(3)]
    known: set[str] = set()
    await queue_depth_to_metrics(sqlite_env.db, sqlite_env.queue, known)
    assert sample("talentscout_jobs_queue_depth", {"task": "test.effect"}) == 3
    async with sqlite_env.worker():
        await sqlite_env.wait_finished(ids)
    await queue_depth_to_metrics(sqlite_env.db, sqlite_env.queue, known)
    assert sample("talentscout_jobs_queue_depth", {"task": "test.effect"}) == 0
    assert sample("talentscout_job_lag_seconds_count", {"task": "test.effect"}) == lag_before + 3
    assert (
        sample("talentscout_jobs_finished_total", {"task": "test.effect", "outcome": "succeeded"})
        == done_before + 3
    )


def fake_app(job_env: JobEnv, *, run_worker: bool, **overrides: Any) -> FastAPI:
    app = FastAPI()
    app.state.settings = job_env.settings.model_copy(update=overrides)
    app.state.db = job_env.db
    app.state.run_worker = run_worker
    app.state.readiness_checks = {}
    return app


async def test_app_hook_runs_worker_scheduler_and_reconciler(
    sqlite_env: JobEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`talentscout serve`: the lifespan hook runs a worker + scheduler, and /readyz sees it."""

    async def hook(ctx: JobContext) -> int:
        async with ctx.fenced() as session:
            await session.execute(
                text(
                    "INSERT INTO test_effects (job_key, item, worker) VALUES ('rec', 0, 'r') "
                    "ON CONFLICT DO NOTHING"
                )
            )
        return 1

    monkeypatch.setitem(RECONCILERS, "test.reconcile", hook)
    app = fake_app(sqlite_env, run_worker=True, reconcile_interval_seconds=0.3)
    check = None
    stop = await jobs_lifespan(app)
    assert stop is not None
    try:
        check = app.state.readiness_checks["worker"]
        job_id = await sqlite_env.enqueue("test.effect", {"key": "via-app"})
        await sqlite_env.wait_finished([job_id])

        async def reconciled() -> bool:
            return bool(await sqlite_env.scalar("SELECT count(*) FROM test_effects WHERE job_key = 'rec'"))

        await sqlite_env.wait_until(reconciled, 15, "the reconciler to run")
        assert await check() == "ok"
    finally:
        await stop()
    assert app.state.job_queue.backend == "embedded"
    # The worker unregistered on shutdown: nobody is left to be ready for.
    assert await check() == "no worker has reported"


async def test_app_hook_without_worker(sqlite_env: JobEnv) -> None:
    test_app = fake_app(sqlite_env, run_worker=False)
    stop = await jobs_lifespan(test_app)
    assert stop is not None
    await stop()
    assert "worker" not in test_app.state.readiness_checks  # tests without a worker stay ready

    api_node = fake_app(sqlite_env, run_worker=False, env="development")
    stop = await jobs_lifespan(api_node)
    assert stop is not None
    try:
        assert await api_node.state.readiness_checks["worker"]() == "no worker has reported"
        async with sqlite_env.worker():  # e.g. a separate `talentscout worker`
            assert await api_node.state.readiness_checks["worker"]() == "ok"
    finally:
        await stop()


async def test_enqueue_from_a_task_joins_its_transaction(sqlite_env: JobEnv) -> None:
    """ctx.queue + ctx.fenced(): a task fans out follow-up jobs atomically with its own effects."""
    registry_name = "test.fanout"

    @task(registry_name)
    async def fanout(ctx: JobContext, *, n: int) -> None:
        async with ctx.fenced() as session:
            for i in range(n):
                await ctx.queue.enqueue(session, "test.effect", {"key": f"child{i}"}, dedupe_key=f"child:{i}")

    root = await sqlite_env.enqueue(registry_name, {"n": 3})
    async with sqlite_env.worker():
        await sqlite_env.wait_finished([root])

        async def children_done() -> bool:
            return (
                await sqlite_env.scalar("SELECT count(*) FROM test_effects WHERE job_key LIKE 'child%'") == 3
            )

        await sqlite_env.wait_until(children_done, 15, "the children to run")
    assert await sqlite_env.count_jobs("test.effect") == 3


async def test_worker_drops_heartbeat_and_database_on_stop(sqlite_env: JobEnv) -> None:
    db = Database(sqlite_env.url)
    try:
        async with sqlite_env.worker(db=db) as worker:
            assert (
                await sqlite_env.scalar("SELECT count(*) FROM job_workers WHERE id = :i", i=worker.worker_id)
                == 1
            )
        assert await sqlite_env.scalar("SELECT count(*) FROM job_workers") == 0
        # A borrowed Database stays usable for its owner.
        async with db.read() as session:
            assert (await session.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await db.dispose()
    await asyncio.sleep(0)

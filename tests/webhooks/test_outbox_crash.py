"""RELIABILITY 5–6: outbox atomicity and at-least-once delivery under SIGKILL.

Processes are forked from the test process (it has already imported everything,
so a child starts in milliseconds instead of seconds) and killed by pid with
SIGKILL at points chosen while they are delivering.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import signal
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from talentscout.db import Database
from talentscout.webhooks.dispatcher import run_dispatcher
from talentscout.webhooks.models import WebhookDelivery, WebhookEvent
from talentscout.webhooks.outbox import emit
from tests.conftest import make_settings
from tests.webhooks.conftest import FAST, World, dispatching, wait_receiver
from tests.webhooks.receiver import Receiver, Step

T = TypeVar("T")
_fork = multiprocessing.get_context("fork")


def _with_db(url: str, fn: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database(url)
        try:
            return await fn(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def _child_dispatch(url: str, overrides: dict[str, Any]) -> None:
    """Child process: one dispatcher until SIGTERM (graceful) or SIGKILL."""
    settings = make_settings(url, **{**FAST, **overrides})

    async def main() -> None:
        db = Database(url)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await run_dispatcher(db, settings, stop)
        await db.dispose()

    asyncio.run(main())
    os._exit(0)


def _child_emit(url: str, company_id: uuid.UUID, count: int, die_before_commit: bool) -> None:
    """Child process: emit `count` events in one transaction, then die by SIGKILL."""

    async def main() -> None:
        db = Database(url)
        async with db.write() as session:
            for i in range(count):
                await emit(session, company_id, "sourcing.completed", {"requestId": f"run-{i}"})
            await session.flush()
            if die_before_commit:
                os.kill(os.getpid(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)  # right after COMMIT returned

    asyncio.run(main())


def _run_child(target: Callable[..., None], *args: Any) -> multiprocessing.process.BaseProcess:
    process = _fork.Process(target=target, args=args, daemon=True)
    process.start()
    return process


async def _seed(world: World, url: str, **config: Any) -> tuple[uuid.UUID, Any]:
    company = await world.company()
    return company, await world.config(company, url, **config)


async def _count(db: Database, model: Any, **where: Any) -> int:
    async with db.read() as s:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return int((await s.execute(stmt)).scalar_one())


def _succeeded(url: str) -> int:
    """Count delivered rows with the stdlib driver: cheap enough to poll while a child runs."""
    with contextlib.closing(sqlite3.connect(url.split(":///", 1)[1], timeout=30)) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'"
        ).fetchone()
        return int(count)


def test_emit_rolled_back_or_killed_before_commit_never_delivers(sqlite_url: str) -> None:
    with Receiver() as r:
        company, _config = _with_db(sqlite_url, lambda db: _seed(World(db, sqlite_url), r.url))

        async def rolled_back(db: Database) -> None:
            with pytest.raises(RuntimeError):
                async with db.write() as s:
                    assert len(await emit(s, company, "sourcing.failed", {"requestId": "r1"})) == 1
                    raise RuntimeError("the state change failed")

        _with_db(sqlite_url, rolled_back)
        child = _run_child(_child_emit, sqlite_url, company, 5, True)
        child.join(20)
        assert child.exitcode == -signal.SIGKILL

        async def check(db: Database) -> None:
            world = World(db, sqlite_url)
            assert await _count(db, WebhookEvent) == 0 and await _count(db, WebhookDelivery) == 0
            async with dispatching(world):
                await asyncio.sleep(0.5)

        _with_db(sqlite_url, check)
        assert r.connections == 0


def test_emit_committed_is_delivered_even_if_the_process_dies_right_after(sqlite_url: str) -> None:
    with Receiver() as r:
        company, config = _with_db(sqlite_url, lambda db: _seed(World(db, sqlite_url), r.url))
        child = _run_child(_child_emit, sqlite_url, company, 5, False)
        child.join(20)
        assert child.exitcode == -signal.SIGKILL

        async def deliver(db: Database) -> list[Any]:
            async with dispatching(World(db, sqlite_url)):
                return await wait_receiver(r, 5)

        reqs = _with_db(sqlite_url, deliver)
    assert sorted(json.loads(q.body)["data"]["requestId"] for q in reqs) == [f"run-{i}" for i in range(5)]
    for q in reqs:
        Webhook(config.secret).verify(q.body, q.headers)


def test_at_least_once_when_the_dispatcher_is_killed_repeatedly(sqlite_url: str) -> None:
    total, kills = 200, 3
    rng = random.Random()
    # Short leases so a killed dispatcher's in-flight deliveries come back quickly.
    overrides = {
        "webhooks_lease_margin_seconds": 0.3,
        "webhooks_poll_seconds": 0.1,
        "webhooks_max_in_flight_per_config": 8,
    }
    with Receiver([Step(delay=0.005)]) as r:

        async def seed(db: Database) -> tuple[Any, list[str]]:
            world = World(db, sqlite_url)
            company, config = await _seed(world, r.url, timeout_ms=1000, max_retries=10)
            ids: list[str] = []
            async with db.write() as session:
                for i in range(total):
                    ids += await emit(session, company, "sourcing.completed", {"requestId": f"run-{i}"})
            return config, ids

        config, ids = _with_db(sqlite_url, seed)
        for _ in range(kills):
            child = _run_child(_child_dispatch, sqlite_url, overrides)
            seen = len(r.requests)
            # Kill at a random point while it is busy delivering.
            target = seen + rng.randint(1, 25)
            r.wait_until(lambda reqs: len(reqs) >= target, 20, "progress")  # noqa: B023
            time.sleep(rng.uniform(0, 0.05))
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
            child.join(10)
            assert child.exitcode == -signal.SIGKILL
        assert len({q.webhook_id for q in r.requests}) < total, "the kills came too late to test anything"

        child = _run_child(_child_dispatch, sqlite_url, overrides)
        try:
            deadline = time.monotonic() + 30
            while _succeeded(sqlite_url) < total:
                assert time.monotonic() < deadline, "deliveries were lost"
                assert child.is_alive()
                time.sleep(0.1)
        finally:
            os.kill(child.pid, signal.SIGTERM)  # type: ignore[arg-type]
            child.join(10)
        assert child.exitcode == 0, "SIGTERM should stop the dispatcher gracefully"

    bodies: dict[str, bytes] = {}
    verifier = Webhook(config.secret)
    for q in r.requests:
        verifier.verify(q.body, q.headers)
        assert json.loads(q.body)["deliveryId"] == q.webhook_id
        # A duplicate is the same message: same webhook-id, same body.
        assert bodies.setdefault(q.webhook_id, q.body) == q.body
    assert set(bodies) == set(ids)
    assert len(r.requests) >= total

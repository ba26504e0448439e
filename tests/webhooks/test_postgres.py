"""The dispatcher on PostgreSQL: concurrent dispatchers claim with FOR UPDATE SKIP LOCKED."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from talentscout.db import Database
from talentscout.migrate import upgrade
from tests.webhooks.conftest import World, dispatching, wait_receiver
from tests.webhooks.receiver import Receiver, Step

pytestmark = pytest.mark.pg


async def test_two_dispatchers_deliver_each_message_once(pg_url: str) -> None:
    await asyncio.to_thread(upgrade, pg_url)
    db = Database(pg_url)
    world = World(db, pg_url)
    try:
        company = await world.company()
        with Receiver([Step(delay=0.01)]) as r, Receiver([Step(status=500), Step()]) as flaky:
            await world.config(company, r.url, max_retries=0, events=["SOURCING_COMPLETED"])
            flaky_cfg = await world.config(company, flaky.url, max_retries=2, events=["ENRICH_COMPLETED"])
            ids: list[str] = []
            for _ in range(40):
                ids += await world.emit(company)
            retried = await world.emit(company, "enrich.completed")
            settings = world.settings(webhooks_max_in_flight_per_config=8)
            async with dispatching(world, settings), dispatching(world, settings):
                reqs = await wait_receiver(r, 40)
                await world.wait_deliveries(flaky_cfg.id, lambda ds: ds[0].status == "succeeded")
                await asyncio.sleep(0.3)
        counts = Counter(q.webhook_id for q in r.requests)
        assert set(counts) == set(ids) and max(counts.values()) == 1, "a message was claimed twice"
        assert len(reqs) == 40
        assert [q.webhook_id for q in flaky.requests] == retried * 2
        (attempt1, attempt2) = await world.attempts(retried[0])
        assert (attempt1.http_status, attempt2.http_status) == (500, 200)
    finally:
        await db.dispose()

"""RELIABILITY 4: the per-config breaker opens at the threshold, nothing is sent while open,
new deliveries are held and resent in creation order after reset; a failing config does
not slow a healthy one."""

from __future__ import annotations

import asyncio
import json
import time

from talentscout.webhooks import service
from talentscout.webhooks.models import WebhookConfig
from tests.webhooks.conftest import World, dispatching, wait_receiver
from tests.webhooks.receiver import Receiver, Step


async def _wait_open(world: World, config_id: object, within: float = 10.0) -> WebhookConfig:
    deadline = time.monotonic() + within
    while True:
        config = await world.get_config(config_id)  # type: ignore[arg-type]
        if config.circuit_opened_at is not None:
            return config
        assert time.monotonic() < deadline, f"breaker never opened ({config.consecutive_failures} failures)"
        await asyncio.sleep(0.02)


async def test_breaker_opens_holds_and_resends_in_creation_order(world: World) -> None:
    company = await world.company()
    settings = world.settings(webhooks_max_in_flight_per_config=1)
    with Receiver([Step(status=500)]) as r:
        config = await world.config(company, r.url, max_retries=0)
        for seq in range(10):
            await world.emit(company, seq=seq)
        async with dispatching(world, settings):
            opened = await _wait_open(world, config.id)
            assert opened.is_active is False and opened.consecutive_failures == 10
            assert len(r.requests) == 10
            held = [(await world.emit(company, seq=100 + i))[0] for i in range(3)]
            await asyncio.sleep(0.5)
            assert len(r.requests) == 10, "nothing may be sent while the breaker is open"
            async with world.db.read() as s:
                stored = await s.get(WebhookConfig, config.id)
                assert stored is not None
                rows = [d for d in await world.deliveries(config.id) if d.id in held]
                assert [service.delivery_status(d, stored) for d in rows] == ["held"] * 3

            r.set_script([Step(status=200)])
            async with world.db.write() as s:
                stored = await s.get(WebhookConfig, config.id)
                assert stored is not None
                await service.reset_circuit(s, stored)
            reqs = await wait_receiver(r, 13)
    resent = reqs[10:]
    assert [q.webhook_id for q in resent] == held
    assert [json.loads(q.body)["data"]["seq"] for q in resent] == [100, 101, 102]
    after = await world.get_config(config.id)
    assert after.is_active and after.circuit_opened_at is None and after.consecutive_failures == 0


async def test_breaker_counts_consecutive_failures_only(world: World) -> None:
    company = await world.company()
    script = [Step(status=500)] * 9 + [Step(status=200)] + [Step(status=500)] * 9
    with Receiver(script) as r:
        config = await world.config(company, r.url, max_retries=0)
        async with dispatching(world, world.settings(webhooks_max_in_flight_per_config=1)):
            for seq in range(19):
                await world.emit(company, seq=seq)
            await wait_receiver(r, 19)
            await world.wait_deliveries(config.id, lambda ds: all(d.attempts == 1 for d in ds))
    stored = await world.get_config(config.id)
    assert stored.circuit_opened_at is None and stored.consecutive_failures == 9


async def test_failing_config_does_not_slow_a_healthy_one(world: World) -> None:
    company = await world.company()
    settings = world.settings(webhooks_shutdown_grace_seconds=0.2)
    with Receiver([Step(hang=True)]) as hanging, Receiver([Step()]) as healthy:
        await world.config(company, hanging.url, timeout_ms=5000, max_retries=0)
        await world.config(company, healthy.url)
        async with dispatching(world, settings):
            for _ in range(12):  # saturate the hanging config's in-flight slots
                await world.emit(company)
            await wait_receiver(healthy, 12, within=3)
            latencies = []
            for i in range(10):
                started = time.monotonic()
                await world.emit(company)
                reqs = await wait_receiver(healthy, 13 + i, within=3)
                latencies.append(reqs[-1].mono - started)
            assert hanging.connections == settings.webhooks_max_in_flight_per_config
    latencies.sort()
    assert latencies[-1] < 0.5, latencies  # emit → receipt, while the other receiver hangs


async def test_one_configs_backlog_does_not_starve_another(world: World) -> None:
    company = await world.company()
    with Receiver([Step(delay=0.005)]) as busy, Receiver() as quiet:
        await world.config(company, busy.url, events=["SOURCING_COMPLETED"])
        await world.config(company, quiet.url, events=["ENRICH_COMPLETED"])
        async with world.db.write() as s:
            from talentscout.webhooks.outbox import emit

            for i in range(100):
                await emit(s, company, "sourcing.completed", {"requestId": str(i)})
        await world.emit(company, "enrich.completed")  # created after the whole backlog
        async with dispatching(world, world.settings(webhooks_max_in_flight_per_config=2)):
            await wait_receiver(quiet, 1)
            served_before = len(busy.requests)
    assert served_before < 20, f"the quiet config waited for {served_before} backlog deliveries"

"""RELIABILITY 3: retry schedule and jitter, maxRetries, Retry-After, 410, redirects,
hanging/trickling receivers cut at the total deadline, capped response reads."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import timedelta

import pytest

from talentscout.webhooks.delivery import BASE_SCHEDULE_SECONDS, backoff_seconds
from talentscout.webhooks.sender import parse_retry_after
from tests.webhooks.conftest import World, dispatching, wait_receiver
from tests.webhooks.receiver import Receiver, Step


def test_backoff_schedule_and_jitter_bounds() -> None:
    assert BASE_SCHEDULE_SECONDS == (5, 30, 120, 600, 1800, 3600)
    rng = random.Random(7)
    expected = [5, 30, 120, 600, 1800, 3600, 3600, 3600, 3600, 3600]
    for retry, base in enumerate(expected, start=1):
        draws = [backoff_seconds(retry, rng=rng) for _ in range(2000)]
        assert min(draws) >= base * 0.8 and max(draws) <= base * 1.2
        # The jitter really spreads (a constant schedule would synchronise retry storms).
        assert min(draws) < base * 0.85 and max(draws) > base * 1.15
    assert backoff_seconds(2, scale=0.01, jitter=0.0) == pytest.approx(0.3)


def test_parse_retry_after() -> None:
    assert parse_retry_after("120") == 120
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == pytest.approx(60)


async def test_500_three_times_then_200_follows_the_schedule(world: World) -> None:
    company = await world.company()
    with Receiver([Step(status=500)] * 3 + [Step(status=200)]) as r:
        config = await world.config(company, r.url, max_retries=5)
        (delivery_id,) = await world.emit(company)
        async with dispatching(world):
            reqs = await wait_receiver(r, 4)
            delivery = (await world.wait_deliveries(config.id, lambda ds: ds[0].status == "succeeded"))[0]
            await asyncio.sleep(0.3)
    assert len(r.requests) == 4
    assert {q.webhook_id for q in reqs} == {delivery_id}
    gaps = [b.mono - a.mono for a, b in itertools.pairwise(reqs)]
    for gap, base in zip(gaps, (0.05, 0.3, 1.2), strict=True):
        # ±20 % jitter, plus scheduling slack on the late side only.
        assert base * 0.8 - 0.01 <= gap <= base * 1.2 + 0.25, (gaps, base)
    assert delivery.attempts == 4 and delivery.last_http_status == 200
    attempts = await world.attempts(delivery_id)
    assert [a.http_status for a in attempts] == [500, 500, 500, 200]
    assert all(a.next_attempt_at is not None for a in attempts[:3]) and attempts[3].next_attempt_at is None
    assert all(a.duration_ms >= 0 for a in attempts)
    assert (await world.get_config(config.id)).consecutive_failures == 0


async def test_max_retries_bounds_attempts(world: World) -> None:
    company = await world.company()
    with Receiver([Step(status=500)]) as r:
        one = await world.config(company, r.url + "/a", max_retries=1)
        zero = await world.config(company, r.url + "/b", max_retries=0)
        await world.emit(company)
        async with dispatching(world):
            await world.wait_deliveries(one.id, lambda ds: ds[0].status == "failed")
            await world.wait_deliveries(zero.id, lambda ds: ds[0].status == "failed")
            await asyncio.sleep(0.5)  # a further retry would have been due by now
    assert sorted(q.path for q in r.requests) == ["/a", "/a", "/b"]
    (failed,) = await world.deliveries(one.id)
    assert failed.attempts == 2 and failed.last_error == "HTTP 500"
    assert (await world.get_config(one.id)).consecutive_failures == 2


async def test_retry_after_is_honoured_and_capped(world: World) -> None:
    company = await world.company()
    with (
        Receiver([Step(status=429, headers={"Retry-After": "120"})]) as r429,
        Receiver([Step(status=503, headers={"Retry-After": "7200"})]) as r503,
    ):
        c429 = await world.config(company, r429.url)
        c503 = await world.config(company, r503.url)
        await world.emit(company)
        async with dispatching(world):
            await wait_receiver(r429, 1)
            await wait_receiver(r503, 1)
            d429 = (await world.wait_deliveries(c429.id, lambda ds: ds[0].attempts == 1))[0]
            d503 = (await world.wait_deliveries(c503.id, lambda ds: ds[0].attempts == 1))[0]
            await asyncio.sleep(0.4)  # the scaled schedule alone would have retried after ~50 ms
    assert len(r429.requests) == 1 and len(r503.requests) == 1
    (a429,) = await world.attempts(d429.id)
    (a503,) = await world.attempts(d503.id)
    assert a429.next_attempt_at is not None and a503.next_attempt_at is not None
    assert a429.next_attempt_at - a429.started_at >= timedelta(seconds=120)
    assert a429.next_attempt_at - a429.started_at < timedelta(seconds=125)
    assert timedelta(seconds=3599) <= a503.next_attempt_at - a503.started_at <= timedelta(seconds=3605)
    assert d429.status == "pending" and d429.next_attempt_at == a429.next_attempt_at


async def test_410_disables_the_config(world: World) -> None:
    company = await world.company()
    with Receiver([Step(status=410)]) as r:
        config = await world.config(company, r.url, max_retries=5)
        await world.emit(company)
        async with dispatching(world):
            await world.wait_deliveries(config.id, lambda ds: ds[0].status == "failed")
            assert await world.emit(company) == []  # a disabled config gets no new deliveries
            await asyncio.sleep(0.3)
    assert len(r.requests) == 1
    stored = await world.get_config(config.id)
    assert stored.is_active is False and stored.disabled_reason == "gone" and stored.circuit_opened_at is None


async def test_redirects_are_not_followed(world: World) -> None:
    company = await world.company()
    with Receiver() as target:
        script = [Step(status=s, headers={"Location": target.url + "/stolen"}) for s in (301, 302, 307, 308)]
        with Receiver(script) as r:
            config = await world.config(company, r.url, max_retries=3)
            await world.emit(company)
            async with dispatching(world):
                (delivery,) = await world.wait_deliveries(config.id, lambda ds: ds[0].status == "failed", 15)
        assert target.connections == 0 and target.requests == []
    attempts = await world.attempts(delivery.id)
    assert [a.http_status for a in attempts] == [301, 302, 307, 308]
    assert all("redirects are not followed" in (a.error or "") for a in attempts)


async def test_hang_and_trickle_are_cut_at_the_total_deadline(world: World) -> None:
    company = await world.company()
    with Receiver([Step(hang=True)]) as hanging, Receiver([Step(trickle=0.05, body=b"x" * 200)]) as trickling:
        c_hang = await world.config(company, hanging.url, timeout_ms=1000, max_retries=0)
        c_trickle = await world.config(company, trickling.url, timeout_ms=1000, max_retries=0)
        await world.emit(company)
        async with dispatching(world):
            for config in (c_hang, c_trickle):
                await world.wait_deliveries(config.id, lambda ds: ds[0].status == "failed")
        assert len(trickling.requests) == 1 and len(hanging.requests) == 1
    for config in (c_hang, c_trickle):
        (delivery,) = await world.deliveries(config.id)
        (attempt,) = await world.attempts(delivery.id)
        # Per-read timeouts would never fire on a byte every 50 ms; the total deadline does.
        assert 950 <= attempt.duration_ms <= 1600, attempt.duration_ms
        assert attempt.http_status is None and "timed out after 1000 ms" in (attempt.error or "")


async def test_huge_response_body_read_is_capped(world: World) -> None:
    company = await world.company()
    with Receiver([Step(status=200, body_size=200 * 1024 * 1024)]) as r:
        config = await world.config(company, r.url, timeout_ms=10_000)
        await world.emit(company)
        async with dispatching(world):
            (delivery,) = await world.wait_deliveries(config.id, lambda ds: ds[0].status == "succeeded")
    (attempt,) = await world.attempts(delivery.id)
    assert attempt.http_status == 200
    assert attempt.duration_ms < 2000  # 200 MiB were offered; only 64 KiB were read
    assert attempt.response_excerpt is not None and len(attempt.response_excerpt) == 1024

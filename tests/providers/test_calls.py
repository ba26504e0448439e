"""The resilient call helper against a scripted loopback server (RELIABILITY.md items 8–10).

Durations are scaled: the 15 s attempt deadline is `DEADLINE` (0.3 s) here.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest

from talentscout.kit.breaker import BreakerConfig, BreakerState
from talentscout.providers.search.base import ProviderError, ProviderUnavailable
from talentscout.providers.search.calls import ResilientCaller
from tests.providers.conftest import DEADLINE, make_caller
from tests.providers.fakes import FakeServer, Reply


def ident(data: Any) -> Any:
    return data


async def call(caller: ResilientCaller, url: str, parse: Any = ident) -> Any:
    async with caller.client() as client:
        return await caller.call(client, "POST", url, parse, json={"q": 1})


async def test_success_returns_parsed_json(fake: FakeServer) -> None:
    fake.script({"/": [Reply(200, json={"ok": True})]})
    assert await call(make_caller("ok"), fake.url + "/x") == {"ok": True}
    assert len(fake.requests) == 1
    assert fake.requests[0].headers["accept-encoding"] == "identity"


@pytest.mark.parametrize(
    "reply",
    [Reply(500), Reply(503), Reply(429), Reply(close=True)],
    ids=["500", "503", "429", "connection-closed"],
)
async def test_retryable_failures_make_exactly_three_attempts(fake: FakeServer, reply: Reply) -> None:
    fake.script({"/": [reply]})
    with pytest.raises(ProviderError) as err:
        await call(make_caller("retry"), fake.url + "/x")
    assert err.value.retryable
    assert len(fake.requests) == 3


async def test_recovers_on_the_third_attempt(fake: FakeServer) -> None:
    fake.script({"/": [Reply(502), Reply(429), Reply(200, json=[1])]})
    assert await call(make_caller("recover"), fake.url + "/x") == [1]
    assert len(fake.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_other_4xx_is_one_attempt(fake: FakeServer, status: int) -> None:
    fake.script({"/": [Reply(status, json={"error": "bad"})]})
    with pytest.raises(ProviderError) as err:
        await call(make_caller("client-error"), fake.url + "/x")
    assert not err.value.retryable and f"HTTP {status}" in err.value.reason
    assert len(fake.requests) == 1


async def test_redirects_are_not_followed(fake: FakeServer) -> None:
    fake.script({"/": [Reply(302, headers={"location": "/elsewhere"})]})
    with pytest.raises(ProviderError):
        await call(make_caller("redirect"), fake.url + "/x")
    assert [r.path for r in fake.requests] == ["/x"]


async def test_connection_refused_is_retried() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    caller = make_caller("refused")
    started = time.monotonic()
    with pytest.raises(ProviderError) as err:
        await call(caller, f"http://127.0.0.1:{port}/x")
    assert err.value.retryable and "connection error" in err.value.reason
    assert time.monotonic() - started < 2


async def test_hang_is_cut_at_the_deadline_each_attempt(fake: FakeServer) -> None:
    fake.script({"/": [Reply(hang=True)]})
    started = time.monotonic()
    with pytest.raises(ProviderError) as err:
        await call(make_caller("hang"), fake.url + "/x")
    elapsed = time.monotonic() - started
    assert "deadline" in err.value.reason or "timeout" in err.value.reason
    assert len(fake.requests) == 3
    # Three deadlines plus short backoffs: never much more, never less.
    assert 3 * DEADLINE <= elapsed < 3 * DEADLINE + 0.6, elapsed
    gaps = [b.at - a.at for a, b in zip(fake.requests, fake.requests[1:], strict=False)]
    assert all(DEADLINE * 0.9 <= g < DEADLINE + 0.25 for g in gaps), gaps


async def test_trickled_body_is_cut_at_the_total_deadline(fake: FakeServer) -> None:
    # One byte every 20 ms never trips httpx's per-read timeout (0.3 s); only the total
    # deadline ends the attempt. Without it this body would take 40 s per attempt.
    fake.script({"/": [Reply(200, body=b'{"data": "' + b"x" * 2000 + b'"}', trickle=0.02)]})
    started = time.monotonic()
    with pytest.raises(ProviderError) as err:
        await call(make_caller("trickle"), fake.url + "/x")
    elapsed = time.monotonic() - started
    assert "deadline" in err.value.reason
    assert len(fake.requests) == 3
    assert elapsed < 3 * DEADLINE + 0.6, elapsed


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "until-close"])
async def test_five_megabyte_body_is_refused_once(fake: FakeServer, declare_length: bool) -> None:
    fake.script({"/": [Reply(200, size=5 * 1024 * 1024, declare_length=declare_length)]})
    started = time.monotonic()
    with pytest.raises(ProviderError) as err:
        await call(make_caller("huge"), fake.url + "/x")
    assert "too large" in err.value.reason and not err.value.retryable
    assert len(fake.requests) == 1
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"<html><body>502 Bad Gateway</body></html>", b"", b"\xff\xfe\x00garbage"],
    ids=["broken", "html", "empty", "binary"],
)
async def test_garbage_is_an_invalid_answer_not_a_crash(fake: FakeServer, body: bytes) -> None:
    fake.script({"/": [Reply(200, body=body)]})
    with pytest.raises(ProviderError) as err:
        await call(make_caller("garbage"), fake.url + "/x")
    assert "invalid response" in err.value.reason and not err.value.retryable
    assert len(fake.requests) == 1


async def test_validation_errors_from_parse_are_invalid_answers(fake: FakeServer) -> None:
    fake.script({"/": [Reply(200, json={"results": "not a list"})]})

    def parse(data: Any) -> list[Any]:
        results = data["results"]
        if not isinstance(results, list):
            raise TypeError("results is not a list")
        return results

    with pytest.raises(ProviderError) as err:
        await call(make_caller("shape"), fake.url + "/x", parse)
    assert "invalid response" in err.value.reason


async def test_breaker_opens_then_no_calls(fake: FakeServer) -> None:
    fake.script({"/": [Reply(500)]})
    caller = make_caller("breaker", breaker=BreakerConfig(min_calls=4, failure_rate=0.5, open_seconds=60))
    with pytest.raises(ProviderError):
        await call(caller, fake.url + "/x")  # 3 failed attempts
    with pytest.raises(ProviderError):
        await call(caller, fake.url + "/x")  # 4th failure opens it; the retry is refused
    assert len(fake.requests) == 4
    assert caller.breaker.state is BreakerState.OPEN
    started = time.monotonic()
    for _ in range(20):
        with pytest.raises(ProviderUnavailable):
            await call(caller, fake.url + "/x")
    assert len(fake.requests) == 4  # nothing reached the provider while open
    assert time.monotonic() - started < 0.5  # and nothing waited


async def test_half_open_probe_closes_after_recovery(fake: FakeServer) -> None:
    fake.script({"/": [Reply(500)]})
    caller = make_caller(
        "probe", attempts=1, breaker=BreakerConfig(min_calls=2, open_seconds=0.2, half_open_calls=1)
    )
    for _ in range(2):
        with pytest.raises(ProviderError):
            await call(caller, fake.url + "/x")
    assert caller.breaker.state is BreakerState.OPEN
    fake.script({"/": [Reply(200, json={"ok": 1})]})
    await asyncio.sleep(0.25)
    assert await call(caller, fake.url + "/x") == {"ok": 1}
    assert caller.breaker.state is BreakerState.CLOSED


async def test_client_errors_do_not_open_the_breaker(fake: FakeServer) -> None:
    fake.script({"/": [Reply(404)]})
    caller = make_caller("not-found", breaker=BreakerConfig(min_calls=2))
    for _ in range(5):
        with pytest.raises(ProviderError):
            await call(caller, fake.url + "/x")
    assert caller.breaker.state is BreakerState.CLOSED
    assert len(fake.requests) == 5


async def test_a_hundred_concurrent_calls_to_a_dead_provider_are_bounded(fake: FakeServer) -> None:
    fake.script({"/": [Reply(503, delay=0.02)]})
    min_calls, concurrency = 5, 4
    caller = make_caller(
        "storm",
        max_concurrency=concurrency,
        breaker=BreakerConfig(min_calls=min_calls, failure_rate=0.5, open_seconds=60),
    )
    started = time.monotonic()
    results = await asyncio.gather(
        *(call(caller, fake.url + "/x") for _ in range(100)), return_exceptions=True
    )
    assert all(isinstance(r, ProviderError) for r in results)
    assert sum(isinstance(r, ProviderUnavailable) for r in results) >= 90
    # Without the breaker and bulkhead this is 300 requests (100 calls x 3 attempts).
    assert len(fake.requests) <= min_calls + concurrency, len(fake.requests)
    assert time.monotonic() - started < 3


async def test_a_full_bulkhead_fails_over_instead_of_queueing(fake: FakeServer) -> None:
    fake.script({"/": [Reply(hang=True)]})
    # Two slots held for one deadline each; the other four give up after their queue wait.
    caller = make_caller("bulkhead", attempts=1, max_concurrency=2, queue_timeout=0.1)
    started = time.monotonic()
    results = await asyncio.gather(*(call(caller, fake.url + "/x") for _ in range(6)), return_exceptions=True)
    saturated = [r for r in results if isinstance(r, ProviderUnavailable)]
    assert len(saturated) == 4 and len(fake.requests) == 2
    assert time.monotonic() - started < DEADLINE + 0.3

"""The circuit breaker on a fake clock: threshold with a minimum of calls, rolling window,
open wait, bounded half-open probes, stale outcomes ignored, state exported as a gauge."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from talentscout.kit.breaker import BreakerConfig, BreakerOpen, BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(clock: Clock, *, half_open_calls: int = 2) -> CircuitBreaker:
    config = BreakerConfig(
        failure_rate=0.5, window_seconds=60, min_calls=4, open_seconds=30, half_open_calls=half_open_calls
    )
    return CircuitBreaker("unit", config, clock=clock, export=False)


def fail(b: CircuitBreaker, n: int = 1) -> None:
    for _ in range(n):
        b.acquire().failure()


def succeed(b: CircuitBreaker, n: int = 1) -> None:
    for _ in range(n):
        b.acquire().success()


def test_needs_min_calls_then_opens_at_the_failure_rate() -> None:
    clock = Clock()
    b = make(clock)
    fail(b, 3)
    assert b.state is BreakerState.CLOSED  # 3 of 3 failed, but fewer than min_calls
    succeed(b, 1)
    assert b.state is BreakerState.OPEN  # 3 of 4 = 75 % >= 50 %, and min_calls reached


def test_rate_over_min_calls_opens() -> None:
    clock = Clock()
    b = make(clock)
    succeed(b, 2)
    fail(b, 1)
    assert b.state is BreakerState.CLOSED  # 3 calls < min_calls 4
    fail(b, 1)
    assert b.state is BreakerState.OPEN  # 2/4 = 50 %
    with pytest.raises(BreakerOpen) as err:
        b.acquire()
    assert err.value.retry_after == pytest.approx(30.0)


def test_below_the_rate_stays_closed() -> None:
    clock = Clock()
    b = make(clock)
    succeed(b, 7)
    fail(b, 3)  # 30 %
    assert b.state is BreakerState.CLOSED
    assert b.allows()


def test_window_rolls_old_failures_out() -> None:
    clock = Clock()
    b = make(clock)
    fail(b, 3)
    clock.now += 61  # those three fall out of the 60 s window
    succeed(b, 3)
    fail(b, 1)  # window: 3 ok + 1 failed = 25 %
    assert b.state is BreakerState.CLOSED


def test_open_wait_then_bounded_half_open_probes_close_it() -> None:
    clock = Clock()
    b = make(clock)
    fail(b, 4)
    assert b.state is BreakerState.OPEN
    clock.now += 29.9
    assert not b.allows()
    clock.now += 0.2
    assert b.state is BreakerState.HALF_OPEN
    p1, p2 = b.acquire(), b.acquire()
    assert p1.probe and p2.probe
    with pytest.raises(BreakerOpen):
        b.acquire()  # only 2 probes at a time
    p1.success()
    with pytest.raises(BreakerOpen):
        b.acquire()  # 1 success + 1 in flight = the probe budget
    p2.success()
    assert b.state is BreakerState.CLOSED
    fail(b, 3)
    assert b.state is BreakerState.CLOSED  # the window started fresh: 3 < min_calls


def test_a_failed_probe_reopens_for_a_full_wait() -> None:
    clock = Clock()
    b = make(clock)
    fail(b, 4)
    clock.now += 30
    probe = b.acquire()
    probe.failure()
    assert b.state is BreakerState.OPEN
    clock.now += 29
    assert b.state is BreakerState.OPEN
    clock.now += 1
    assert b.state is BreakerState.HALF_OPEN


def test_a_released_probe_frees_its_slot() -> None:
    clock = Clock()
    b = make(clock, half_open_calls=1)
    fail(b, 4)
    clock.now += 30
    probe = b.acquire()
    with pytest.raises(BreakerOpen):
        b.acquire()
    probe.release()  # cancelled: no verdict
    b.acquire().success()
    assert b.state is BreakerState.CLOSED


def test_outcomes_from_an_earlier_state_are_ignored() -> None:
    clock = Clock()
    b = make(clock, half_open_calls=1)
    slow = b.acquire()  # admitted while closed
    fail(b, 4)
    assert b.state is BreakerState.OPEN
    clock.now += 30
    assert b.state is BreakerState.HALF_OPEN
    slow.success()  # must not count as the probe's success
    assert b.state is BreakerState.HALF_OPEN
    slow2 = b.acquire()
    slow2.failure()
    assert b.state is BreakerState.OPEN
    # double reporting is a no-op
    slow2.success()
    assert b.state is BreakerState.OPEN


def test_state_is_exported_at_scrape_time() -> None:
    clock = Clock()
    b = CircuitBreaker("unit-gauge", BreakerConfig(min_calls=1, open_seconds=5), clock=clock)

    def gauge() -> float | None:
        return REGISTRY.get_sample_value("talentscout_circuit_breaker_state", {"breaker": "unit-gauge"})

    assert gauge() == 0
    fail(b, 1)
    assert gauge() == 2
    clock.now += 5
    assert gauge() == 1  # the wait passed: half-open without any call


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        BreakerConfig(failure_rate=0)
    with pytest.raises(ValueError):
        BreakerConfig(min_calls=0)

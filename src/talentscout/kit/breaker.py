"""A circuit breaker: stop calling a dependency that keeps failing, probe it back carefully.

Used per candidate-index provider (ENGINE.md §4, RELIABILITY.md item 9), usable for
any outbound dependency. Three states:

* **closed** — calls flow; every finished call's outcome goes into a rolling time
  window. Once the window holds at least `min_calls` outcomes and the failure rate
  reaches `failure_rate`, the breaker opens. The minimum keeps one unlucky call
  after a quiet hour from opening it.
* **open** — no call is admitted (`acquire` raises `BreakerOpen` at once, so the
  caller fails over instead of waiting); after `open_seconds` it turns half-open.
* **half-open** — at most `half_open_calls` probe calls are admitted (concurrently
  or in sequence); that many successes close the breaker with a fresh window, any
  probe failure re-opens it for another `open_seconds`.

An outcome belongs to the state its call was admitted in (a generation number):
a slow call admitted while closed that fails after the breaker already opened
cannot re-open it or extend the wait, and it can never count as a probe.

The clock is injectable (monotonic seconds) so tests drive time directly. The
state is exported as the Prometheus gauge `talentscout_circuit_breaker_state`
(0 closed, 1 half-open, 2 open), evaluated at scrape time so an open breaker
whose wait has passed shows half-open even before the next call.
"""

from __future__ import annotations

import enum
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import Counter, Gauge

__all__ = [
    "BREAKER_STATE",
    "BreakerConfig",
    "BreakerOpen",
    "BreakerState",
    "CircuitBreaker",
    "Permit",
]

BREAKER_STATE = Gauge(
    "talentscout_circuit_breaker_state",
    "Circuit breaker state by breaker name (0 closed, 1 half-open, 2 open).",
    ["breaker"],
)
BREAKER_TRANSITIONS = Counter(
    "talentscout_circuit_breaker_transitions_total",
    "Circuit breaker state changes by breaker name and new state.",
    ["breaker", "state"],
)
BREAKER_REJECTED = Counter(
    "talentscout_circuit_breaker_rejected_total",
    "Calls refused without being made because the breaker was open or its probes were taken.",
    ["breaker"],
)


class BreakerState(enum.IntEnum):
    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


@dataclass(frozen=True)
class BreakerConfig:
    """Thresholds; every duration is in seconds of the breaker's clock."""

    failure_rate: float = 0.5  # open when failures / calls in the window reaches this
    window_seconds: float = 60.0
    min_calls: int = 10  # no verdict on fewer outcomes than this
    open_seconds: float = 30.0
    half_open_calls: int = 2  # probes admitted while half-open; this many successes close

    def __post_init__(self) -> None:
        if not 0.0 < self.failure_rate <= 1.0:
            raise ValueError("failure_rate must be in (0, 1]")
        if self.window_seconds <= 0 or self.open_seconds < 0:
            raise ValueError("window_seconds must be > 0 and open_seconds >= 0")
        if self.min_calls < 1 or self.half_open_calls < 1:
            raise ValueError("min_calls and half_open_calls must be >= 1")


class BreakerOpen(Exception):
    """The breaker refused the call; `retry_after` is the remaining open wait (0 when half-open)."""

    def __init__(self, name: str, retry_after: float) -> None:
        super().__init__(f"circuit breaker {name!r} is open")
        self.name = name
        self.retry_after = retry_after


class Permit:
    """One admitted call. Report exactly one of `success()`, `failure()` or `release()`.

    `release()` ends the call without a verdict (cancelled, or a failure that says
    nothing about the dependency's health); later reports are ignored.
    """

    __slots__ = ("_breaker", "_done", "generation", "probe")

    def __init__(self, breaker: CircuitBreaker, generation: int, probe: bool) -> None:
        self._breaker = breaker
        self.generation = generation
        self.probe = probe
        self._done = False

    def success(self) -> None:
        self._finish(True)

    def failure(self) -> None:
        self._finish(False)

    def release(self) -> None:
        self._finish(None)

    def _finish(self, ok: bool | None) -> None:
        if self._done:
            return
        self._done = True
        self._breaker._record(self, ok)


class CircuitBreaker:
    """A thread-safe circuit breaker (see module docstring)."""

    def __init__(
        self,
        name: str,
        config: BreakerConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        export: bool = True,
    ) -> None:
        self.name = name
        self.config = config or BreakerConfig()
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._generation = 0
        self._opened_at = 0.0
        self._outcomes: deque[tuple[float, bool]] = deque()
        self._failures = 0
        self._probes_in_flight = 0
        self._probe_successes = 0
        if export:
            # Evaluated at scrape time; a newer breaker with the same name takes the label over.
            BREAKER_STATE.labels(name).set_function(lambda: float(self.state))

    # --- reading --------------------------------------------------------------------
    @property
    def state(self) -> BreakerState:
        with self._lock:
            self._tick(self._clock())
            return self._state

    def snapshot(self) -> dict[str, float | int | str]:
        """State and window counts, for logs and debugging."""
        with self._lock:
            now = self._clock()
            self._tick(now)
            self._prune(now)
            return {
                "name": self.name,
                "state": self._state.name.lower(),
                "calls": len(self._outcomes),
                "failures": self._failures,
                "probesInFlight": self._probes_in_flight,
            }

    # --- admitting --------------------------------------------------------------------
    def acquire(self) -> Permit:
        """Admit one call or raise `BreakerOpen` (never blocks)."""
        with self._lock:
            now = self._clock()
            self._tick(now)
            if self._state is BreakerState.CLOSED:
                return Permit(self, self._generation, probe=False)
            if self._state is BreakerState.HALF_OPEN:
                if self._probes_in_flight + self._probe_successes < self.config.half_open_calls:
                    self._probes_in_flight += 1
                    return Permit(self, self._generation, probe=True)
                retry_after = 0.0
            else:
                retry_after = max(0.0, self._opened_at + self.config.open_seconds - now)
        BREAKER_REJECTED.labels(self.name).inc()
        raise BreakerOpen(self.name, retry_after)

    def allows(self) -> bool:
        """Whether a call would be admitted now (a cheap pre-check; `acquire` decides)."""
        with self._lock:
            self._tick(self._clock())
            if self._state is BreakerState.CLOSED:
                return True
            if self._state is BreakerState.HALF_OPEN:
                return self._probes_in_flight + self._probe_successes < self.config.half_open_calls
            return False

    def reset(self) -> None:
        """Close the breaker with an empty window (operator action, tests)."""
        with self._lock:
            self._transition(BreakerState.CLOSED, self._clock())

    # --- internals (lock held) ---------------------------------------------------------
    def _record(self, permit: Permit, ok: bool | None) -> None:
        with self._lock:
            now = self._clock()
            if permit.generation != self._generation:
                return  # admitted in an earlier state: its verdict is stale
            if permit.probe:
                self._probes_in_flight -= 1
                if ok is None:
                    return  # the probe slot is free again
                if not ok:
                    self._transition(BreakerState.OPEN, now)
                    return
                self._probe_successes += 1
                if self._probe_successes >= self.config.half_open_calls:
                    self._transition(BreakerState.CLOSED, now)
                return
            if ok is None or self._state is not BreakerState.CLOSED:
                return
            self._outcomes.append((now, ok))
            if not ok:
                self._failures += 1
            self._prune(now)
            calls = len(self._outcomes)
            if calls >= self.config.min_calls and self._failures / calls >= self.config.failure_rate:
                self._transition(BreakerState.OPEN, now)

    def _tick(self, now: float) -> None:
        if self._state is BreakerState.OPEN and now - self._opened_at >= self.config.open_seconds:
            self._transition(BreakerState.HALF_OPEN, now)

    def _prune(self, now: float) -> None:
        horizon = now - self.config.window_seconds
        while self._outcomes and self._outcomes[0][0] <= horizon:
            _, ok = self._outcomes.popleft()
            if not ok:
                self._failures -= 1

    def _transition(self, state: BreakerState, now: float) -> None:
        self._generation += 1
        self._state = state
        self._probes_in_flight = 0
        self._probe_successes = 0
        if state is BreakerState.OPEN:
            self._opened_at = now
        if state is BreakerState.CLOSED:
            self._outcomes.clear()
            self._failures = 0
        BREAKER_TRANSITIONS.labels(self.name, state.name.lower()).inc()

"""The one resilient call helper every external candidate-index request goes through.

Per call (RELIABILITY.md items 8–10):

* **bulkhead** — at most `max_concurrency` calls per provider in flight; a caller
  that cannot get a slot within the provider's retry budget gives up (failover)
  instead of queueing indefinitely behind a slow provider, and one that gets a
  slot after the breaker opened fails at once;
* **breaker** — every attempt needs a permit from the provider's circuit breaker;
  when it is open the call fails at once with `ProviderUnavailable`, including
  between retries, so the chain fails over without sleeping through backoffs;
* **total deadline per attempt** — `asyncio.timeout` around connect, status line,
  headers and the whole body: httpx timeouts are per read, so a server trickling
  one byte per second would otherwise never time out;
* **retries** — `attempts` in total (default 3 = 2 retries) with jittered
  exponential backoff (stamina), and ONLY on timeouts, connection errors, 429 and
  5xx; any other 4xx or an invalid answer is final after one attempt;
* **size cap** — the body is read incrementally and abandoned past
  `max_response_bytes` (a declared Content-Length over the cap is refused before
  reading); `Accept-Encoding: identity` keeps compressed bodies from growing past
  the cap after the check;
* **validation** — the caller's `parse` turns the JSON into typed values inside
  the attempt; anything it raises is an invalid answer, never a crash.

What counts against the breaker: timeouts, connection errors, 429, 5xx, 401/403
(a broken credential stays broken) and invalid answers. Other 4xx say "this
request was bad", not "the provider is down", and cancellation says nothing.
Redirects are not followed: a provider that moves must be reconfigured.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import certifi
import httpx
import orjson
import stamina
import structlog
from prometheus_client import Counter

from talentscout.kit.breaker import BreakerOpen, CircuitBreaker
from talentscout.providers.search.base import ProviderError, ProviderUnavailable

__all__ = ["ATTEMPTS", "CallPolicy", "ResilientCaller"]

T = TypeVar("T")
log = structlog.get_logger("talentscout.providers.search")

ATTEMPTS = Counter(
    "talentscout_search_provider_attempts_total",
    "External candidate-index request attempts by provider and outcome.",
    ["provider", "outcome"],
)
_BREAKER_STATUSES = frozenset({401, 403, 429})


@dataclass(frozen=True)
class CallPolicy:
    """Deadlines, retries and caps for one provider (all from Settings)."""

    attempt_timeout: float = 15.0
    attempts: int = 3
    backoff_initial: float = 0.5
    backoff_max: float = 4.0
    backoff_jitter: float = 0.5
    max_response_bytes: int = 2 * 1024 * 1024
    max_concurrency: int = 8
    # How long a call may wait for a free slot; None = the provider's whole retry budget
    # (attempts x deadline), so a queued call never waits longer than an admitted one may take.
    queue_timeout: float | None = None

    @property
    def slot_wait(self) -> float:
        if self.queue_timeout is not None:
            return self.queue_timeout
        return max(1, self.attempts) * self.attempt_timeout


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of milliseconds; a client per search must not pay it
    # every time (it would also stall the event loop under many concurrent runs).
    return ssl.create_default_context(cafile=certifi.where())


def _retry_hook(exc: Exception) -> bool | float:
    """stamina backoff hook: retry only retryable provider errors; honour a short Retry-After."""
    if not isinstance(exc, ProviderError) or not exc.retryable:
        return False
    return exc.retry_after if exc.retry_after is not None else True


def _retry_after(value: str | None, cap: float) -> float | None:
    # Only the delta-seconds form; an HTTP date is rare from APIs and not worth a parser.
    if value is None or not value.strip().isdigit():
        return None
    return min(float(value.strip()), cap)


class ResilientCaller:
    """Makes JSON requests to one provider under a `CallPolicy` and a `CircuitBreaker`."""

    def __init__(
        self,
        provider: str,
        policy: CallPolicy,
        breaker: CircuitBreaker,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.provider = provider
        self.policy = policy
        self.breaker = breaker
        self._transport = transport
        # asyncio primitives belong to one event loop; the worker has one, tests start many.
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def client(self) -> httpx.AsyncClient:
        """A client for one search (connections are reused across its requests)."""
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.policy.attempt_timeout),
            follow_redirects=False,
            verify=_tls_context(),
            transport=self._transport,
            headers={"Accept-Encoding": "identity", "User-Agent": "talentscout-search/1"},
        )

    def _slot(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._slots.get(loop)
        if sem is None:
            sem = self._slots[loop] = asyncio.Semaphore(max(1, self.policy.max_concurrency))
        return sem

    async def call(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        parse: Callable[[Any], T],
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
    ) -> T:
        """One logical request: bulkhead, breaker, retries; `parse(json)` is the result.

        Raises `ProviderUnavailable` (breaker open, saturated) or `ProviderError`.
        """
        if not self.breaker.allows():
            raise ProviderUnavailable(self.provider, "circuit breaker open")
        sem = self._slot()
        try:
            async with asyncio.timeout(self.policy.slot_wait):
                await sem.acquire()
        except TimeoutError:
            raise ProviderUnavailable(self.provider, "saturated: no free call slot") from None
        try:
            p = self.policy
            async for attempt in stamina.retry_context(
                on=_retry_hook,
                attempts=max(1, p.attempts),
                timeout=None,  # each attempt has its own deadline; attempts bound the total
                wait_initial=p.backoff_initial,
                wait_max=p.backoff_max,
                wait_jitter=p.backoff_jitter,
            ):
                with attempt:
                    return await self._attempt(client, method, url, parse, headers, params, json)
        finally:
            sem.release()
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        parse: Callable[[Any], T],
        headers: Mapping[str, str] | None,
        params: Mapping[str, str | int] | None,
        json: Any,
    ) -> T:
        try:
            permit = self.breaker.acquire()
        except BreakerOpen:
            ATTEMPTS.labels(self.provider, "rejected").inc()
            raise ProviderUnavailable(self.provider, "circuit breaker open") from None
        outcome = "cancelled"  # stays so only when cancelled or on an unexpected exception
        try:
            body = await self._fetch(client, method, url, headers, params, json)
            try:
                result = parse(orjson.loads(body))
            except Exception as exc:  # untrusted input: any parse/validation failure is "invalid"
                raise ProviderError(self.provider, f"invalid response: {_short(exc)}") from None
            outcome = "ok"
            permit.success()
            return result
        except ProviderError as exc:
            outcome = "retryable" if exc.retryable else "failed"
            (permit.failure if exc.counts else permit.release)()
            log.info("search.provider_attempt_failed", provider=self.provider, reason=exc.reason)
            raise
        finally:
            permit.release()  # no-op after success()/failure(); frees a probe slot on cancellation
            ATTEMPTS.labels(self.provider, outcome).inc()

    async def _fetch(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str | int] | None,
        json: Any,
    ) -> bytes:
        p = self.provider
        cap = self.policy.max_response_bytes
        try:
            async with (
                asyncio.timeout(self.policy.attempt_timeout),
                client.stream(method, url, headers=headers, params=params, json=json) as resp,
            ):
                status = resp.status_code
                if status == 429 or status >= 500:
                    err = ProviderError(p, f"HTTP {status}", retryable=True)
                    if status == 429:
                        err.retry_after = _retry_after(
                            resp.headers.get("retry-after"), self.policy.backoff_max
                        )
                    raise err
                if status >= 300:
                    raise ProviderError(
                        p, f"HTTP {status}", counts=status in _BREAKER_STATUSES or status < 400
                    )
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > cap:
                    raise ProviderError(p, f"response too large ({declared} bytes > {cap})")
                buf = bytearray()
                async for chunk in resp.aiter_bytes():
                    buf += chunk
                    if len(buf) > cap:
                        raise ProviderError(p, f"response too large (> {cap} bytes)")
                return bytes(buf)
        except TimeoutError:
            raise ProviderError(
                p, f"deadline of {self.policy.attempt_timeout:g} s exceeded", retryable=True
            ) from None
        except httpx.TimeoutException as exc:
            raise ProviderError(p, f"timeout: {type(exc).__name__}", retryable=True) from None
        except httpx.TransportError as exc:
            # Connect/read/write errors and protocol violations: the connection, not the request.
            raise ProviderError(p, f"connection error: {type(exc).__name__}", retryable=True) from None
        except httpx.HTTPError as exc:
            raise ProviderError(p, f"request error: {type(exc).__name__}") from None


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]

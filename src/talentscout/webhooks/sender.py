"""One HTTP attempt of a webhook delivery, through the SSRF guard, under a total deadline.

- The target is resolved and checked on *every* attempt and the request goes to
  the checked IP address; `Host` and TLS SNI/certificate checks keep the original
  name. No other lookup happens, so DNS rebinding cannot move the request.
- The whole attempt (DNS, connect, TLS, request, response headers, capped body
  read) runs inside `asyncio.timeout(timeoutMs)`: httpx timeouts apply per read,
  so a receiver trickling one byte a second would otherwise never time out.
- Redirects are not followed, proxies from the environment are ignored, and
  connections are never reused: a pooled TLS connection to an IP shared by two
  host names would otherwise carry one customer's request under another's
  certificate.
"""

from __future__ import annotations

import asyncio
import email.utils
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import httpx

from talentscout import __version__
from talentscout.config import Settings
from talentscout.kit.clock import utcnow
from talentscout.kit.ssrf import CheckedTarget, Resolver, SsrfError, resolve_and_check

USER_AGENT = f"talentscout-webhooks/{__version__}"
EXCERPT_CHARS = 1024


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt produced; `status` is None when no response headers arrived."""

    started_at: datetime
    duration_ms: int
    status: int | None
    error: str | None
    retry_after: float | None = None
    excerpt: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date; None if absent or garbled."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class WebhookSender:
    """Sends signed payloads; owns one httpx client without pooling or redirects."""

    def __init__(
        self,
        *,
        allow_private: bool,
        response_cap_bytes: int = 64 * 1024,
        resolver: Resolver | None = None,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.response_cap = response_cap_bytes
        self.resolver = resolver
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
            verify=verify,  # certificates are checked against the URL's host name (via SNI), never the IP
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings, resolver: Resolver | None = None) -> WebhookSender:
        return cls(
            allow_private=settings.webhooks_allow_private,
            response_cap_bytes=settings.webhooks_response_cap_bytes,
            resolver=resolver,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, url: str, body: bytes, headers: Mapping[str, str], timeout_ms: int) -> AttemptResult:
        """POST `body` to `url` once; never raises for network or receiver failures."""
        started_at = utcnow()
        t0 = time.perf_counter()
        status: int | None = None
        retry_after: float | None = None
        chunks: list[bytes] = []

        def result(error: str | None) -> AttemptResult:
            excerpt = b"".join(chunks)[:EXCERPT_CHARS].decode("utf-8", "replace") if chunks else None
            return AttemptResult(
                started_at=started_at,
                duration_ms=int((time.perf_counter() - t0) * 1000),
                status=status,
                error=error,
                retry_after=retry_after,
                excerpt=excerpt,
            )

        try:
            async with asyncio.timeout(timeout_ms / 1000):
                target = await resolve_and_check(
                    url, allow_private=self.allow_private, resolver=self.resolver
                )
                async with self._open(target, body, headers, timeout_ms) as response:
                    status = response.status_code
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                    received = 0
                    # Raw bytes: a gzip bomb cannot expand past the cap.
                    async for chunk in response.aiter_raw():
                        chunks.append(chunk[: self.response_cap - received])
                        received += len(chunk)
                        if received >= self.response_cap:
                            break
        except TimeoutError:
            if status is not None:
                # Headers arrived in time; only the (informational) body was cut.
                return result(None if 200 <= status < 300 else f"HTTP {status}")
            return result(f"timed out after {timeout_ms} ms (total deadline)")
        except SsrfError as exc:
            return result(f"blocked by SSRF guard: {exc.reason}")
        except httpx.HTTPError as exc:
            return result(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        except OSError as exc:
            return result(f"{type(exc).__name__}: {exc}")
        if status is not None and not 200 <= status < 300:
            if 300 <= status < 400:
                return result(f"HTTP {status} (redirects are not followed)")
            return result(f"HTTP {status}")
        return result(None)

    def _open(
        self, target: CheckedTarget, body: bytes, headers: Mapping[str, str], timeout_ms: int
    ) -> _Exchange:
        return _Exchange(self._client, target, body, headers, timeout_ms)


class _Exchange:
    """Async context manager: try each checked address until one accepts the connection."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        target: CheckedTarget,
        body: bytes,
        headers: Mapping[str, str],
        timeout_ms: int,
    ) -> None:
        self.client = client
        self.target = target
        self.body = body
        self.headers = headers
        self.timeout = httpx.Timeout(timeout_ms / 1000)
        self.response: httpx.Response | None = None

    async def __aenter__(self) -> httpx.Response:
        merged: dict[str, str] = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "accept-encoding": "identity",
        }
        merged.update({k.lower(): v for k, v in self.headers.items()})
        merged["host"] = self.target.host_header
        extensions: dict[str, object] = {}
        is_literal = self.target.host == str(self.target.addresses[0]) and len(self.target.addresses) == 1
        if self.target.scheme == "https" and not is_literal:
            extensions["sni_hostname"] = self.target.host
        last_error: httpx.ConnectError | None = None
        for address in self.target.addresses:
            request = self.client.build_request(
                "POST",
                self.target.url_for(address),
                content=self.body,
                headers=merged,
                timeout=self.timeout,
                extensions=extensions,
            )
            try:
                self.response = await self.client.send(request, stream=True)
                return self.response
            except httpx.ConnectError as exc:  # nothing was sent: the next checked address is safe to try
                last_error = exc
        assert last_error is not None
        raise last_error

    async def __aexit__(self, *exc: object) -> None:
        if self.response is not None:
            await self.response.aclose()

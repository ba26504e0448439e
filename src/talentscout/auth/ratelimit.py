"""Per-key rate limits: a minute and an hour window, plus an extra polling window (API.md §3).

Storage is in-process (`limits` memory storage) in the embedded mode and Redis
when TALENTSCOUT_REDIS_URL is set, so limits hold across API replicas. The
sliding-window-counter strategy costs O(1) per hit on both storages.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from talentscout.errors import AppError


@dataclass(frozen=True)
class WindowState:
    limit: int
    remaining: int
    reset: int


@dataclass(frozen=True)
class RateState:
    minute: WindowState
    hour: WindowState

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit-Minute": str(self.minute.limit),
            "X-RateLimit-Remaining-Minute": str(self.minute.remaining),
            "X-RateLimit-Reset-Minute": str(self.minute.reset),
            "X-RateLimit-Limit-Hour": str(self.hour.limit),
            "X-RateLimit-Remaining-Hour": str(self.hour.remaining),
            "X-RateLimit-Reset-Hour": str(self.hour.reset),
        }


class RateLimiter:
    """Checks and consumes the windows of one identity (a key id, or `ip:<addr>`)."""

    def __init__(self, redis_url: str | None = None) -> None:
        self.storage: Storage
        if redis_url:
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
            self.storage = RedisStorage(uri, implementation="redispy")
        else:
            self.storage = MemoryStorage()
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)

    async def _state(self, item: RateLimitItem, ident: str) -> WindowState:
        stats = await self.strategy.get_window_stats(item, ident)
        return WindowState(item.amount, max(0, stats.remaining), math.ceil(stats.reset_time))

    async def peek(self, ident: str, per_minute: int, per_hour: int) -> RateState:
        minute = RateLimitItemPerMinute(per_minute)
        hour = RateLimitItemPerHour(per_hour)
        return RateState(await self._state(minute, ident), await self._state(hour, ident))

    async def hit(
        self, ident: str, per_minute: int, per_hour: int, polling_per_minute: int | None = None
    ) -> RateState:
        """Consume one request from every window, or raise 429 consuming nothing."""
        minute = RateLimitItemPerMinute(per_minute)
        hour = RateLimitItemPerHour(per_hour)
        checks: list[tuple[RateLimitItem, str]] = [(minute, ident), (hour, ident)]
        if polling_per_minute is not None:
            checks.append((RateLimitItemPerMinute(polling_per_minute, namespace="POLL"), ident))
        for item, who in checks:
            if not await self.strategy.test(item, who):
                await self._raise(item, who, minute, hour, ident)
        for item, who in checks:
            if not await self.strategy.hit(item, who):
                # Lost a race with a concurrent request at the boundary.
                await self._raise(item, who, minute, hour, ident)
        return RateState(await self._state(minute, ident), await self._state(hour, ident))

    async def _raise(
        self, item: RateLimitItem, who: str, minute: RateLimitItem, hour: RateLimitItem, ident: str
    ) -> None:
        failed = await self._state(item, who)
        state = RateState(await self._state(minute, ident), await self._state(hour, ident))
        retry_after = max(1, failed.reset - int(time.time()))
        headers = state.headers()
        headers["Retry-After"] = str(retry_after)
        raise AppError(
            "RATE_LIMIT_EXCEEDED",
            429,
            f"Rate limit of {item.amount} requests per {item.GRANULARITY.name} exceeded.",
            {"retryAfter": retry_after, "limit": item.amount, "remaining": 0, "reset": failed.reset},
            headers,
        )

    async def reset(self) -> None:
        await self.storage.reset()

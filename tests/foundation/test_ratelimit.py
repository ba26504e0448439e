"""Rate limits (API.md §3): two windows per key, overrides, headers, 429, Redis across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from talentscout.auth.ratelimit import RateLimiter
from talentscout.errors import AppError
from tests.foundation.test_errors import assert_envelope
from tests.harness import ADMIN_TOKEN, Api

HEADERS = [f"x-ratelimit-{k}-{w}" for w in ("minute", "hour") for k in ("limit", "remaining", "reset")]


def test_headers_on_every_response(api: Api) -> None:
    t = api.tenant()
    for r in [
        api.call("GET", "/me", t.key),
        api.call("GET", "/companies/" + "0" * 8 + "-0000-4000-8000-000000000000", t.key),
        api.call("GET", "/me", None),
        api.call("GET", "/livez", None),
    ]:
        if r.request.url.path == "/livez":
            continue
        for h in HEADERS:
            assert h in r.headers, (r.request.url, h)
    r = api.call("GET", "/me", t.key)
    assert int(r.headers["x-ratelimit-reset-minute"]) > time.time()


def test_limit_plus_one_is_429_and_other_keys_unaffected(api: Api) -> None:
    cid = api.create_company()
    key, _ = api.create_key(cid, rateLimitPerMinute=3)
    other, _ = api.create_key(cid)
    remaining = [int(api.call("GET", "/me", key).headers["x-ratelimit-remaining-minute"]) for _ in range(3)]
    assert remaining == [2, 1, 0]
    r = api.call("GET", "/me", key)
    body = assert_envelope(r, 429, "RATE_LIMIT_EXCEEDED")
    assert int(r.headers["retry-after"]) >= 1
    assert body["error"]["details"]["limit"] == 3 and body["error"]["details"]["remaining"] == 0
    assert api.call("GET", "/me", other).status_code == 200


def test_company_plan_and_override(api: Api) -> None:
    cid = api.create_company("Trial Co", plan="trial")
    key, _ = api.create_key(cid)
    r = api.call("GET", "/me", key)
    assert r.headers["x-ratelimit-limit-minute"] == "30" and r.headers["x-ratelimit-limit-hour"] == "500"
    cid2 = api.create_company("Custom Co", rateLimitPerMinute=7)
    key2, _ = api.create_key(cid2)
    assert api.call("GET", "/me", key2).headers["x-ratelimit-limit-minute"] == "7"
    key3, _ = api.create_key(cid2, rateLimitPerMinute=9)
    assert api.call("GET", "/me", key3).headers["x-ratelimit-limit-minute"] == "9"


async def test_polling_window_is_extra_and_hour_window_counts() -> None:
    limiter = RateLimiter()
    for _ in range(2):
        await limiter.hit("k", 100, 1000, polling_per_minute=2)
    with pytest.raises(AppError) as exc:
        await limiter.hit("k", 100, 1000, polling_per_minute=2)
    assert exc.value.status == 429
    # the polling window does not block non-polling calls
    await limiter.hit("k", 100, 1000)
    limiter2 = RateLimiter()
    await limiter2.hit("h", 100, 1)
    with pytest.raises(AppError) as exc:
        await limiter2.hit("h", 100, 1)
    assert exc.value.details and exc.value.details["limit"] == 1


async def test_429_consumes_nothing() -> None:
    limiter = RateLimiter()
    await limiter.hit("z", 1, 100)
    for _ in range(5):
        with pytest.raises(AppError):
            await limiter.hit("z", 1, 100)
    state = await limiter.peek("z", 1, 100)
    assert state.hour.remaining == 99  # the rejected calls did not count against the hour


def _serve(db_url: str, port: int, redis_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TALENTSCOUT_DATABASE_URL": db_url,
        "TALENTSCOUT_REDIS_URL": redis_url,
        "TALENTSCOUT_ADMIN_TOKEN": ADMIN_TOKEN,
        "TALENTSCOUT_SECRET_KEY": "test-pepper",
        "TALENTSCOUT_DEMO_PROFILES": "0",
        "TALENTSCOUT_ENV": "test",
    }
    cmd = [sys.executable, "-m", "talentscout.cli", "serve", "--no-worker", "--port", str(port)]
    return subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120  # a cold interpreter under CI load
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited"
        try:
            if httpx.get(base + "/livez", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not start")


@pytest.mark.redis
def test_limit_holds_across_two_api_processes_sharing_redis(redis_url: str, sqlite_url: str, tmp_path: Path) -> None:
    ports = [_free_port(), _free_port()]
    procs = [_serve(sqlite_url, p, redis_url, tmp_path / f"srv{p}.log") for p in ports]
    try:
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for base, proc in zip(bases, procs, strict=True):
            _wait_ready(base, proc)
        a, b = Api(bases[0]), Api(bases[1])
        cid = a.create_company()
        key, _ = a.create_key(cid, rateLimitPerMinute=6)
        statuses = []
        for i in range(8):
            statuses.append((a if i % 2 == 0 else b).call("GET", "/me", key).status_code)
        assert statuses[:6] == [200] * 6
        assert statuses[6:] == [429, 429]
        # the second process reports the shared remaining count
        r = b.call("GET", "/me", key)
        assert r.status_code == 429 and r.headers["x-ratelimit-remaining-minute"] == "0"
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=20)

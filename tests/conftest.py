"""Shared fixtures: settings on a temp SQLite file (or PostgreSQL), a live server, an API client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from talentscout.app import create_app
from talentscout.config import Settings
from talentscout.migrate import upgrade
from tests.harness import ADMIN_TOKEN, PG_URL, REDIS_URL, Api, running

IN_CI = os.environ.get("CI") == "true"


def _reachable_pg() -> bool:
    import psycopg

    try:
        url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, connect_timeout=3):
            return True
    except Exception:
        return False


def _reachable_redis() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping())
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_available() -> bool:
    ok = _reachable_pg()
    if not ok and IN_CI:
        pytest.fail(f"PostgreSQL is mandatory in CI but unreachable at {PG_URL}")
    return ok


@pytest.fixture(scope="session")
def redis_available() -> bool:
    ok = _reachable_redis()
    if not ok and IN_CI:
        pytest.fail(f"Redis is mandatory in CI but unreachable at {REDIS_URL}")
    return ok


@pytest.fixture
def pg_url(pg_available: bool) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    if not pg_available:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL} (mandatory in CI)")
    import psycopg

    name = f"ts_{uuid.uuid4().hex[:12]}"
    admin_url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url(redis_available: bool) -> str:
    if not redis_available:
        pytest.skip(f"Redis not reachable at {REDIS_URL} (mandatory in CI)")
    return REDIS_URL


def make_settings(database_url: str, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "env": "test",
        "database_url": database_url,
        "admin_token": SecretStr(ADMIN_TOKEN),
        "secret_key": SecretStr("test-pepper"),
        "demo_profiles": 0,
        "log_json": True,
        "log_level": "WARNING",
        "worker_enabled": False,
    }
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/talentscout.db"
    upgrade(url)
    return url


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return make_settings(sqlite_url)


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    """A live server on the embedded default (SQLite) and a client for it."""
    with running(create_app(settings)) as base:
        client = Api(base)
        try:
            yield client
        finally:
            client.close()

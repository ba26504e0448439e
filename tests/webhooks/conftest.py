"""Fixtures for webhook tests: a migrated database, seeding helpers, an in-process dispatcher."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from sqlalchemy import select

from talentscout.app import create_app
from talentscout.auth.models import ApiKey
from talentscout.config import Settings
from talentscout.db import Database
from talentscout.kit.ssrf import Resolver
from talentscout.tenancy.models import Company
from talentscout.webhooks.dispatcher import Dispatcher
from talentscout.webhooks.models import WebhookAttempt, WebhookConfig, WebhookDelivery
from talentscout.webhooks.outbox import emit
from talentscout.webhooks.sender import WebhookSender
from talentscout.webhooks.signing import new_secret
from tests.conftest import make_settings
from tests.harness import Api, running
from tests.webhooks.receiver import Received, Receiver, Step

# Scaled time: the 5 s / 30 s / 2 min schedule becomes 50 ms / 300 ms / 1.2 s.
FAST: dict[str, Any] = {
    "webhooks_allow_private": True,
    "webhooks_retry_scale": 0.01,
    "webhooks_poll_seconds": 0.2,
    "webhooks_lease_margin_seconds": 2.0,
    "webhooks_shutdown_grace_seconds": 2.0,
}


class World:
    """Direct database seeding for dispatcher-level tests (no HTTP API in the way)."""

    def __init__(self, db: Database, url: str) -> None:
        self.db = db
        self.url = url

    def settings(self, **overrides: Any) -> Settings:
        return make_settings(self.url, **{**FAST, **overrides})

    async def company(self, name: str = "Acme", parent: uuid.UUID | None = None) -> uuid.UUID:
        async with self.db.write() as s:
            company = Company(name=name, parent_company_id=parent)
            s.add(company)
            await s.flush()
            key = ApiKey(
                company_id=company.id,
                name="k",
                kind="ats" if parent is None else "standard",
                prefix="sk_test_xxxx",
                key_hash=uuid.uuid4().hex,
                scopes=[],
            )
            s.add(key)
            await s.flush()
            company_id: uuid.UUID = company.id
            return company_id

    async def config(
        self,
        company_id: uuid.UUID | None,
        url: str,
        *,
        owner: uuid.UUID | None = None,
        events: list[str] | None = None,
        **fields: Any,
    ) -> WebhookConfig:
        owner_id = owner or company_id
        assert owner_id is not None
        async with self.db.write() as s:
            key_id = (
                (await s.execute(select(ApiKey.id).where(ApiKey.company_id == owner_id))).scalars().first()
            )
            config = WebhookConfig(
                api_key_id=key_id,
                owner_company_id=owner_id,
                company_id=company_id,
                url=url,
                events=events or ["PING", "SOURCING_COMPLETED", "SOURCING_FAILED", "ENRICH_COMPLETED"],
                headers=fields.pop("headers", []),
                secret=fields.pop("secret", new_secret()),
                is_active=fields.pop("is_active", True),
                max_retries=fields.pop("max_retries", 3),
                timeout_ms=fields.pop("timeout_ms", 2000),
                consecutive_failures=0,
                **fields,
            )
            s.add(config)
            await s.flush()
            return config

    async def emit(self, company_id: uuid.UUID, event: str = "sourcing.completed", **data: Any) -> list[str]:
        payload = {"requestId": str(uuid.uuid4()), "status": "completed", **data}
        async with self.db.write() as s:
            ids: list[str] = await emit(s, company_id, event, payload)
            return ids

    async def deliveries(self, config_id: uuid.UUID | None = None) -> list[WebhookDelivery]:
        async with self.db.read() as s:
            stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
            if config_id is not None:
                stmt = stmt.where(WebhookDelivery.config_id == config_id)
            return list((await s.execute(stmt)).scalars())

    async def attempts(self, delivery_id: str) -> list[WebhookAttempt]:
        async with self.db.read() as s:
            stmt = (
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id == delivery_id)
                .order_by(WebhookAttempt.attempt)
            )
            return list((await s.execute(stmt)).scalars())

    async def get_config(self, config_id: uuid.UUID) -> WebhookConfig:
        async with self.db.read() as s:
            config = await s.get(WebhookConfig, config_id)
            assert config is not None
            return config

    async def wait_deliveries(
        self, config_id: uuid.UUID, predicate: Any, within: float = 10.0
    ) -> list[WebhookDelivery]:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            rows = await self.deliveries(config_id)
            if predicate(rows):
                return rows
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"deliveries never matched: {[(d.id, d.status, d.attempts) for d in rows]}"
                )
            await asyncio.sleep(0.02)


@pytest.fixture
async def world(sqlite_url: str) -> AsyncIterator[World]:
    db = Database(sqlite_url)
    try:
        yield World(db, sqlite_url)
    finally:
        await db.dispose()


@asynccontextmanager
async def dispatching(
    world: World,
    settings: Settings | None = None,
    resolver: Resolver | None = None,
    sender: WebhookSender | None = None,
) -> AsyncIterator[Dispatcher]:
    """Run a dispatcher on the test's loop for the duration of the block."""
    dispatcher = Dispatcher(world.db, settings or world.settings(), resolver=resolver, sender=sender)
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        yield dispatcher
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
        if sender is not None:
            await sender.aclose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver([Step()]) as r:
        yield r


async def wait_receiver(r: Receiver, count: int, within: float = 10.0) -> list[Received]:
    """`Receiver.wait_for` without blocking the event loop the dispatcher runs on."""
    return await asyncio.to_thread(r.wait_for, count, within)


@pytest.fixture
def dev_settings(sqlite_url: str) -> Settings:
    """Settings for API tests: loopback receivers allowed, scaled schedule, no worker."""
    return make_settings(sqlite_url, **FAST)


async def fake_dns(host: str, port: int) -> list[str]:
    """Tests never touch real DNS: `*.example.com` is a public address, the rest does not resolve."""
    if host == "example.com" or host.endswith(".example.com"):
        return ["93.184.216.34"]
    raise OSError(f"fake DNS: {host} not found")


@contextmanager
def _serve(settings: Settings, *, run_worker: bool) -> Iterator[Api]:
    app = create_app(settings, run_worker=run_worker)
    app.state.ssrf_resolver = fake_dns
    with running(app) as base:
        client = Api(base)
        try:
            yield client
        finally:
            client.close()


@pytest.fixture
def dev_api(dev_settings: Settings) -> Iterator[Api]:
    with _serve(dev_settings, run_worker=False) as client:
        yield client


@pytest.fixture
def dev_api_worker(dev_settings: Settings) -> Iterator[Api]:
    """Like `dev_api`, with the in-process workers (the webhook dispatcher among them)."""
    with _serve(dev_settings, run_worker=True) as client:
        yield client


@pytest.fixture
def strict_api(sqlite_url: str) -> Iterator[Api]:
    """Production-like URL rules: https only, public addresses only."""
    with _serve(make_settings(sqlite_url), run_worker=False) as client:
        yield client

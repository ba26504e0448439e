"""Application factory: lifespan (database, rate limiter, worker), middleware, error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from talentscout import __version__, demo
from talentscout.api import ADMIN_ROUTERS, PUBLIC_ROUTERS, company_alias_router
from talentscout.auth.ratelimit import RateLimiter
from talentscout.config import Settings, get_settings
from talentscout.db import Database
from talentscout.index.lifecycle import index_lifespan
from talentscout.jobs.worker import jobs_lifespan
from talentscout.observability import configure_logging
from talentscout.web import EdgeMiddleware, install_error_handlers
from talentscout.webhooks.lifecycle import webhooks_startup

LifespanHook = Callable[[FastAPI], Awaitable[Callable[[], Awaitable[None]] | None]]
# Features (jobs worker, demo bootstrap …) register start hooks that may return a stop callback.
# Order matters: the demo tenant (and its demo pool, via demo.DEMO_HOOKS) first, then the
# local index is opened/caught up, then workers start.
STARTUP_HOOKS: list[LifespanHook] = [demo.bootstrap, index_lifespan]
# Job queue on app.state, "worker" readiness check, in-process worker + scheduler when run_worker.
STARTUP_HOOKS.append(jobs_lifespan)
STARTUP_HOOKS.append(webhooks_startup)


def create_app(settings: Settings | None = None, *, run_worker: bool | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Database(settings.database_url)
        app.state.rate_limiter = RateLimiter(settings.redis_url)
        app.state.run_worker = settings.worker_enabled if run_worker is None else run_worker
        stops: list[Callable[[], Awaitable[None]]] = []
        try:
            for hook in STARTUP_HOOKS:
                stop = await hook(app)
                if stop is not None:
                    stops.append(stop)
            yield
        finally:
            for stop in reversed(stops):
                await stop()
            await app.state.db.dispose()

    app = FastAPI(
        title="talentscout",
        version=__version__,
        description="Candidate sourcing & enrichment API (InstaView-compatible). "
        "Errors use one envelope: {success:false, data:null, error:{code,message,details,correlationId}, timestamp}.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    readiness: dict[str, Callable[[], Awaitable[Any]]] = {}
    app.state.readiness_checks = readiness
    for router in PUBLIC_ROUTERS:
        app.include_router(router)
    app.include_router(company_alias_router())
    for router in PUBLIC_ROUTERS:
        app.include_router(router, prefix="/v1", include_in_schema=False)
    app.include_router(company_alias_router(), prefix="/v1")
    for router in ADMIN_ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.max_body_bytes)
    return app

"""Service wiring of the profile index: the first-run demo pool and the index at startup.

Importing this module registers `build_demo_pool` in `talentscout.demo.DEMO_HOOKS`
(development mode, empty database: `TALENTSCOUT_DEMO_PROFILES` profiles, 2,000 by
default, written in the bootstrap transaction). `index_lifespan` is a startup
hook for `talentscout.app.STARTUP_HOOKS`: it opens the index under
`TALENTSCOUT_DATA_DIR`, catches it up with the profile table, and puts it on
`app.state.profile_index` for the engine's local provider.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout import demo
from talentscout.index.importers import Importer
from talentscout.index.models import Profile
from talentscout.index.search import ProfileIndex, index_path
from talentscout.index.sync import ensure_index

__all__ = ["DEMO_SEED", "build_demo_pool", "index_lifespan"]

log = structlog.get_logger(__name__)
DEMO_SEED = 1


async def build_demo_pool(app: FastAPI, session: AsyncSession, company_id: uuid.UUID) -> None:
    """Create the global demo talent pool when the profile table is empty."""
    settings = app.state.settings
    n = int(settings.demo_profiles)
    if n <= 0:
        return
    if (await session.execute(select(func.count()).select_from(Profile))).scalar_one() > 0:
        return
    index = ProfileIndex.open(index_path(settings.data_dir), create=True)
    importer = Importer(app.state.db, index, session=session, source="demo")
    report = await importer.import_demo(n, seed=DEMO_SEED)
    log.info("demo talent pool created", profiles=report.imported, seconds=round(report.seconds, 2))


async def index_lifespan(app: FastAPI) -> Callable[[], Awaitable[None]] | None:
    """Open (creating or catching up) the local index and expose it as `app.state.profile_index`."""
    settings = app.state.settings
    try:
        app.state.profile_index = await ensure_index(app.state.db, index_path(settings.data_dir))
    except Exception as exc:
        # e.g. a database that is not migrated yet: the process must still start so that
        # /readyz can say why it is not ready, instead of crashing at boot.
        log.warning("index_unavailable_at_start", error=type(exc).__name__)
        reason = f"error: {type(exc).__name__}"

        async def not_ready() -> str:
            return reason

        app.state.readiness_checks["index"] = not_ready
    return None


if build_demo_pool not in demo.DEMO_HOOKS:
    demo.DEMO_HOOKS.append(build_demo_pool)

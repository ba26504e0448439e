"""Programmatic Alembic: upgrade/downgrade/current/autogenerate check without an alembic.ini."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from talentscout.db import normalize_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url))
    return cfg


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """Every head: feature branches may each add a migration off the foundation."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def _in_thread(fn_name: str, url: str, revision: str) -> None:
    # env.py calls asyncio.run(); run it in a worker thread so callers may be async.
    cfg = alembic_config(url)
    getattr(command, fn_name)(cfg, revision)


def upgrade(url: str, revision: str = "heads") -> None:
    _in_thread("upgrade", url, revision)


def downgrade(url: str, revision: str = "base") -> None:
    _in_thread("downgrade", url, revision)


async def upgrade_async(url: str, revision: str = "heads") -> None:
    await asyncio.to_thread(upgrade, url, revision)


def _revision_of(sync_conn: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(sync_conn).get_current_heads())


async def current_revisions(engine: AsyncEngine) -> frozenset[str]:
    """The database's Alembic heads, read through an existing engine."""
    async with engine.connect() as conn:
        return await conn.run_sync(_revision_of)

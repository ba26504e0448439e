"""Fixtures for card tests: the profile table on the test database and a seeding helper.

Profiles are inserted directly (ProfileDoc JSON in the `profiles` table), independent of
the importers. The table is created here only if no migration has created it yet.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from sqlalchemy import create_engine

from talentscout.app import create_app
from talentscout.db import Database
from talentscout.engine.profile import ProfileDoc
from talentscout.index.models import Profile
from talentscout.migrate import upgrade
from tests.conftest import make_settings
from tests.harness import Api, running

Seed = Callable[..., list[str]]


def ensure_profiles_table(url: str) -> None:
    engine = create_engine(url.replace("+aiosqlite", ""))
    try:
        Profile.__table__.create(engine, checkfirst=True)
    finally:
        engine.dispose()


async def insert_profiles(url: str, docs: list[ProfileDoc], company_id: str | None = None) -> list[str]:
    db = Database(url)
    try:
        async with db.write() as session:
            for doc in docs:
                stored = replace(doc, company_id=company_id)
                session.add(
                    Profile(
                        id=stored.profile_id,
                        external_id=stored.profile_id,  # unique per scope, whatever the doc says
                        scope_key=company_id or "global",
                        company_id=uuid.UUID(company_id) if company_id else None,
                        name=stored.name.encode("utf-8", "replace").decode()[:300],
                        years_experience=stored.years_experience,
                        doc=stored.to_json(),
                    )
                )
    finally:
        await db.dispose()
    return [d.profile_id for d in docs]


def _seeder(url: str) -> Seed:
    ensure_profiles_table(url)

    def _seed(docs: list[ProfileDoc], company_id: str | None = None) -> list[str]:
        return asyncio.run(insert_profiles(url, docs, company_id))

    return _seed


@pytest.fixture
def seed(sqlite_url: str) -> Seed:
    """`seed(docs, company_id=None)` → ids; company_id makes them private to that company."""
    return _seeder(sqlite_url)


@pytest.fixture(scope="module")
def render_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Seed]]:
    """One live server (SQLite) per test module: tests isolate themselves by tenant and by
    fresh profile ids, and starting a server per parametrised case would dominate the run."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('render')}/talentscout.db"
    upgrade(url)
    seed = _seeder(url)
    with running(create_app(make_settings(url))) as base:
        client = Api(base)
        try:
            yield client, seed
        finally:
            client.close()

"""The sourcing end-to-end flow on PostgreSQL (procrastinate worker in-process)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from talentscout.app import create_app
from talentscout.db import Database
from talentscout.index.importers import Importer
from talentscout.index.search import ProfileIndex, index_path
from talentscout.migrate import upgrade
from tests.conftest import make_settings
from tests.harness import Api, running
from tests.sourcing.test_pipeline import wait_done
from tests.sourcing.test_requests import BODY, funded

pytestmark = pytest.mark.pg


@pytest.fixture
def live_pg(pg_url: str, tmp_path: Path) -> Iterator[Api]:
    upgrade(pg_url)

    async def seed() -> None:
        db = Database(pg_url)
        try:
            index = ProfileIndex.open(index_path(tmp_path), create=True)
            report = await Importer(db, index, source="demo").import_demo(300, seed=5)
            assert report.imported == 300
        finally:
            await db.dispose()

    asyncio.run(seed())
    settings = make_settings(pg_url, data_dir=tmp_path, worker_enabled=True, job_poll_seconds=0.05)
    with running(create_app(settings, run_worker=True)) as base:
        api = Api(base)
        yield api
        api.close()


def test_run_then_refine_on_postgres(live_pg: Api) -> None:
    api = live_pg
    t = funded(api, "PG Co", credits=50)
    r = api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 4})
    assert r.status_code == 202
    done = wait_done(api, t.key, r.headers["location"]).json()
    assert done["status"] == "completed" and 1 <= len(done["candidates"]) <= 4
    assert done["creditsConsumed"] == len(done["candidates"])
    p = api.call("PATCH", f"/sourcing/{done['requestId']}", t.key, json={"query": "nice: Docker", "limit": 2})
    assert p.status_code == 202
    again = wait_done(api, t.key, r.headers["location"]).json()
    assert [x["pass"] for x in again["passes"]] == [1, 2]
    ids = [c["profileId"] for c in again["candidates"]]
    assert len(ids) == len(set(ids))
    assert again["creditsConsumed"] == len(ids)
    bal = api.call("GET", "/billing/balance", t.key).json()["data"]
    assert bal["held"] == 0 and bal["available"] == 50 - len(ids)

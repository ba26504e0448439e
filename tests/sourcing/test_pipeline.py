"""Sourcing end to end over real HTTP with the in-process worker: run → results → refine,
credits captured per delivered candidate, webhook emitted, preview pages billed.

One module-scoped server over a small generated demo pool keeps this fast.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from talentscout.app import create_app
from talentscout.db import Database
from talentscout.index.importers import Importer
from talentscout.index.search import ProfileIndex, index_path
from talentscout.migrate import upgrade
from talentscout.webhooks.models import WebhookEvent
from tests.conftest import make_settings
from tests.harness import Api, running
from tests.sourcing.test_requests import BODY, funded

POOL = 400


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, str]]:
    tmp = tmp_path_factory.mktemp("pipeline")
    url = f"sqlite+aiosqlite:///{tmp}/talentscout.db"
    upgrade(url)

    async def seed() -> None:
        db = Database(url)
        try:
            index = ProfileIndex.open(index_path(Path(tmp)), create=True)
            report = await Importer(db, index, source="demo").import_demo(POOL, seed=11)
            assert report.imported == POOL
        finally:
            await db.dispose()

    asyncio.run(seed())
    settings = make_settings(
        url, data_dir=Path(tmp), worker_enabled=True, job_poll_seconds=0.05, webhooks_allow_private=True
    )
    with running(create_app(settings, run_worker=True)) as base:
        api = Api(base)
        yield api, url
        api.close()


def wait_done(api: Api, key: str, location: str, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = api.call("GET", location, key)
        if r.status_code == 200:
            return r
        assert r.status_code == 202, r.text
        time.sleep(0.2)
    raise AssertionError("run did not finish")


def test_run_refine_and_bill(live: tuple[Api, str]) -> None:
    api, url = live
    t = funded(api, "Pipeline Co", credits=100)
    r = api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 5})
    assert r.status_code == 202
    done = wait_done(api, t.key, r.headers["location"]).json()
    assert done["status"] == "completed", done
    cands = done["candidates"]
    assert 1 <= len(cands) <= 5
    assert done["creditsConsumed"] == len(cands)
    scores = [c["matchScore"] for c in cands]
    assert scores == sorted(scores, reverse=True)
    for c in cands:
        assert c["profileId"].startswith("prof_") and c["pass"] == 1
        assert 0 <= c["matchScore"] <= 100 and c["rationale"]
        assert isinstance(c["scoreBreakdown"], dict) and c["scoreBreakdown"]
        assert c["emails"] == [] and c["source"]
    assert done["icp"] and done["passes"][0]["newCandidates"] == len(cands)
    assert done["foundCount"] >= len(cands)
    bal = api.call("GET", "/billing/balance", t.key).json()["data"]
    assert bal == {**bal, "held": 0, "available": 100 - len(cands)}

    # refinement: new pass, no profile re-scored or re-billed, previous candidates kept
    p = api.call(
        "PATCH", f"/sourcing/{done['requestId']}", t.key, json={"query": "must: Kubernetes", "limit": 3}
    )
    assert p.status_code == 202 and p.json()["requestId"] == done["requestId"]
    again = wait_done(api, t.key, r.headers["location"]).json()
    assert again["status"] == "completed"
    ids = [c["profileId"] for c in again["candidates"]]
    assert len(ids) == len(set(ids))
    first_ids = {c["profileId"] for c in cands}
    assert first_ids <= set(ids)
    new = [c for c in again["candidates"] if c["pass"] == 2]
    assert not first_ids & {c["profileId"] for c in new}
    assert [x["pass"] for x in again["passes"]] == [1, 2]
    assert again["creditsConsumed"] == len(ids)
    bal = api.call("GET", "/billing/balance", t.key).json()["data"]
    assert bal["available"] == 100 - len(ids) and bal["held"] == 0

    async def events() -> int:
        db = Database(url)
        try:
            async with db.read() as s:
                stmt = (
                    select(func.count())
                    .select_from(WebhookEvent)
                    .where(WebhookEvent.event == "SOURCING_COMPLETED")
                )
                return int((await s.execute(stmt)).scalar_one())
        finally:
            await db.dispose()

    assert asyncio.run(events()) >= 2  # one committed event per finished pass


def test_preview_bills_pages_actually_returned(live: tuple[Api, str]) -> None:
    api, _ = live
    t = funded(api, "Preview Co", credits=10)
    r = api.call("POST", "/sourcing/preview", t.key, json={**BODY, "limit": 25})
    done = wait_done(api, t.key, r.headers["location"]).json()
    assert done["status"] == "completed"
    rows = done["candidates"]
    assert 0 < len(rows) <= 25
    for row in rows:
        assert set(row) == {
            "profileId",
            "fullName",
            "profileUrl",
            "title",
            "headline",
            "location",
            "country",
            "companyName",
            "companyUrl",
        }
    pages = (len(rows) + 19) // 20
    assert done["creditsConsumed"] == pages
    assert api.call("GET", "/billing/balance", t.key).json()["data"]["available"] == 10 - pages


def test_render_card_uses_latest_score(live: tuple[Api, str]) -> None:
    api, _ = live
    t = funded(api, "Render Co", credits=20)
    r = api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 2})
    done = wait_done(api, t.key, r.headers["location"]).json()
    top = done["candidates"][0]
    card = api.call("POST", "/sourcing/render-html", t.key, json={"profileIds": [top["profileId"]]}).json()
    assert card["renderedCount"] == 1 and card["data"][0]["success"] is True
    assert str(top["matchScore"]) in card["data"][0]["htmlContent"]


def test_source_cli_runs_and_refines(live: tuple[Api, str]) -> None:
    import json

    from typer.testing import CliRunner

    from talentscout.cli import app

    api, _ = live
    t = funded(api, "CLI Co", credits=50)
    runner = CliRunner()
    common = ["--server", api.base_url, "--key", t.key, "--json"]
    res = runner.invoke(
        app,
        [
            "source",
            "--title",
            BODY["title"],
            "--location",
            BODY["location"],
            "--jd",
            BODY["jobDescription"],
            "--limit",
            "3",
            *common,
        ],
    )
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout[res.stdout.index("{") :])
    assert body["status"] == "completed" and 1 <= len(body["candidates"]) <= 3
    res = runner.invoke(
        app, ["source", "refine", body["requestId"], "--query", "nice: Docker", "--limit", "2", *common]
    )
    assert res.exit_code == 0, res.output
    again = json.loads(res.stdout[res.stdout.index("{") :])
    assert [p["pass"] for p in again["passes"]] == [1, 2]
    bad = runner.invoke(app, ["source", "refine", "req_nope", *common])
    assert bad.exit_code == 1 and "REQUEST_NOT_FOUND" in bad.output

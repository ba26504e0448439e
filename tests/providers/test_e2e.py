"""Providers end to end over real HTTP with the in-process worker (ENGINE.md §4, issue 5 checks).

One module-scoped instance serves the API, runs the worker and also mounts the
federation endpoint; its `remote` provider points at itself, so a run that
fails over to `remote` goes through the whole HTTP contract (token, ICP out,
import-format profiles back). `pdl` and `github` are loopback fakes whose
scripts each test sets. Durations are scaled: a 0.5 s attempt deadline.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from talentscout.app import create_app
from talentscout.config import Settings
from talentscout.db import Database
from talentscout.index.importers import Importer
from talentscout.index.schema import validate_profile
from talentscout.index.search import ProfileIndex, index_path
from talentscout.index.store import get_profiles
from talentscout.migrate import upgrade
from talentscout.providers.search import remote_server
from talentscout.webhooks.models import WebhookEvent
from tests.conftest import make_settings
from tests.harness import Api, running
from tests.providers.fakes import FakeServer, Reply
from tests.sourcing.test_pipeline import wait_done
from tests.sourcing.test_requests import BODY, funded

TOKEN = "federation-token-0123456789"
PRIVATE = "55555555-5555-4555-8555-555555555555"
XSS = '<script>alert("XSS")</script><img src=x onerror=alert(1)>'


@dataclass
class Live:
    api: Api
    url: str
    settings: Settings
    pdl: FakeServer
    github: FakeServer


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("providers-e2e")
    url = f"sqlite+aiosqlite:///{tmp}/talentscout.db"
    upgrade(url)

    async def seed() -> None:
        db = Database(url)
        try:
            index = ProfileIndex.open(index_path(Path(tmp)), create=True)
            assert (await Importer(db, index, source="demo").import_demo(300, seed=11)).imported == 300
            private = Importer(db, index, company_id=PRIVATE, source="demo")
            assert (await private.import_demo(60, seed=12)).imported == 60
        finally:
            await db.dispose()

    asyncio.run(seed())
    with FakeServer() as pdl, FakeServer() as github:
        settings = make_settings(
            url,
            data_dir=Path(tmp),
            worker_enabled=True,
            job_poll_seconds=0.05,
            webhooks_allow_private=True,
            search_providers="pdl,remote",
            search_pdl_url=pdl.url + "/v5/person/search",
            search_pdl_api_key=SecretStr("pdl-key"),
            search_github_url=github.url,
            search_github_token=SecretStr("gh-token"),
            search_remote_token=SecretStr(TOKEN),
            search_server_tokens=[SecretStr(TOKEN)],
            search_attempt_timeout_seconds=0.5,
            search_backoff_initial_seconds=0.01,
            search_backoff_max_seconds=0.05,
            search_backoff_jitter_seconds=0.01,
            search_breaker_min_calls=1000,  # breakers are covered elsewhere; here: retries + failover
        )
        app = create_app(settings, run_worker=True)
        app.include_router(remote_server.router)
        with running(app) as base:
            settings.search_remote_url = base  # federate with itself (read per run)
            api = Api(base)
            yield Live(api, url, settings, pdl, github)
            api.close()


def _events(url: str, company_id: str, event: str) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        db = Database(url)
        try:
            async with db.read() as s:
                rows = await s.execute(
                    select(WebhookEvent.data).where(
                        WebhookEvent.company_id == uuid.UUID(company_id), WebhookEvent.event == event
                    )
                )
                return [dict(r) for r in rows.scalars()]
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_run_fails_over_to_remote_and_refines_without_repeats(live: Live) -> None:
    live.pdl.script({"/": [Reply(500, json={"error": "down"})]})
    t = funded(live.api, "Failover Co", credits=100)
    r = live.api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 5})
    assert r.status_code == 202, r.text
    done = wait_done(live.api, t.key, r.headers["location"]).json()
    assert done["status"] == "completed", done
    cands = done["candidates"]
    assert 1 <= len(cands) <= 5 and done["creditsConsumed"] == len(cands)
    assert {c["source"] for c in cands} == {"remote"}
    assert all(c["emails"] == [] and c["rationale"] for c in cands)
    calls = live.pdl.calls("/v5/person/search")
    assert len(calls) == 3  # exactly 3 attempts on 500, then failover
    assert all(c.headers["x-api-key"] == "pdl-key" for c in calls)
    assert "bool" in calls[0].json()["query"]

    p = live.api.call(
        "PATCH", f"/sourcing/{done['requestId']}", t.key, json={"query": "must: Kubernetes", "limit": 3}
    )
    assert p.status_code == 202, p.text
    again = wait_done(live.api, t.key, r.headers["location"]).json()
    assert again["status"] == "completed", again
    ids = [c["profileId"] for c in again["candidates"]]
    assert len(ids) == len(set(ids))  # external ids are stable, so pass 2 never repeats pass 1
    new = [c for c in again["candidates"] if c["pass"] == 2]
    assert not {c["profileId"] for c in cands} & {c["profileId"] for c in new}
    assert again["creditsConsumed"] == len(ids)


def test_preview_fails_over_too(live: Live) -> None:
    live.pdl.script({"/": [Reply(503)]})
    t = funded(live.api, "Preview Failover Co", credits=10)
    r = live.api.call("POST", "/sourcing/preview", t.key, json={**BODY, "limit": 5})
    done = wait_done(live.api, t.key, r.headers["location"]).json()
    assert done["status"] == "completed", done
    assert 0 < len(done["candidates"]) <= 5 and done["creditsConsumed"] == 1
    assert len(live.pdl.requests) == 3


def test_all_providers_down_fails_the_run_with_index_unavailable(live: Live) -> None:
    live.pdl.script({"/": [Reply(500)]})
    live.github.script({"/": [Reply(hang=True)]})
    t = funded(live.api, "Outage Co", credits=50)
    live.settings.search_company_providers[t.company_id] = "github,pdl"  # per-company order
    r = live.api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 5})
    done = wait_done(live.api, t.key, r.headers["location"]).json()
    assert done["status"] == "failed", done
    assert done["errorCode"] == "INDEX_UNAVAILABLE" and done["errorMessage"]
    assert done.get("candidates") in (None, []) and done["creditsConsumed"] == 0
    assert len(live.github.calls("/search/users")) == 3  # each hang cut at the deadline, then retried
    assert len(live.pdl.requests) == 3
    bal = live.api.call("GET", "/billing/balance", t.key).json()["data"]
    assert bal["held"] == 0 and bal["available"] == 50
    failed = _events(live.url, t.company_id, "SOURCING_FAILED")
    assert [e["errorCode"] for e in failed] == ["INDEX_UNAVAILABLE"]


def test_github_answers_with_html_names_kept_as_text(live: Live) -> None:
    user = {
        "login": "octo",
        "id": 7,
        "name": XSS,
        "location": "Berlin, Germany",
        "bio": "Python <b>backend</b>",
    }
    live.github.script(
        {
            "/search/users": [Reply(200, json={"total_count": 1, "items": [{"login": "octo", "id": 7}]})],
            "/users/octo": [Reply(200, json=user)],
        }
    )
    t = funded(live.api, "GitHub Co", credits=20)
    live.settings.search_company_providers[t.company_id] = "github"
    r = live.api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 5})
    done = wait_done(live.api, t.key, r.headers["location"]).json()
    assert done["status"] == "completed", done
    (cand,) = done["candidates"]
    assert cand["source"] == "github" and cand["name"] == XSS
    assert live.github.calls("/search/users")[0].headers["authorization"] == "Bearer gh-token"


def test_test_mode_key_never_calls_out(live: Live) -> None:
    live.pdl.script({"/": [Reply(200, json={"data": []})]})
    live.github.script({"/": [Reply(200, json={"items": []})]})
    company = live.api.create_company("Sandbox Co")
    key, _ = live.api.create_key(company, mode="test")
    live.settings.search_company_providers[company] = "github,pdl"
    r = live.api.call("POST", "/sourcing", key, json={**BODY, "limit": 3})
    assert r.status_code == 202, r.text
    done = wait_done(live.api, key, r.headers["location"]).json()
    assert done["status"] == "completed" and done["livemode"] is False
    assert done["candidates"] and {c["source"] for c in done["candidates"]} == {"local"}
    assert live.pdl.requests == [] and live.github.requests == []


def test_federation_endpoint_contract(live: Live) -> None:
    t = funded(live.api, "Icp Co", credits=10)
    live.settings.search_company_providers[t.company_id] = "local"
    r = live.api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 1})
    icp = wait_done(live.api, t.key, r.headers["location"]).json()["icp"]

    http = live.api.http
    auth = {"Authorization": f"Bearer {TOKEN}"}
    ok = http.post("/index/search", json={"icp": icp, "limit": 500}, headers=auth)
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["version"] == 1 and body["count"] == len(body["results"]) > 0
    assert len(body["results"]) <= live.settings.search_server_max_results
    scores = [x["score"] for x in body["results"]]
    assert scores == sorted(scores, reverse=True)
    for item in body["results"]:
        validate_profile(item["profile"])  # the public import format
        assert "email" not in item["profile"]["basics"]

    async def private_ids() -> set[str]:
        db = Database(live.url)
        try:
            returned = [x["profileId"] for x in body["results"]]
            return {d.profile_id for d in await get_profiles(db, returned, PRIVATE) if d.company_id}
        finally:
            await db.dispose()

    assert asyncio.run(private_ids()) == set()  # never a company's private pool

    # auth is checked before the body is even parsed
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        bad = http.post("/index/search", content=b"{broken", headers=headers)
        assert bad.status_code == 401 and bad.json()["error"]["code"] == "INVALID_API_KEY"
    assert http.post("/index/search", json={"icp": {"nope": 1}}, headers=auth).status_code == 400

    saved = live.settings.search_server_tokens
    live.settings.search_server_tokens = []
    try:
        off = http.post("/index/search", json={"icp": icp}, headers=auth)
        assert off.status_code == 404  # federation off looks like no route at all
    finally:
        live.settings.search_server_tokens = saved

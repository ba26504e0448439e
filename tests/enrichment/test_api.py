"""`POST /sourcing/enrich` and `GET /sourcing/enrich/{id}/results` over real HTTP (API.md §6),
with the in-process worker, the loopback rig, credits, webhooks and the suppression admin API."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from talentscout.app import create_app
from talentscout.db import Database
from talentscout.engine.profile import ProfileDoc
from talentscout.enrichment.pipeline import TEST_HOOKS
from talentscout.index.store import ProfileRow, write_rows
from talentscout.migrate import upgrade
from talentscout.webhooks.models import WebhookEvent
from tests.conftest import make_settings
from tests.enrichment.conftest import person
from tests.enrichment.rig import Policy, Rig
from tests.enrichment.test_isolation import NAMES, _boom, _hang
from tests.harness import Api, Tenant, running


@dataclasses.dataclass
class Env:
    api: Api
    url: str
    rig: Rig


@pytest.fixture
def env(tmp_path: Path, rig: Rig) -> Iterator[Env]:
    url = f"sqlite+aiosqlite:///{tmp_path}/enrich.db"
    upgrade(url)
    settings = make_settings(
        url,
        worker_enabled=True,
        job_poll_seconds=0.05,
        job_heartbeat_seconds=0.5,
        **rig.settings_overrides(enrichment_profile_timeout_seconds=2.0, enrichment_smtp_verify_top=1),
    )
    with running(create_app(settings)) as base:
        client = Api(base)
        try:
            yield Env(client, url, rig)
        finally:
            client.close()
            TEST_HOOKS.clear()


def seed(url: str, docs: list[ProfileDoc], company_id: str | None = None) -> None:
    rows = []
    for i, doc in enumerate(docs):
        stored = dataclasses.replace(doc, company_id=company_id)
        rows.append(
            ProfileRow(
                id=doc.profile_id,
                external_id=doc.profile_id,
                scope_key=company_id or "global",
                company_id=company_id,
                name=doc.name,
                country_code=None,
                seniority=None,
                years_experience=0.0,
                doc_json=orjson.dumps(stored.to_json()).decode(),
                source="local",
                content_hash=f"h{i}",
                seq=i + 1,
            )
        )

    async def main() -> None:
        db = Database(url)
        async with db.write() as session:
            await write_rows(session, rows, [])
        await db.dispose()

    asyncio.run(main())


def topup(api: Api, company_id: str, amount: int) -> None:
    r = api.admin(
        "POST", "/admin/credits", json={"companyId": company_id, "amount": amount, "reason": "test"}
    )
    assert r.status_code == 201, r.text


def enrich(api: Api, t: Tenant, ids: list[str], **body: Any) -> Any:
    return api.call("POST", "/sourcing/enrich", t.key, json={"profileIds": ids, **body})


def wait_done(api: Api, t: Tenant, run_id: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = api.call("GET", f"/sourcing/enrich/{run_id}/results", t.key)
        if r.status_code == 200:
            body: dict[str, Any] = r.json()
            return body
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "processing" and r.headers["retry-after"]
        assert time.monotonic() < deadline, "run did not finish"
        time.sleep(0.1)


def events_for(url: str, run_id: str) -> list[str]:
    async def main() -> list[str]:
        db = Database(url)
        async with db.read() as session:
            rows = (
                await session.execute(select(WebhookEvent.event).where(WebhookEvent.subject_id == run_id))
            ).all()
        await db.dispose()
        return [r[0] for r in rows]

    return asyncio.run(main())


def available(api: Api, t: Tenant) -> int:
    r = api.call("GET", "/billing/balance", t.key)
    assert r.status_code == 200, r.text
    return int(r.json()["data"]["available"])


def test_enrich_run_end_to_end(env: Env) -> None:
    api, rig = env.api, env.rig
    rig.add_mx("acme.test", (10, "mx.acme.test", "127.0.0.2"))
    rig.policies["127.0.0.2"] = Policy(mailboxes={"ada.lovelace@acme.test", "alan.turing@acme.test"})
    a, b = api.tenant("Company A"), api.tenant("Company B")
    seed(
        env.url,
        [
            person("prof_ada", "Ada Lovelace", domain="acme.test"),
            person("prof_alan", "Alan Turing", domain="acme.test"),
        ],
    )
    seed(env.url, [person("prof_grace", "Grace Hopper", domain="acme.test")], company_id=a.company_id)
    seed(env.url, [person("prof_foreign", "Joan Clarke", domain="acme.test")], company_id=b.company_id)
    topup(api, a.company_id, 5)
    ids = ["prof_ada", "prof_alan", "prof_grace", "prof_foreign", "prof_missing"]
    r = enrich(api, a, ids)
    assert r.status_code == 202, r.text
    accepted = r.json()
    run_id = accepted["requestId"]
    assert run_id.startswith("enr_") and accepted["status"] == "processing" and accepted["success"] is True
    assert (
        accepted["livemode"] is True and accepted["webhookId"] is None and accepted["createdAt"].endswith("Z")
    )
    assert r.headers["location"] == f"/sourcing/enrich/{run_id}/results" and r.headers["retry-after"]
    assert available(api, a) == 0  # len(profileIds) held

    body = wait_done(api, a, run_id)
    assert body["status"] == "completed" and body["success"] is True
    assert (body["enrichedCount"], body["failureCount"], body["creditsConsumed"]) == (3, 2, 3)
    assert body["completedAt"] and body["livemode"] is True
    items = {d["profileId"]: d for d in body["data"]}
    assert [d["profileId"] for d in body["data"]] == ids
    ada = items["prof_ada"]["candidate"]
    for field in (
        "profileId",
        "name",
        "linkedinUrl",
        "matchScore",
        "rationale",
        "skills",
        "headline",
        "location",
        "currentCompany",
        "currentRole",
        "aiFitPoints",
        "aiRedFlags",
        "aiDetailedRationale",
        "detailedExperience",
        "emails",
        "emailDetails",
        "portfolio",
        "enrichedAt",
    ):
        assert field in ada, field
    assert ada["emails"][0] == "ada.lovelace@acme.test"
    assert ada["emailDetails"][0]["status"] == "valid" and ada["emailDetails"][0]["verifiedAt"]
    assert set(ada["portfolio"]) >= {"urls", "checkedAt"}
    # Unknown and foreign ids answer identically.
    missing, foreign = items["prof_missing"], items["prof_foreign"]
    assert missing["success"] is False and missing["errorCode"] == "PROFILE_NOT_FOUND"
    assert {k: v for k, v in foreign.items() if k != "profileId"} == {
        k: v for k, v in missing.items() if k != "profileId"
    }
    assert available(api, a) == 2  # 3 captured, the rest released
    assert events_for(env.url, run_id) == ["ENRICH_COMPLETED"]
    # Another company's run id answers like an unknown one.
    foreign_get = api.call("GET", f"/sourcing/enrich/{run_id}/results", b.key)
    unknown_get = api.call("GET", "/sourcing/enrich/enr_00000000-0000-0000-0000-000000000000/results", b.key)
    assert foreign_get.status_code == unknown_get.status_code == 404
    assert foreign_get.json()["error"]["code"] == unknown_get.json()["error"]["code"] == "REQUEST_NOT_FOUND"


def test_prepaid_preflight_and_validation(env: Env) -> None:
    api = env.api
    t = api.tenant("Poor Co")
    topup(api, t.company_id, 2)
    r = enrich(api, t, ["p1", "p2", "p3"])
    assert r.status_code == 402
    err = r.json()["error"]
    assert err["code"] == "INSUFFICIENT_CREDITS" and err["details"] == {"required": 3, "available": 2}
    assert available(api, t) == 2
    for ids in ([], [f"p{i}" for i in range(11)], ["p1", "p1"]):
        bad = enrich(api, t, ids)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR", ids
    scoped = api.tenant("No Scope", scopes=["sourcing:read"])
    assert enrich(api, scoped, ["p1"]).status_code == 403


def test_batch_with_hangs_and_a_crash_bills_only_successes(env: Env) -> None:
    api, rig = env.api, env.rig
    rig.add_mx("iso.test", (10, "mx.iso.test", "127.0.0.3"))
    rig.policies["127.0.0.3"] = Policy(catch_all=True)
    docs = [person(f"prof_iso{i}", n, domain="iso.test") for i, n in enumerate(NAMES)]
    seed(env.url, docs)
    TEST_HOOKS["prof_iso1"] = _hang
    TEST_HOOKS["prof_iso4"] = _hang
    TEST_HOOKS["prof_iso7"] = _boom
    t = api.tenant("Iso Co")
    topup(api, t.company_id, 10)
    started = time.monotonic()
    r = enrich(api, t, [d.profile_id for d in docs])
    assert r.status_code == 202
    body = wait_done(api, t, r.json()["requestId"])
    assert time.monotonic() - started < 5.0
    assert (body["enrichedCount"], body["failureCount"], body["creditsConsumed"]) == (7, 3, 7)
    codes = {d["profileId"]: d.get("errorCode") for d in body["data"]}
    assert codes["prof_iso1"] == codes["prof_iso4"] == "TIMEOUT"
    assert codes["prof_iso7"] == "ENRICHMENT_ERROR"
    assert available(api, t) == 3
    assert events_for(env.url, body["requestId"]) == ["ENRICH_COMPLETED"]


def test_test_key_makes_no_outbound_calls_and_costs_nothing(env: Env) -> None:
    api, rig = env.api, env.rig
    rig.add_mx("acme.test", (10, "mx.acme.test", "127.0.0.2"))
    url = rig.site(
        "ada.test", "/", __import__("tests.enrichment.rig", fromlist=["Page"]).Page(body=b"ada@ada.test")
    )
    seed(env.url, [person("prof_t1", "Ada Lovelace", domain="acme.test", links=[("website", url)])])
    cid = api.create_company("Test Mode Co")
    key, _ = api.create_key(cid, mode="test")
    t = Tenant(cid, key, "")
    r = enrich(api, t, ["prof_t1"])
    assert r.status_code == 202 and r.json()["livemode"] is False
    body = wait_done(api, t, r.json()["requestId"])
    assert body["livemode"] is False and body["creditsConsumed"] == 0 and body["enrichedCount"] == 1
    details = body["data"][0]["candidate"]["emailDetails"]
    assert details and all(d["status"] in ("guessed", "unknown") for d in details)
    assert rig.sessions == [] and rig.http_hits == [] and rig.zone.queries == []


def test_suppression_admin_api_and_suppressed_profiles_are_not_billed(env: Env) -> None:
    api, rig = env.api, env.rig
    rig.add_mx("acme.test", (10, "mx.acme.test", "127.0.0.2"))
    rig.policies["127.0.0.2"] = Policy(mailboxes={"alan.turing@acme.test"})
    seed(
        env.url,
        [
            person("prof_s1", "Ada Lovelace", domain="acme.test"),
            person("prof_s2", "Alan Turing", domain="acme.test"),
            person("prof_s3", "Grace Hopper", domain="acme.test", emails=[("grace@private.test", "import")]),
        ],
    )
    r = api.admin(
        "POST",
        "/admin/suppressions",
        json={"kind": "profile", "value": "prof_s1", "reason": "GDPR objection"},
    )
    assert r.status_code == 201, r.text
    r = api.admin("POST", "/admin/suppressions", json={"kind": "email", "value": "Grace@Private.test"})
    assert r.status_code == 201 and r.json()["data"]["value"] == "g***@private.test"
    email_id = r.json()["data"]["id"]
    listed = api.admin("GET", "/admin/suppressions").json()["data"]["data"]
    assert {e["kind"] for e in listed} == {"profile", "email"}
    assert all("grace@private.test" not in str(e).lower() for e in listed)  # stored hashed only
    t = api.tenant("Sup Co")
    topup(api, t.company_id, 3)
    body = wait_done(api, t, enrich(api, t, ["prof_s1", "prof_s2", "prof_s3"]).json()["requestId"])
    items = {d["profileId"]: d for d in body["data"]}
    for pid in ("prof_s1", "prof_s3"):
        assert items[pid]["success"] is False and items[pid]["reason"] == "suppressed"
    assert items["prof_s2"]["success"] is True
    assert body["creditsConsumed"] == 1 and available(api, t) == 2
    assert not any("ada" in s.rcpts()[0] for s in rig.sessions if s.rcpts())  # never probed
    assert api.admin("DELETE", f"/admin/suppressions/{email_id}").status_code == 200
    assert api.admin("DELETE", f"/admin/suppressions/{email_id}").status_code == 404
    assert api.call("GET", "/admin/suppressions", t.key).status_code == 401  # API keys are not admin tokens


def test_results_counts_match_ledger(env: Env) -> None:
    """creditsConsumed = successes = captured ledger entries (invariant of RELIABILITY.md)."""
    api, rig = env.api, env.rig
    rig.add_mx("acme.test", (10, "mx.acme.test", "127.0.0.2"))
    seed(
        env.url,
        [
            person("prof_l1", "Ada Lovelace", domain="acme.test"),
            person("prof_l2", "Alan Turing", domain="acme.test"),
        ],
    )
    t = api.tenant("Ledger Co")
    topup(api, t.company_id, 4)
    body = wait_done(api, t, enrich(api, t, ["prof_l1", "prof_l2", "prof_nope"]).json()["requestId"])
    from talentscout.billing.models import LedgerTransaction

    async def captures() -> int:
        db = Database(env.url)
        async with db.read() as session:
            n = (
                await session.execute(
                    select(func.count())
                    .select_from(LedgerTransaction)
                    .where(LedgerTransaction.kind == "capture")
                )
            ).scalar_one()
        await db.dispose()
        return int(n)

    assert body["creditsConsumed"] == body["enrichedCount"] == 2 == asyncio.run(captures())

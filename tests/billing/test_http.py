"""Billing endpoints over real HTTP (live uvicorn server on SQLite)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import update

from talentscout.app import create_app
from talentscout.billing import capture, hold, release
from talentscout.billing.config import BillingSettings
from talentscout.billing.invoices import period_start
from talentscout.billing.models import BillingAccount
from talentscout.config import Settings
from talentscout.db import Database
from talentscout.kit.clock import utcnow
from tests.harness import Api, running

T = TypeVar("T")
SC = "sourcing_candidate"


def in_db(settings: Settings, fn: Callable[[Any], Awaitable[T]]) -> T:
    """Run `fn(session)` in one write transaction on the server's database (a second process would do the same)."""

    async def main() -> T:
        db = Database(settings.database_url)
        try:
            async with db.write() as session:
                return await fn(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


def top_up(api: Api, company_id: str, amount: int, **headers: str) -> Any:
    return api.admin(
        "POST", "/admin/credits", json={"companyId": company_id, "amount": amount}, headers=headers
    )


def deliver(settings: Settings, company_id: str, ref: str, amount: int, items: list[str], **kw: Any) -> None:
    """A run: hold, capture each item, release (what sourcing/enrichment do)."""
    cid = uuid.UUID(company_id)

    async def go(s: Any) -> None:
        await hold(s, cid, amount, ref=ref, cost_key=kw.get("cost_key", SC), livemode=True)
        for item in items:
            await capture(s, ref, item, kw.get("cost_key", SC), now=kw.get("at"))
        await release(s, ref)

    in_db(settings, go)


def test_admin_top_up_and_balance(api: Api) -> None:
    t = api.tenant()
    r = top_up(api, t.company_id, 25)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["success"] is True and body["error"] is None
    assert body["data"] == {"billingMode": "prepaid", "balance": 25, "held": 0, "available": 25}
    # a retried top-up with the same Idempotency-Key adds nothing
    assert top_up(api, t.company_id, 25, **{"Idempotency-Key": "t-1"}).json()["data"]["balance"] == 50
    assert top_up(api, t.company_id, 25, **{"Idempotency-Key": "t-1"}).json()["data"]["balance"] == 50

    r = api.call("GET", "/billing/balance", t.key)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"billingMode": "prepaid", "balance": 50, "held": 0, "available": 50}
    assert api.call("GET", "/v1/billing/balance", t.key).json()["data"]["available"] == 50
    admin = api.admin("GET", f"/admin/credits?companyId={t.company_id}")
    assert admin.status_code == 200 and admin.json()["data"]["balance"] == 50


@pytest.mark.parametrize(
    "body",
    [{"amount": 0}, {"amount": -5}, {"amount": "10"}, {"amount": 1.5}, {"amount": 10, "extra": 1}, {}],
)
def test_top_up_validation(api: Api, body: dict[str, Any]) -> None:
    t = api.tenant()
    r = api.admin("POST", "/admin/credits", json={"companyId": t.company_id, **body})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"


def test_top_up_unknown_company_and_auth(api: Api) -> None:
    r = top_up(api, str(uuid.uuid4()), 5)
    assert r.status_code == 404 and r.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    t = api.tenant()
    r = api.call("POST", "/admin/credits", t.key, json={"companyId": t.company_id, "amount": 5})
    assert r.status_code == 401  # an API key is never an admin token


def test_billing_routes_need_read_billing_and_a_tenant(api: Api) -> None:
    t = api.tenant(scopes=["sourcing:read"])
    for path in ("/billing/balance", "/billing/usage", "/billing/invoices", "/billing/ledger"):
        r = api.call("GET", path, t.key)
        assert r.status_code == 403, path
        assert r.json()["error"]["details"] == {"requiredScope": "read:billing"}
    ats = api.tenant("ATS Inc", kind="ats")
    r = api.call("GET", "/billing/balance", ats.key)
    assert r.status_code == 400 and r.json()["error"]["details"]["fields"][0]["field"] == "companyId"


def test_me_shows_credits(api: Api) -> None:
    t = api.tenant()
    top_up(api, t.company_id, 7)
    data = api.call("GET", "/me", t.key).json()["data"]
    assert data["credits"] == {"billingMode": "prepaid", "balance": 7, "held": 0, "available": 7}


def test_ledger_lists_entries_with_cursor_and_tenant_isolation(api: Api, settings: Settings) -> None:
    a = api.tenant("Company A")
    b = api.tenant("Company B")
    top_up(api, a.company_id, 10)
    deliver(settings, a.company_id, "req_a1", 4, ["p1", "p2"])
    # top-up 2 entries, hold 2, 2 captures × 2, release 2
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        r = api.call("GET", "/billing/ledger", a.key, params=params)
        assert r.status_code == 200, r.text
        seen += r.json()["data"]["data"]
        cursor = r.json()["data"]["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == 10 and len({e["id"] for e in seen}) == 10
    assert sum(e["amount"] for e in seen) == 0
    assert [e["kind"] for e in seen][:2] == ["release", "release"]
    capture_entry = next(e for e in seen if e["kind"] == "capture" and e["account"] == "consumed")
    assert (
        capture_entry["holdRef"] == "req_a1"
        and capture_entry["costKey"] == SC
        and capture_entry["amount"] == 1
    )
    held = api.call("GET", "/billing/ledger", a.key, params={"account": "held"}).json()["data"]["data"]
    assert {e["account"] for e in held} == {"held"} and sum(e["amount"] for e in held) == 0
    assert api.call("GET", "/billing/ledger", b.key).json()["data"]["data"] == []
    bad = api.call("GET", "/billing/ledger", a.key, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR"


def test_usage_contract_shape_and_ats_aggregation(api: Api, settings: Settings) -> None:
    ats = api.tenant("ATS Inc", kind="ats")
    clients = []
    for name in ("Client One", "Client Two"):
        r = api.call("POST", "/companies", ats.key, json={"name": name})
        assert r.status_code == 201, r.text
        clients.append(r.json()["data"]["id"])
    top_up(api, clients[0], 10)
    api.admin("PATCH", f"/admin/companies/{clients[1]}", json={"billingMode": "postpaid"})
    deliver(settings, clients[0], "req_c1", 5, ["p1", "p2", "p3"])
    deliver(settings, clients[1], "enr_c2", 2, ["p1", "p2"], cost_key="enrich_profile")
    deliver(settings, clients[1], "req_prev_c2", 1, ["page1"], cost_key="preview_page")
    outsider = api.tenant("Outsider")
    top_up(api, outsider.company_id, 5)
    deliver(settings, outsider.company_id, "req_out", 1, ["p"])

    r = api.call("GET", "/billing/usage", ats.key)
    assert r.status_code == 200, r.text
    usage = r.json()["data"]
    assert set(usage) == {"companies", "totalCreditsUsed"}
    by_id = {c["companyId"]: c for c in usage["companies"]}
    assert set(by_id) == {ats.company_id, *clients}  # its own company and the ones it manages
    assert usage["totalCreditsUsed"] == 6
    one = by_id[clients[0]]
    assert set(one) == {"companyId", "companyName", "billingMode", "totalCreditsUsed", "breakdownByCostKey"}
    assert (one["companyName"], one["billingMode"], one["totalCreditsUsed"]) == ("Client One", "prepaid", 3)
    assert one["breakdownByCostKey"] == [
        {"costKey": "sourcing_candidate", "events": 3, "creditsUsed": 3},
        {"costKey": "enrich_profile", "events": 0, "creditsUsed": 0},
        {"costKey": "preview_page", "events": 0, "creditsUsed": 0},
    ]
    two = by_id[clients[1]]
    assert two["billingMode"] == "postpaid" and two["totalCreditsUsed"] == 3
    assert [b["creditsUsed"] for b in two["breakdownByCostKey"]] == [0, 2, 1]

    r = api.call("GET", "/billing/usage", ats.key, params={"companyId": clients[1]})
    assert [c["companyId"] for c in r.json()["data"]["companies"]] == [clients[1]]
    r = api.call("GET", "/billing/usage", outsider.key)
    assert r.json()["data"]["totalCreditsUsed"] == 1 and len(r.json()["data"]["companies"]) == 1
    r = api.call("GET", "/billing/usage", ats.key, params={"companyId": outsider.company_id})
    assert r.status_code == 403 and r.json()["error"]["code"] == "COMPANY_ACCESS_DENIED"


def test_usage_window(api: Api, settings: Settings) -> None:
    t = api.tenant()
    top_up(api, t.company_id, 10)
    now = utcnow()
    deliver(settings, t.company_id, "req_old", 2, ["p1"], at=now - timedelta(days=3))
    deliver(settings, t.company_id, "req_new", 2, ["p1", "p2"])

    def used(**params: str) -> int:
        r = api.call("GET", "/billing/usage", t.key, params=params)
        assert r.status_code == 200, r.text
        return int(r.json()["data"]["totalCreditsUsed"])

    day = timedelta(days=1)
    assert used(start=(now - 4 * day).isoformat(), end=(now + day).isoformat()) == 3
    assert used(start=(now - 4 * day).isoformat(), end=(now - 2 * day).isoformat()) == 1
    assert used(start=(now - day).strftime("%Y-%m-%d")) == 2  # date-only start, end defaults to now
    r = api.call(
        "GET", "/billing/usage", t.key, params={"start": now.isoformat(), "end": (now - day).isoformat()}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "VALIDATION_ERROR"
    r = api.call("GET", "/billing/usage", t.key, params={"start": "yesterday"})
    assert r.status_code == 400


def test_admin_billing_mode_anchor_and_refunds_and_adjustments(api: Api, settings: Settings) -> None:
    t = api.tenant()
    path = f"/admin/billing/companies/{t.company_id}"
    assert api.admin("GET", path).json()["data"] == {
        "companyId": t.company_id,
        "billingMode": "prepaid",
        "anchorDay": None,
    }
    r = api.admin("PATCH", path, json={"billingMode": "postpaid", "anchorDay": 15})
    assert r.status_code == 200 and r.json()["data"]["anchorDay"] == 15
    assert api.call("GET", "/billing/balance", t.key).json()["data"]["billingMode"] == "postpaid"
    assert api.admin("PATCH", path, json={"anchorDay": 40}).status_code == 400
    assert api.admin("PATCH", path, json={"billingMode": "free"}).status_code == 400
    assert api.admin("PATCH", f"/admin/billing/companies/{uuid.uuid4()}", json={}).status_code == 404
    api.admin("PATCH", path, json={"billingMode": "prepaid"})

    top_up(api, t.company_id, 5)
    deliver(settings, t.company_id, "req_rf", 2, ["p1"])
    refund = {"holdRef": "req_rf", "itemKey": "p1", "reason": "duplicate"}
    r = api.admin("POST", "/admin/credits/refunds", json=refund)
    assert r.status_code == 201 and r.json()["data"] == {
        "refunded": True,
        "balance": {"billingMode": "prepaid", "balance": 5, "held": 0, "available": 5},
    }
    assert api.admin("POST", "/admin/credits/refunds", json=refund).json()["data"]["refunded"] is False
    r = api.admin(
        "POST", "/admin/credits/adjustments", json={"companyId": t.company_id, "amount": -2, "reason": "fix"}
    )
    assert r.status_code == 201 and r.json()["data"]["available"] == 3
    r = api.admin(
        "POST", "/admin/credits/adjustments", json={"companyId": t.company_id, "amount": -9, "reason": "x"}
    )
    assert r.status_code == 400


def test_admin_verify_detects_tampering(api: Api, settings: Settings) -> None:
    t = api.tenant()
    top_up(api, t.company_id, 5)
    assert api.admin("GET", "/admin/billing/verify").json()["data"]["ok"] is True

    async def tamper(s: Any) -> None:
        await s.execute(update(BillingAccount).where(BillingAccount.kind == "available").values(balance=99))

    in_db(settings, tamper)
    data = api.admin("GET", "/admin/billing/verify").json()["data"]
    assert data["ok"] is False and data["problems"]


@pytest.fixture
def hourly_api(settings: Settings) -> Iterator[Api]:
    app = create_app(settings)
    app.state.billing_settings = BillingSettings(cycle_seconds=3600, close_grace_seconds=0)
    with running(app) as base:
        client = Api(base)
        try:
            yield client
        finally:
            client.close()


def test_invoices_over_http(hourly_api: Api, settings: Settings) -> None:
    api = hourly_api
    t = api.tenant()
    api.admin("PATCH", f"/admin/companies/{t.company_id}", json={"billingMode": "postpaid"})
    other = api.tenant("Other")
    hour = period_start(utcnow(), anchor_day=1, cycle_seconds=3600)
    deliver(settings, t.company_id, "req_inv", 5, ["a", "b"], at=hour - timedelta(hours=2))
    deliver(
        settings,
        t.company_id,
        "enr_inv",
        5,
        ["a"],
        cost_key="enrich_profile",
        at=hour - timedelta(minutes=30),
    )

    r = api.admin("POST", "/admin/billing/close-cycles")
    assert r.status_code == 200, r.text
    issued = r.json()["data"]["issued"]
    assert [(i["companyId"], i["totalCredits"]) for i in issued] == [(t.company_id, 2), (t.company_id, 1)]
    again = api.admin("POST", "/admin/billing/close-cycles").json()["data"]["issued"]
    assert not {i["periodStart"] for i in again} & {i["periodStart"] for i in issued}

    r = api.call("GET", "/billing/invoices", t.key)
    assert r.status_code == 200, r.text
    invoices = r.json()["data"]["data"]
    assert [i["totalCredits"] for i in invoices][-2:] == [1, 2]  # newest period first
    newest = next(i for i in invoices if i["totalCredits"] == 1)
    assert set(newest) == {
        "id",
        "companyId",
        "periodStart",
        "periodEnd",
        "lines",
        "totalCredits",
        "status",
        "issuedAt",
    }
    assert newest["lines"] == [{"costKey": "enrich_profile", "quantity": 1}] and newest["status"] == "issued"
    assert api.call("GET", "/billing/invoices", other.key).json()["data"]["data"] == []
    admin = api.admin("GET", f"/admin/invoices?companyId={t.company_id}").json()["data"]["data"]
    assert [i["id"] for i in admin] == [i["id"] for i in invoices]
    page = api.call("GET", "/billing/invoices", t.key, params={"limit": 1}).json()["data"]
    assert len(page["data"]) == 1 and page["nextCursor"]


def test_openapi_declares_billing_security(api: Api) -> None:
    paths = api.http.get("/openapi.json").json()["paths"]
    for path in ("/billing/usage", "/billing/balance", "/billing/invoices", "/billing/ledger"):
        extra = paths[path]["get"]["x-talentscout"]
        assert extra["scope"] == "read:billing"
        assert extra["tenant"] == ("optional" if path == "/billing/usage" else "required")
    assert paths["/admin/credits"]["post"]["x-talentscout"] == {"admin": True}
    assert "/v1/billing/usage" not in paths  # the alias is served but hidden from the schema

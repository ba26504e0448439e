"""Sourcing request side over real HTTP: validation, 202 shape, 402, 404/409/422, list, caps.

The worker is off in these tests (worker_enabled=False), so runs stay `processing`:
that is exactly the state the request side must produce.
"""

from __future__ import annotations

import uuid

from tests.foundation.test_errors import assert_envelope
from tests.foundation.test_tenancy import comparable
from tests.harness import Api, Tenant

BODY = {
    "title": "Senior Backend Engineer",
    "jobDescription": "Requirements: 5+ years of Python and PostgreSQL.",
    "location": "Berlin, Germany",
}


def funded(api: Api, name: str = "Acme", credits: int = 1000, **key: object) -> Tenant:
    t = api.tenant(name, **key)
    r = api.admin(
        "POST", "/admin/credits", json={"companyId": t.company_id, "amount": credits, "reason": "test"}
    )
    assert r.status_code == 201, r.text
    return t


def test_post_returns_202_with_location_and_flat_body(api: Api) -> None:
    t = funded(api)
    r = api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 5})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["success"] is True and body["status"] == "processing"
    assert body["requestId"].startswith("req_") and not body["requestId"].startswith("req_prev_")
    uuid.UUID(body["requestId"][4:])
    assert r.headers["location"] == f"/sourcing/{body['requestId']}/results"
    assert r.headers["retry-after"] == "2"
    assert body["livemode"] is True and body["webhookId"] is None
    assert set(body) == {
        "success",
        "requestId",
        "status",
        "message",
        "webhookId",
        "createdAt",
        "updatedAt",
        "livemode",
    }
    # credits are held, not spent
    bal = api.call("GET", "/billing/balance", t.key).json()["data"]
    assert bal["held"] == 5 and bal["available"] == 995
    poll = api.call("GET", r.headers["location"], t.key)
    assert poll.status_code == 202 and poll.headers["retry-after"]
    assert poll.json()["status"] == "processing" and poll.json()["candidatesSourcedCount"] == 0


def test_validation_limits(api: Api) -> None:
    t = funded(api)
    cases = [
        {**BODY, "title": ""},
        {**BODY, "title": "x" * 201},
        {**BODY, "jobDescription": "x" * 10_001},
        {**BODY, "location": "   "},
        {**BODY, "query": "q" * 501},
        {**BODY, "limit": 0},
        {**BODY, "limit": 101},
        {**BODY, "webhookId": "not-a-uuid"},
        {k: v for k, v in BODY.items() if k != "title"},
    ]
    for body in cases:
        r = api.call("POST", "/sourcing", t.key, json=body)
        assert_envelope(r, 400, "VALIDATION_ERROR")


def test_prepaid_preflight_402_creates_nothing(api: Api) -> None:
    t = funded(api, credits=3)
    r = api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 20})
    body = assert_envelope(r, 402, "INSUFFICIENT_CREDITS")
    assert body["error"]["details"] == {"required": 20, "available": 3}
    runs = api.call("GET", "/sourcing", t.key).json()["data"]["data"]
    assert runs == []
    assert api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 3}).status_code == 202


def test_unknown_and_foreign_runs_are_identical_404(api: Api) -> None:
    a = funded(api, "Company A")
    b = funded(api, "Company B")
    rid = api.call("POST", "/sourcing", a.key, json=BODY).json()["requestId"]
    foreign = api.call("GET", f"/sourcing/{rid}/results", b.key)
    missing = api.call("GET", f"/sourcing/req_{uuid.uuid4()}/results", b.key)
    assert_envelope(foreign, 404, "REQUEST_NOT_FOUND")
    assert comparable(foreign) == comparable(missing)
    foreign = api.call("PATCH", f"/sourcing/{rid}", b.key, json={"query": "x"})
    missing = api.call("PATCH", f"/sourcing/req_{uuid.uuid4()}", b.key, json={"query": "x"})
    assert comparable(foreign) == comparable(missing)
    # a sourcing id is not a preview id
    assert_envelope(api.call("GET", f"/sourcing/preview/{rid}/results", a.key), 404, "REQUEST_NOT_FOUND")


def test_patch_while_processing_is_409_and_needs_a_field(api: Api) -> None:
    t = funded(api)
    rid = api.call("POST", "/sourcing", t.key, json=BODY).json()["requestId"]
    assert_envelope(api.call("PATCH", f"/sourcing/{rid}", t.key, json={}), 400, "VALIDATION_ERROR")
    assert_envelope(api.call("PATCH", f"/sourcing/{rid}", t.key, json={"limit": 51}), 400, "VALIDATION_ERROR")
    assert_envelope(
        api.call("PATCH", f"/sourcing/{rid}", t.key, json={"query": "more"}), 409, "RUN_IN_PROGRESS"
    )


def test_webhook_id_must_exist_and_subscribe(sqlite_url: str) -> None:
    from talentscout.app import create_app
    from tests.conftest import make_settings
    from tests.harness import running

    with running(create_app(make_settings(sqlite_url, webhooks_allow_private=True))) as base:
        _webhook_checks(Api(base))


def _webhook_checks(api: Api) -> None:
    t = funded(api)
    r = api.call("POST", "/sourcing", t.key, json={**BODY, "webhookId": str(uuid.uuid4())})
    assert_envelope(r, 422, "WEBHOOK_NOT_FOUND")
    hook = api.call(
        "POST", "/webhooks", t.key, json={"url": "http://127.0.0.1:9/hook", "events": ["ENRICH_COMPLETED"]}
    )
    assert hook.status_code == 201, hook.text
    r = api.call("POST", "/sourcing", t.key, json={**BODY, "webhookId": hook.json()["data"]["id"]})
    assert_envelope(r, 422, "WEBHOOK_NOT_SUBSCRIBED")


def test_preview_ids_and_page_preflight(api: Api) -> None:
    t = funded(api, credits=2)
    r = api.call("POST", "/sourcing/preview", t.key, json={**BODY, "limit": 41})
    body = assert_envelope(r, 402, "INSUFFICIENT_CREDITS")
    assert body["error"]["details"] == {"required": 3, "available": 2}
    r = api.call("POST", "/sourcing/preview", t.key, json={**BODY, "limit": 40})
    assert r.status_code == 202 and r.json()["requestId"].startswith("req_prev_")
    assert r.headers["location"] == f"/sourcing/preview/{r.json()['requestId']}/results"


def test_list_runs_newest_first_with_cursor(api: Api) -> None:
    t = funded(api)
    ids = [
        api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 1}).json()["requestId"] for _ in range(3)
    ]
    page1 = api.call("GET", "/sourcing?limit=2", t.key).json()["data"]
    assert [r["requestId"] for r in page1["data"]] == ids[::-1][:2]
    page2 = api.call("GET", f"/sourcing?limit=2&cursor={page1['nextCursor']}", t.key).json()["data"]
    assert [r["requestId"] for r in page2["data"]] == [ids[0]] and page2["nextCursor"] is None
    assert_envelope(api.call("GET", "/sourcing?cursor=%%%", t.key), 400, "VALIDATION_ERROR")


def test_concurrent_run_cap(api: Api) -> None:
    t = funded(api)
    statuses = [
        api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 1}).status_code for _ in range(11)
    ]
    assert statuses[:10] == [202] * 10
    assert statuses[10] == 429


def test_idempotent_post_starts_one_run_and_one_hold(api: Api) -> None:
    t = funded(api)
    h = {"Idempotency-Key": "run-1"}
    first = api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 7}, headers=h)
    again = api.call("POST", "/sourcing", t.key, json={**BODY, "limit": 7}, headers=h)
    assert first.json()["requestId"] == again.json()["requestId"]
    assert api.call("GET", "/billing/balance", t.key).json()["data"]["held"] == 7


def test_test_keys_never_touch_credits(api: Api) -> None:
    cid = api.create_company("Sandbox")
    key, _ = api.create_key(cid, mode="test")
    r = api.call("POST", "/sourcing", key, json={**BODY, "limit": 50})
    assert r.status_code == 202 and r.json()["livemode"] is False

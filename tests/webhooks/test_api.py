"""API.md §8 endpoints over real HTTP: shapes, notations, masking, tenancy, test ping,
reset, rotation, delivery log and redelivery."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook

from talentscout.config import Settings
from talentscout.db import Database
from talentscout.kit.clock import utcnow
from talentscout.webhooks.models import WebhookConfig, WebhookDelivery
from talentscout.webhooks.outbox import emit
from tests.harness import Api, Tenant
from tests.webhooks.receiver import Receiver, Step

T = TypeVar("T")
HOOK = {"url": "https://hooks.example.com/in", "events": ["SOURCING_COMPLETED"]}


def _db(settings: Settings, fn: Callable[[Any], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database(settings.database_url)
        try:
            async with db.write() as session:
                return await fn(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


def _emit(settings: Settings, company_id: str, event: str = "sourcing.completed", **data: Any) -> list[str]:
    return _db(settings, lambda s: emit(s, uuid.UUID(company_id), event, {"requestId": "r", **data}))


def _create(api: Api, key: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
    r = api.call("POST", "/webhooks", key, json=body, params=params)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


def _ats(api: Api) -> tuple[Tenant, str]:
    """An ATS company with an ats key, and one client company it manages."""
    from talentscout.auth.keys import SCOPES

    ats_company = api.create_company("ATS Inc")
    key, key_id = api.create_key(ats_company, list(SCOPES), kind="ats")
    r = api.call("POST", "/companies", key, json={"name": "Client Co"})
    assert r.status_code == 201, r.text
    return Tenant(ats_company, key, key_id), str(r.json()["data"]["id"])


def test_create_returns_the_secret_once_and_the_resource(dev_api: Api) -> None:
    t = dev_api.tenant()
    data = _create(
        dev_api, t.key, {**HOOK, "name": "n", "description": "d", "maxRetries": 5, "timeoutMs": 1000}
    )
    assert data["signingSecret"].startswith("whsec_")
    assert data["companyId"] == t.company_id and data["apiKeyId"] == t.key_id
    assert data["isActive"] is True and data["consecutiveFailures"] == 0 and data["circuitOpenedAt"] is None
    assert (data["maxRetries"], data["timeoutMs"], data["name"], data["description"]) == (5, 1000, "n", "d")
    got = dev_api.call("GET", f"/webhooks/{data['id']}", t.key)
    assert got.status_code == 200 and "signingSecret" not in got.json()["data"]
    listed = dev_api.call("GET", "/webhooks", t.key).json()["data"]
    assert listed["total"] == 1 and "signingSecret" not in listed["data"][0]
    assert data["signingSecret"] not in got.text + str(listed)
    defaults = _create(dev_api, t.key, HOOK)
    assert (defaults["maxRetries"], defaults["timeoutMs"]) == (3, 30_000)
    # Served under /v1 as well.
    assert dev_api.call("GET", f"/v1/webhooks/{data['id']}", t.key).status_code == 200


def test_event_notations(dev_api: Api) -> None:
    t = dev_api.tenant()
    data = _create(
        dev_api, t.key, {**HOOK, "events": ["ping", 6, "SOURCING_FAILED", "enrich.completed", "9", 6]}
    )
    assert data["events"] == [
        "PING",
        "SOURCING_COMPLETED",
        "SOURCING_FAILED",
        "ENRICH_COMPLETED",
        "ENRICH_FAILED",
    ]
    for bad in ([0], [1], [3], [4], [5], ["3"], ["interview.completed"], [], [True], "PING", [None]):
        r = dev_api.call("POST", "/webhooks", t.key, json={**HOOK, "events": bad})
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["error"]["code"] == "VALIDATION_ERROR"
        assert r.json()["error"]["details"]["fields"][0]["field"].startswith("events")


def test_header_values_are_never_returned_and_sensitive_names_masked(dev_api: Api) -> None:
    t = dev_api.tenant()
    headers = {
        "Authorization": "Bearer v-auth",
        "Cookie": "v-cookie",
        "X-Api-Key": "v-key",
        "X-Access-Token": "v-token",
        "X-Client-Secret": "v-secret",
        "X-Tenant": "v-plain",
    }
    body = {**HOOK, "headers": [{"name": k, "value": v} for k, v in headers.items()]}
    created = dev_api.call("POST", "/webhooks", t.key, json=body)
    assert created.status_code == 201
    wid = created.json()["data"]["id"]
    texts = [
        created.text,
        dev_api.call("GET", f"/webhooks/{wid}", t.key).text,
        dev_api.call("GET", "/webhooks", t.key).text,
    ]
    for text in texts:
        for value in headers.values():
            assert value not in text
    masked = {h["name"]: h["isMasked"] for h in created.json()["data"]["headers"]}
    assert masked == {
        "Authorization": True,
        "Cookie": True,
        "X-Api-Key": True,
        "X-Access-Token": True,
        "X-Client-Secret": True,
        "X-Tenant": False,
    }
    for bad in (
        [{"name": "webhook-signature", "value": "x"}],
        [{"name": "Host", "value": "x"}],
        [{"name": "X-A", "value": "a\r\nX-Injected: 1"}],
        [{"name": "Bad Name", "value": "x"}],
        [{"name": "X-A", "value": ""}],
        [{"name": "X-A", "value": "1"}, {"name": "x-a", "value": "2"}],
        [{"name": f"X-{i}", "value": "v"} for i in range(51)],
    ):
        r = dev_api.call("POST", "/webhooks", t.key, json={**HOOK, "headers": bad})
        assert r.status_code == 400, (bad, r.text)


def test_url_rules_outside_dev_mode(strict_api: Api) -> None:
    api = strict_api
    t = api.tenant()
    for url in (
        "http://hooks.example.com/in",
        "https://127.0.0.1/",
        "https://127.1/",
        "https://2130706433/",
        "https://0x7f000001/",
        "https://[::ffff:127.0.0.1]/",
        "https://169.254.169.254/",
        "https://10.0.0.1/",
        "https://localhost/",
        "https://unresolvable.test/",
    ):
        r = api.call("POST", "/webhooks", t.key, json={**HOOK, "url": url})
        assert r.status_code == 422, (url, r.text)
        assert r.json()["error"]["code"] == "INVALID_WEBHOOK_URL"
    r = api.call("POST", "/webhooks", t.key, json={**HOOK, "url": "https://x.test/" + "a" * 2048})
    assert r.status_code == 400
    assert api.call("POST", "/webhooks", t.key, json=HOOK).status_code == 201


def test_url_rules_in_dev_mode_and_on_update(dev_api: Api) -> None:
    t = dev_api.tenant()
    data = _create(dev_api, t.key, {**HOOK, "url": "http://127.0.0.1:9/in"})
    for url in ("http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://0.0.0.0/", "ftp://127.0.0.1/"):
        r = dev_api.call("PATCH", f"/webhooks/{data['id']}", t.key, json={"url": url})
        assert r.status_code == 422 and r.json()["error"]["code"] == "INVALID_WEBHOOK_URL", url
    assert (
        dev_api.call("GET", f"/webhooks/{data['id']}", t.key).json()["data"]["url"] == "http://127.0.0.1:9/in"
    )


def test_list_filter_and_globals_for_ats_keys(dev_api: Api) -> None:
    ats, client = _ats(dev_api)
    glob = _create(dev_api, ats.key, HOOK)
    own = _create(dev_api, ats.key, HOOK, companyId=ats.company_id)
    for_client = _create(dev_api, ats.key, HOOK, companyId=client)
    via_body = _create(dev_api, ats.key, {**HOOK, "companyId": client})
    assert glob["companyId"] is None and own["companyId"] == ats.company_id
    assert for_client["companyId"] == client == via_body["companyId"]

    def ids(**params: str) -> set[str]:
        r = dev_api.call("GET", "/webhooks", ats.key, params=params)
        assert r.status_code == 200, r.text
        body = r.json()["data"]
        assert body["total"] == len(body["data"])
        return {c["id"] for c in body["data"]}

    assert ids() == {glob["id"], own["id"], for_client["id"], via_body["id"]}
    assert ids(companyId=client) == {for_client["id"], via_body["id"]}
    assert ids(companyId=ats.company_id) == {own["id"]}
    # The client's own standard key sees its configs, never the ATS's globals.
    key, _ = dev_api.create_key(client)
    r = dev_api.call("GET", "/webhooks", key).json()["data"]
    assert {c["id"] for c in r["data"]} == {for_client["id"], via_body["id"]}
    assert dev_api.call("GET", f"/webhooks/{glob['id']}", key).status_code == 404

    other = dev_api.tenant("Other")
    r = dev_api.call("POST", "/webhooks", ats.key, json={**HOOK, "companyId": other.company_id})
    assert r.status_code == 403 and r.json()["error"]["code"] == "COMPANY_ACCESS_DENIED"
    r = dev_api.call("POST", "/webhooks", other.key, json={**HOOK, "companyId": client})
    assert r.status_code == 403
    r = dev_api.call(
        "POST", "/webhooks", ats.key, json={**HOOK, "companyId": ats.company_id}, params={"companyId": client}
    )
    assert r.status_code == 400


def _normalised(r: httpx.Response) -> tuple[int, dict[str, Any]]:
    body = r.json()
    body.pop("timestamp")
    body["error"].pop("correlationId")
    return r.status_code, body


def test_foreign_ids_answer_exactly_like_unknown_ids(dev_api: Api, dev_settings: Settings) -> None:
    a, b = dev_api.tenant("Alpha"), dev_api.tenant("Beta")
    wid = _create(dev_api, a.key, {**HOOK, "events": ["PING"]})["id"]
    (delivery_id,) = _emit(dev_settings, a.company_id, "ping")
    unknown = str(uuid.uuid4())
    routes = [
        ("GET", "/webhooks/{id}", None),
        ("PATCH", "/webhooks/{id}", {"name": "x"}),
        ("DELETE", "/webhooks/{id}", None),
        ("POST", "/webhooks/{id}/test", None),
        ("POST", "/webhooks/{id}/reset-circuit", None),
        ("POST", "/webhooks/{id}/rotate-secret", None),
        ("GET", "/webhooks/{id}/deliveries", None),
        ("GET", "/webhooks/{id}/deliveries/" + delivery_id, None),
        ("POST", "/webhooks/{id}/deliveries/" + delivery_id + "/redeliver", None),
    ]
    for method, path, body in routes:
        foreign = dev_api.call(method, path.format(id=wid), b.key, json=body)
        missing = dev_api.call(method, path.format(id=unknown), b.key, json=body)
        assert foreign.status_code == 404, (method, path, foreign.text)
        assert _normalised(foreign) == _normalised(missing)
        assert foreign.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    # Nothing happened to A's config.
    got = dev_api.call("GET", f"/webhooks/{wid}", a.key).json()["data"]
    assert got["name"] is None and got["isActive"] is True
    assert dev_api.call("GET", "/webhooks", b.key).json()["data"]["total"] == 0


def test_scopes(dev_api: Api) -> None:
    reader = dev_api.tenant("Reader", scopes=["read:webhooks"])
    r = dev_api.call("POST", "/webhooks", reader.key, json=HOOK)
    assert r.status_code == 403 and r.json()["error"]["details"]["requiredScope"] == "write:webhooks"
    writer = dev_api.tenant("Writer", scopes=["write:webhooks"])
    assert dev_api.call("GET", "/webhooks", writer.key).status_code == 403
    assert dev_api.call("POST", "/webhooks", writer.key, json=HOOK).status_code == 201


def test_patch_is_partial_headers_replace_and_is_active_pauses(dev_api: Api, dev_settings: Settings) -> None:
    t = dev_api.tenant()
    body = {**HOOK, "name": "keep", "headers": [{"name": "X-A", "value": "1"}, {"name": "X-B", "value": "2"}]}
    wid = _create(dev_api, t.key, body)["id"]
    r = dev_api.call("PATCH", f"/webhooks/{wid}", t.key, json={"headers": [{"name": "X-C", "value": "3"}]})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert [h["name"] for h in data["headers"]] == ["X-C"] and data["name"] == "keep"
    assert data["events"] == ["SOURCING_COMPLETED"] and data["url"] == HOOK["url"]
    r = dev_api.call(
        "PATCH", f"/webhooks/{wid}", t.key, json={"events": [2], "maxRetries": 0, "description": None}
    )
    assert r.json()["data"]["events"] == ["PING"] and r.json()["data"]["maxRetries"] == 0
    bad: dict[str, Any]
    for bad in (
        {"maxRetries": 11},
        {"timeoutMs": 999},
        {"url": None},
        {"isActive": None},
        {"events": []},
        {"unknown": 1},
    ):
        assert dev_api.call("PATCH", f"/webhooks/{wid}", t.key, json=bad).status_code == 400, bad

    r = dev_api.call("PATCH", f"/webhooks/{wid}", t.key, json={"isActive": False})
    assert r.json()["data"]["isActive"] is False and r.json()["data"]["disabledReason"] == "paused"
    assert _emit(dev_settings, t.company_id, "ping") == []  # paused configs receive nothing
    r = dev_api.call("PATCH", f"/webhooks/{wid}", t.key, json={"isActive": True})
    assert r.json()["data"]["isActive"] is True
    assert len(_emit(dev_settings, t.company_id, "ping")) == 1


def test_delete_cancels_pending_deliveries(dev_api: Api, dev_settings: Settings) -> None:
    t = dev_api.tenant()
    wid = _create(dev_api, t.key, HOOK)["id"]
    ids = _emit(dev_settings, t.company_id) + _emit(dev_settings, t.company_id)
    assert len(ids) == 2
    r = dev_api.call("DELETE", f"/webhooks/{wid}", t.key)
    assert r.status_code == 204 and r.content == b""
    assert dev_api.call("GET", f"/webhooks/{wid}", t.key).status_code == 404
    assert dev_api.call("DELETE", f"/webhooks/{wid}", t.key).status_code == 404
    assert dev_api.call("GET", "/webhooks", t.key).json()["data"]["total"] == 0

    async def statuses(s: Any) -> list[str]:
        return list(
            (await s.execute(select(WebhookDelivery.status).where(WebhookDelivery.id.in_(ids)))).scalars()
        )

    assert _db(dev_settings, statuses) == ["cancelled", "cancelled"]
    assert _emit(dev_settings, t.company_id) == []


def test_test_ping_matrix(dev_api: Api, dev_settings: Settings) -> None:
    t = dev_api.tenant()
    with Receiver([Step(status=200), Step(status=500)]) as r:
        created = _create(dev_api, t.key, {"url": r.url + "/ping", "events": ["PING"], "timeoutMs": 2000})
        wid = created["id"]
        res = dev_api.call("POST", f"/webhooks/{wid}/test", t.key)
        assert res.status_code == 200, res.text
        data = res.json()["data"]
        assert data["success"] is True and data["httpStatus"] == 200 and data["durationMs"] >= 0
        (req,) = r.requests
        payload = Webhook(created["signingSecret"]).verify(req.body, req.headers)
        assert isinstance(payload, dict)
        assert payload["event"] == "ping" and payload["data"]["webhookId"] == wid
        assert req.webhook_id == data["deliveryId"] == payload["deliveryId"]

        res = dev_api.call("POST", f"/webhooks/{wid}/test", t.key).json()["data"]
        assert res["success"] is False and res["httpStatus"] == 500 and "HTTP 500" in res["message"]
        got = dev_api.call("GET", f"/webhooks/{wid}", t.key).json()["data"]
        assert got["consecutiveFailures"] == 1
        deliveries = dev_api.call("GET", f"/webhooks/{wid}/deliveries", t.key).json()["data"]["data"]
        assert [d["status"] for d in deliveries] == ["failed", "succeeded"]  # test pings are not retried

        dev_api.call("PATCH", f"/webhooks/{wid}", t.key, json={"isActive": False})
        res = dev_api.call("POST", f"/webhooks/{wid}/test", t.key)
        assert res.status_code == 200 and res.json()["data"]["success"] is False
        assert "deliveryId" not in res.json()["data"] or res.json()["data"]["deliveryId"] is None

        dev_api.call("PATCH", f"/webhooks/{wid}", t.key, json={"isActive": True})

        async def open_breaker(s: Any) -> None:
            await s.execute(
                update(WebhookConfig)
                .where(WebhookConfig.id == uuid.UUID(wid))
                .values(is_active=False, circuit_opened_at=utcnow(), consecutive_failures=10)
            )

        _db(dev_settings, open_breaker)
        res = dev_api.call("POST", f"/webhooks/{wid}/test", t.key).json()["data"]
        assert res["success"] is False and "circuit" in res["message"]

        no_ping = _create(dev_api, t.key, {"url": r.url, "events": ["SOURCING_COMPLETED"]})["id"]
        res = dev_api.call("POST", f"/webhooks/{no_ping}/test", t.key).json()["data"]
        assert res["success"] is False and "PING" in res["message"]
        assert len(r.requests) == 2
    count = len(dev_api.call("GET", f"/webhooks/{wid}/deliveries", t.key).json()["data"]["data"])
    assert (
        count == 2
        and dev_api.call("GET", f"/webhooks/{no_ping}/deliveries", t.key).json()["data"]["data"] == []
    )

    reset = dev_api.call("POST", f"/webhooks/{wid}/reset-circuit", t.key).json()["data"]
    assert (
        reset["isActive"] is True and reset["circuitOpenedAt"] is None and reset["consecutiveFailures"] == 0
    )


def test_rotate_secret_both_secrets_verify(dev_api: Api) -> None:
    t = dev_api.tenant()
    with Receiver() as r:
        created = _create(dev_api, t.key, {"url": r.url, "events": ["PING"]})
        rotated = dev_api.call("POST", f"/webhooks/{created['id']}/rotate-secret", t.key)
        assert rotated.status_code == 200
        new = rotated.json()["data"]["signingSecret"]
        assert new.startswith("whsec_") and new != created["signingSecret"]
        ends = datetime.fromisoformat(
            rotated.json()["data"]["previousSecretExpiresAt"].replace("Z", "+00:00")
        )
        assert abs(ends - (utcnow() + timedelta(hours=24))) < timedelta(minutes=1)
        assert dev_api.call("POST", f"/webhooks/{created['id']}/test", t.key).json()["data"]["success"]
        (req,) = r.requests
    assert len(req.headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(req.body, req.headers)
    Webhook(created["signingSecret"]).verify(req.body, req.headers)


def test_delivery_log_cursor_and_redeliver(dev_api_worker: Api, dev_settings: Settings) -> None:
    api = dev_api_worker
    t = api.tenant()
    with Receiver() as r:
        wid = _create(api, t.key, {"url": r.url, "events": ["SOURCING_COMPLETED"]})["id"]
        ids = [_emit(dev_settings, t.company_id, n=i)[0] for i in range(5)]
        r.wait_for(5)
        seen: list[str] = []
        cursor: str | None = None
        for _ in range(5):
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            page = api.call("GET", f"/webhooks/{wid}/deliveries", t.key, params=params).json()["data"]
            seen += [d["id"] for d in page["data"]]
            cursor = page["nextCursor"]
            if cursor is None:
                break
        assert seen == list(reversed(ids))  # newest first, each exactly once
        bad = api.call("GET", f"/webhooks/{wid}/deliveries", t.key, params={"cursor": "%%%"})
        assert bad.status_code == 400

        detail = api.call("GET", f"/webhooks/{wid}/deliveries/{ids[0]}", t.key).json()["data"]
        assert detail["status"] == "succeeded" and detail["attempts"] == 1
        assert detail["attemptLog"][0]["httpStatus"] == 200 and '"n":0' in detail["payload"]

        res = api.call("POST", f"/webhooks/{wid}/deliveries/{ids[0]}/redeliver", t.key)
        assert res.status_code == 202, res.text
        assert res.json()["data"]["status"] == "pending"
        reqs = r.wait_for(6)
        assert reqs[-1].webhook_id == ids[0] and reqs[-1].body == reqs[0].body
        assert api.call("GET", f"/webhooks/{wid}/deliveries/msg_unknown", t.key).status_code == 404

"""Idempotency-Key (API.md §4): replay, 409 while in flight, 422 on another body, per company."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.foundation.test_errors import assert_envelope
from tests.harness import Api


def test_replay_returns_stored_response(api: Api) -> None:
    ats = api.tenant("ATS", kind="ats")
    h = {"Idempotency-Key": "create-client-1"}
    first = api.call("POST", "/companies", ats.key, json={"name": "Client"}, headers=h)
    again = api.call("POST", "/companies", ats.key, json={"name": "Client"}, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    listing = api.call("GET", "/companies", ats.key).json()["data"]
    assert listing["total"] == 2  # own + exactly one client


def test_different_body_is_422(api: Api) -> None:
    ats = api.tenant("ATS", kind="ats")
    h = {"Idempotency-Key": "k1"}
    assert api.call("POST", "/companies", ats.key, json={"name": "One"}, headers=h).status_code == 201
    r = api.call("POST", "/companies", ats.key, json={"name": "Two"}, headers=h)
    assert_envelope(r, 422, "IDEMPOTENCY_KEY_REUSED")


def test_errors_are_stored_and_replayed_too(api: Api) -> None:
    ats = api.tenant("ATS", kind="ats")
    h = {"Idempotency-Key": "bad-1"}
    first = api.call("POST", "/companies", ats.key, json={"name": "x"}, headers=h)
    again = api.call("POST", "/companies", ats.key, json={"name": "x"}, headers=h)
    assert first.status_code == again.status_code == 400
    assert again.json()["error"]["code"] == "VALIDATION_ERROR"
    assert again.headers["idempotent-replayed"] == "true"


def test_keys_are_scoped_per_company(api: Api) -> None:
    a = api.tenant("ATS A", kind="ats")
    b = api.tenant("ATS B", kind="ats")
    h = {"Idempotency-Key": "same"}
    ra = api.call("POST", "/companies", a.key, json={"name": "Client"}, headers=h)
    rb = api.call("POST", "/companies", b.key, json={"name": "Client"}, headers=h)
    assert ra.status_code == rb.status_code == 201
    assert ra.json()["data"]["id"] != rb.json()["data"]["id"]
    assert "idempotent-replayed" not in rb.headers


def test_key_too_long_is_400(api: Api) -> None:
    ats = api.tenant("ATS", kind="ats")
    r = api.call("POST", "/companies", ats.key, json={"name": "Client"}, headers={"Idempotency-Key": "k" * 256})
    assert_envelope(r, 400, "VALIDATION_ERROR")


def test_concurrent_duplicates_create_exactly_one(api: Api) -> None:
    ats = api.tenant("ATS", kind="ats")

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=api.base_url, timeout=30) as c:
            return c.post(
                "/companies",
                json={"name": "Racy Client"},
                headers={"Authorization": f"Bearer {ats.key}", "Idempotency-Key": "race"},
            )

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(post, range(12)))
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {201, 409}, statuses
    created_ids = {r.json()["data"]["id"] for r in results if r.status_code == 201}
    assert len(created_ids) == 1
    for r in results:
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
    listing = api.call("GET", "/companies", ats.key).json()["data"]
    assert sum(c["name"] == "Racy Client" for c in listing["data"]) == 1

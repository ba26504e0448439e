"""The one error envelope on every route, framework errors included (API.md §2)."""

from __future__ import annotations

import httpx
import pytest

from talentscout.app import create_app
from talentscout.config import Settings
from tests.harness import Api, running


def assert_envelope(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["success"] is False and body["data"] is None
    assert body["error"]["code"] == code
    assert body["error"]["correlationId"] == r.headers["x-request-id"]
    assert body["timestamp"].endswith("Z") and len(body["timestamp"]) == 24
    return body


def test_unknown_route_is_enveloped_404(api: Api) -> None:
    assert_envelope(api.call("GET", "/no/such/route", None), 404, "RESOURCE_NOT_FOUND")


def test_method_not_allowed_is_enveloped_405(api: Api) -> None:
    r = api.call("DELETE", "/livez", None)
    assert_envelope(r, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in r.headers.get("allow", "")


def test_body_over_256_kib_is_413_with_content_length(api: Api) -> None:
    t = api.tenant(kind="ats")
    big = b'{"name": "' + b"x" * (256 * 1024) + b'"}'
    r = api.call("POST", "/companies", t.key, content=big, headers={"content-type": "application/json"})
    assert_envelope(r, 413, "PAYLOAD_TOO_LARGE")


def test_chunked_body_over_cap_is_413(api: Api) -> None:
    t = api.tenant(kind="ats")

    def chunks():
        for _ in range(40):
            yield b"x" * 8192

    r = api.call("POST", "/companies", t.key, content=chunks(), headers={"content-type": "application/json"})
    assert_envelope(r, 413, "PAYLOAD_TOO_LARGE")


def test_validation_error_lists_fields(api: Api) -> None:
    t = api.tenant(kind="ats")
    r = api.call("POST", "/companies", t.key, json={"name": "x", "description": 5, "bogus": 1})
    body = assert_envelope(r, 400, "VALIDATION_ERROR")
    fields = {f["field"] for f in body["error"]["details"]["fields"]}
    assert {"name", "description", "bogus"} <= fields


def test_malformed_json_is_400(api: Api) -> None:
    t = api.tenant(kind="ats")
    r = api.call("POST", "/companies", t.key, content=b"{not json", headers={"content-type": "application/json"})
    assert_envelope(r, 400, "VALIDATION_ERROR")


def test_bad_query_parameter_is_400(api: Api) -> None:
    t = api.tenant()
    r = api.call("GET", "/companies?limit=1000", t.key)
    body = assert_envelope(r, 400, "VALIDATION_ERROR")
    assert body["error"]["details"]["fields"][0]["field"] == "limit"


def test_unhandled_exception_is_500_without_internals(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    with running(app) as base:
        r = httpx.get(base + "/boom", headers={"X-Request-Id": "trace-123"})
    body = assert_envelope(r, 500, "INTERNAL_ERROR")
    assert "secret" not in r.text and "passwd" not in r.text
    assert body["error"]["correlationId"] == "trace-123"


@pytest.mark.parametrize("given", ["abc-123", "x" * 300, "bad id with spaces"])
def test_request_id_echoed_or_generated(api: Api, given: str) -> None:
    r = api.call("GET", "/livez", None, headers={"X-Request-Id": given})
    rid = r.headers["x-request-id"]
    if given == "abc-123":
        assert rid == given
    else:
        assert rid != given and len(rid) == 32


def test_unknown_route_under_v1_alias(api: Api) -> None:
    t = api.tenant()
    assert api.call("GET", "/v1/me", t.key).status_code == 200
    assert_envelope(api.call("GET", "/v1/nothing", t.key), 404, "RESOURCE_NOT_FOUND")

"""/livez, /readyz, /metrics, /openapi.json, /docs and /me."""

from __future__ import annotations

from pathlib import Path

import httpx

from talentscout.app import create_app
from tests.conftest import make_settings
from tests.harness import Api, running


def test_livez_readyz_ready(api: Api) -> None:
    assert api.call("GET", "/livez", None).json() == {"status": "ok"}
    r = api.call("GET", "/readyz", None)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["checks"]["migrations"] == "ok"


def test_readyz_503_when_not_migrated(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    with running(create_app(settings)) as base:
        r = httpx.get(base + "/readyz")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert r.headers["retry-after"]


def test_metrics_by_route_template(api: Api) -> None:
    t = api.tenant()
    api.call("GET", f"/companies/{t.company_id}", t.key)
    text = api.call("GET", "/metrics", None).text
    assert 'route="/companies/{company_id}"' in text
    assert "talentscout_http_request_duration_seconds_bucket" in text


def test_openapi_and_docs(api: Api) -> None:
    spec = api.call("GET", "/openapi.json", None).json()
    assert "/companies" in spec["paths"] and "/me" in spec["paths"]
    op = spec["paths"]["/companies"]["post"]
    assert op["x-talentscout"] == {"scope": "write:companies", "tenant": "none", "polling": False}
    assert "400" in op["responses"] and "422" in op["responses"]
    assert api.call("GET", "/docs", None).status_code == 200


def test_me_shows_key_company_limits(api: Api) -> None:
    t = api.tenant(scopes=["sourcing:read"])
    data = api.call("GET", "/me", t.key).json()["data"]
    assert data["key"]["scopes"] == ["sourcing:read"]
    assert data["company"]["id"] == t.company_id
    assert data["rateLimits"]["perMinute"] == 60 and data["rateLimits"]["remainingMinute"] == 59
    assert data["billingMode"] == "prepaid" and data["livemode"] is True

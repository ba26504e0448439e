"""API keys and the check order of API.md §1 over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.foundation.test_errors import assert_envelope
from tests.harness import Api


def test_missing_malformed_unknown_keys_are_401(api: Api) -> None:
    for header in [None, "Basic abc", "Bearer sk_live_short", "Bearer sk_live_" + "A" * 32]:
        headers = {"Authorization": header} if header else {}
        r = api.call("GET", "/me", None, headers=headers)
        assert_envelope(r, 401, "INVALID_API_KEY")
        assert r.headers["www-authenticate"] == "Bearer"


def test_revoked_suspended_expired_keys_are_401_at_once(api: Api) -> None:
    t = api.tenant()
    assert api.call("GET", "/me", t.key).status_code == 200
    assert api.admin("POST", f"/admin/api-keys/{t.key_id}/suspend").status_code == 200
    assert_envelope(api.call("GET", "/me", t.key), 401, "INVALID_API_KEY")
    assert api.admin("POST", f"/admin/api-keys/{t.key_id}/unsuspend").status_code == 200
    assert api.call("GET", "/me", t.key).status_code == 200
    assert api.admin("POST", f"/admin/api-keys/{t.key_id}/revoke").status_code == 200
    assert_envelope(api.call("GET", "/me", t.key), 401, "INVALID_API_KEY")
    # revocation is final
    assert api.admin("POST", f"/admin/api-keys/{t.key_id}/unsuspend").status_code == 400

    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    key, _ = api.create_key(t.company_id, expiresAt=soon)
    import time

    time.sleep(1.2)
    assert_envelope(api.call("GET", "/me", key), 401, "INVALID_API_KEY")


def test_ip_allowlist(api: Api) -> None:
    cid = api.create_company()
    blocked, _ = api.create_key(cid, allowedIps=["10.0.0.0/8", "2001:db8::/32"])
    allowed, _ = api.create_key(cid, allowedIps=["127.0.0.0/24"])
    assert_envelope(api.call("GET", "/me", blocked), 403, "IP_NOT_ALLOWED")
    assert api.call("GET", "/me", allowed).status_code == 200


def test_missing_scope_is_403_with_required_scope(api: Api) -> None:
    t = api.tenant(scopes=["read:billing"])
    body = assert_envelope(api.call("GET", "/companies", t.key), 403, "INSUFFICIENT_SCOPE")
    assert body["error"]["details"] == {"requiredScope": "read:companies"}


def test_check_order_first_failing_check_decides(api: Api) -> None:
    cid = api.create_company()
    # suspended AND outside the allowlist AND lacking scope → status check comes first (401)
    key, key_id = api.create_key(cid, scopes=["read:billing"], allowedIps=["10.0.0.0/8"])
    api.admin("POST", f"/admin/api-keys/{key_id}/suspend")
    assert_envelope(api.call("GET", "/companies", key), 401, "INVALID_API_KEY")
    # outside the allowlist AND lacking scope → IP check first
    key, _ = api.create_key(cid, scopes=["read:billing"], allowedIps=["10.0.0.0/8"])
    assert_envelope(api.call("GET", "/companies", key), 403, "IP_NOT_ALLOWED")
    # lacking scope AND a foreign companyId AND a malformed body → scope first
    other = api.create_company("Other Co")
    key, _ = api.create_key(cid, scopes=["read:billing"])
    r = api.call("POST", f"/companies?companyId={other}", key, content=b"{bad")
    assert_envelope(r, 403, "INSUFFICIENT_SCOPE")
    # auth is checked before the body is even parsed
    assert_envelope(api.call("POST", "/companies", None, content=b"{bad"), 401, "INVALID_API_KEY")
    # tenant resolution before rate limiting: a foreign companyId is 403 even when the key is exhausted
    key, _ = api.create_key(cid, rateLimitPerMinute=1)
    assert api.call("GET", "/me", key).status_code == 200
    assert api.call("GET", "/me", key).status_code == 429
    assert_envelope(api.call("GET", f"/me?companyId={other}", key), 403, "COMPANY_ACCESS_DENIED")


def test_raw_key_never_stored(api: Api, sqlite_url: str) -> None:
    t = api.tenant()
    api.call("GET", "/me", t.key)
    db_file = Path(sqlite_url.split("///", 1)[1])
    blobs = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
    assert t.key.encode() not in blobs
    assert t.key[12:].encode() not in blobs  # not even the secret part
    listing = api.admin("GET", f"/admin/api-keys?companyId={t.company_id}").text
    assert t.key not in listing and t.key[:12] in listing


def test_admin_api_requires_admin_token(api: Api) -> None:
    t = api.tenant()
    assert_envelope(api.call("GET", "/admin/companies", t.key), 401, "INVALID_API_KEY")
    assert_envelope(api.call("GET", "/admin/companies", None), 401, "INVALID_API_KEY")
    assert api.admin("GET", "/admin/companies").status_code == 200


def test_admin_api_off_without_token(sqlite_url: str) -> None:
    import httpx

    from talentscout.app import create_app
    from tests.conftest import make_settings
    from tests.harness import running

    with running(create_app(make_settings(sqlite_url, admin_token=None))) as base:
        r = httpx.get(base + "/admin/companies", headers={"Authorization": "Bearer anything"})
    assert_envelope(r, 404, "RESOURCE_NOT_FOUND")


def test_key_format_and_test_mode(api: Api) -> None:
    cid = api.create_company()
    live, _ = api.create_key(cid)
    test, _ = api.create_key(cid, mode="test")
    assert live.startswith("sk_live_") and len(live) == 40
    assert test.startswith("sk_test_")
    assert api.call("GET", "/me", live).json()["data"]["livemode"] is True
    assert api.call("GET", "/me", test).json()["data"]["livemode"] is False


def test_admin_key_validation(api: Api) -> None:
    cid = api.create_company()
    r = api.admin("POST", "/admin/api-keys", json={"companyId": cid, "name": "k", "scopes": ["nope"]})
    assert_envelope(r, 400, "VALIDATION_ERROR")
    r = api.admin("POST", "/admin/api-keys", json={"companyId": cid, "name": "k", "scopes": [], "allowedIps": ["300.1.1.1"]})
    assert_envelope(r, 400, "VALIDATION_ERROR")
    r = api.admin("POST", "/admin/api-keys", json={"companyId": "8d1f7b6e-0000-4000-8000-000000000000", "name": "k", "scopes": []})
    assert_envelope(r, 404, "RESOURCE_NOT_FOUND")

from tests.harness import Api


def test_me_roundtrip(api: Api) -> None:
    t = api.tenant()
    r = api.call("GET", "/me", t.key)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["data"]["company"]["id"] == t.company_id
    assert r.headers["x-ratelimit-limit-minute"] == "60"
    assert "x-request-id" in r.headers

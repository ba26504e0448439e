"""`POST /sourcing/render-html` over real HTTP (API.md §7): shape, tenancy, validation, scope,
hooks for scores and verified emails, and no charge."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from talentscout.render import router as render_router
from talentscout.render.cards import CardScore, VerifiedEmail
from talentscout.render.sanitize import clean_text
from talentscout.render.themes import THEMES
from tests.foundation.test_errors import assert_envelope
from tests.harness import Api
from tests.render.conftest import Seed
from tests.render.corpus import XSS_CORPUS, hostile_profile, new_profile_id, realistic_profile
from tests.render.htmlcheck import parse
from tests.render.test_card_safety import assert_safe_card, expected_fields

PATH = "/sourcing/render-html"


# One server for the module (see conftest.render_server); these override the per-test fixtures.
@pytest.fixture
def api(render_server: tuple[Api, Seed]) -> Api:
    return render_server[0]


@pytest.fixture
def seed(render_server: tuple[Api, Seed]) -> Seed:
    return render_server[1]


def _render(api: Api, key: str, ids: list[str], path: str = PATH, **extra: Any) -> Any:
    return api.call("POST", path, key, json={"profileIds": ids, **extra})


def test_renders_global_and_own_private_profiles(api: Api, seed: Seed) -> None:
    t = api.tenant("Acme")
    (glob,) = seed([realistic_profile(new_profile_id())])
    (own,) = seed([realistic_profile(new_profile_id())], company_id=t.company_id)
    r = _render(api, t.key, [glob, own])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"success", "renderedCount", "data"}
    assert body["success"] is True and body["renderedCount"] == 2
    assert [d["profileId"] for d in body["data"]] == [glob, own]
    for item in body["data"]:
        assert set(item) == {"profileId", "success", "name", "htmlContent"}
        assert item["success"] is True and item["name"] == "Ada Example"
        html = item["htmlContent"]
        assert html.startswith("<table") and html.endswith("</table>")
        assert 'data-card-theme="dark"' in html and "background-color:#0f172a" in html  # default theme
        assert parse(html).fields("name") == ["Ada Example"]


def test_foreign_and_unknown_profiles_answer_identically(api: Api, seed: Seed) -> None:
    a, b = api.tenant("A Corp"), api.tenant("B Corp")
    (foreign,) = seed([realistic_profile(new_profile_id())], company_id=b.company_id)
    unknown = new_profile_id()
    r = _render(api, a.key, [foreign, unknown, "not-even-an-id"])
    assert r.status_code == 200
    body = r.json()
    assert body["renderedCount"] == 0
    assert body["data"] == [
        {"profileId": pid, "success": False, "errorCode": "PROFILE_NOT_FOUND"}
        for pid in (foreign, unknown, "not-even-an-id")
    ]
    # One at a time: same status, same body but for the id, same header names.
    r1, r2 = _render(api, a.key, [foreign]), _render(api, a.key, [unknown])
    assert r1.status_code == r2.status_code == 200
    assert r1.text.replace(foreign, "ID") == r2.text.replace(unknown, "ID")
    assert sorted(r1.headers.keys()) == sorted(r2.headers.keys())
    # The owner does see it.
    assert _render(api, b.key, [foreign]).json()["renderedCount"] == 1


def test_mixed_found_and_missing_keep_request_order(api: Api, seed: Seed) -> None:
    t = api.tenant()
    ids = seed([realistic_profile(new_profile_id()) for _ in range(3)])
    missing = new_profile_id()
    order = [ids[2], missing, ids[0], ids[0], ids[1]]
    body = _render(api, t.key, order).json()
    assert [d["profileId"] for d in body["data"]] == order
    assert [d["success"] for d in body["data"]] == [True, False, True, True, True]
    assert body["renderedCount"] == 4


def test_theme_light_and_dark(api: Api, seed: Seed) -> None:
    t = api.tenant()
    (pid,) = seed([realistic_profile(new_profile_id())])
    light = _render(api, t.key, [pid], theme="light").json()["data"][0]["htmlContent"]
    dark = _render(api, t.key, [pid], theme="dark").json()["data"][0]["htmlContent"]
    assert 'data-card-theme="light"' in light and "background-color:#ffffff" in light
    assert 'data-card-theme="dark"' in dark and "background-color:#0f172a" in dark


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"profileIds": []}, "profileIds"),
        ({"profileIds": [f"prof_{i}" for i in range(11)]}, "profileIds"),
        ({}, "profileIds"),
        ({"profileIds": ["prof_a"], "theme": "blue"}, "theme"),
        ({"profileIds": ["prof_a"], "theme": "Dark"}, "theme"),
        ({"profileIds": [123]}, "profileIds.0"),
        ({"profileIds": [""]}, "profileIds.0"),
        ({"profileIds": ["p" * 65]}, "profileIds.0"),
        (b'{"profileIds": ["prof_\\ud800"]}', "profileIds.0"),  # a lone surrogate (JSON escape)
        ({"profileIds": ["prof a"]}, "profileIds.0"),
        ({"profileIds": "prof_a"}, "profileIds"),
        ({"profileIds": ["prof_a"], "webhookId": "x"}, "webhookId"),
    ],
)
def test_validation_errors_are_400(api: Api, body: dict[str, Any] | bytes, field: str) -> None:
    t = api.tenant()
    if isinstance(body, bytes):
        r = api.call("POST", PATH, t.key, content=body, headers={"content-type": "application/json"})
    else:
        r = api.call("POST", PATH, t.key, json=body)
    data = assert_envelope(r, 400, "VALIDATION_ERROR")
    assert field in [f["field"] for f in data["error"]["details"]["fields"]]


def test_malformed_json_is_400(api: Api, seed: Seed) -> None:
    t = api.tenant()
    r = api.call("POST", PATH, t.key, content=b"{nope", headers={"content-type": "application/json"})
    assert_envelope(r, 400, "VALIDATION_ERROR")


def test_ten_profiles_is_the_limit(api: Api, seed: Seed) -> None:
    t = api.tenant()
    ids = seed([realistic_profile(new_profile_id()) for _ in range(10)])
    body = _render(api, t.key, ids).json()
    assert body["renderedCount"] == 10 and len(body["data"]) == 10


def test_scope_and_auth(api: Api, seed: Seed) -> None:
    t = api.tenant(scopes=["sourcing:read", "sourcing:write"])
    data = assert_envelope(_render(api, t.key, ["prof_a"]), 403, "INSUFFICIENT_SCOPE")
    assert data["error"]["details"] == {"requiredScope": "enrich:write"}
    assert_envelope(_render(api, "sk_live_" + "A" * 32, ["prof_a"]), 401, "INVALID_API_KEY")
    assert_envelope(api.call("POST", PATH, None, json={"profileIds": ["prof_a"]}), 401, "INVALID_API_KEY")
    spec = api.http.get("/openapi.json").json()["paths"][PATH]["post"]
    assert spec["x-talentscout"]["scope"] == "enrich:write"


def test_v1_alias(api: Api, seed: Seed) -> None:
    t = api.tenant()
    (pid,) = seed([realistic_profile(new_profile_id())])
    assert _render(api, t.key, [pid], path="/v1" + PATH).json()["renderedCount"] == 1


def test_ats_key_renders_for_a_managed_company(api: Api, seed: Seed) -> None:
    parent = api.create_company("ATS Inc")
    ats_key, _ = api.create_key(parent, kind="ats")
    r = api.call("POST", "/companies", ats_key, json={"name": "Client Co"})
    assert r.status_code == 201, r.text
    child = r.json()["data"]["id"]
    (pid,) = seed([realistic_profile(new_profile_id())], company_id=child)
    assert _render(api, ats_key, [pid], path=f"{PATH}?companyId={child}").json()["renderedCount"] == 1
    # The parent itself cannot see the child's private profile.
    assert _render(api, ats_key, [pid], path=f"{PATH}?companyId={parent}").json()["renderedCount"] == 0
    assert_envelope(_render(api, ats_key, [pid]), 400, "VALIDATION_ERROR")
    other = api.create_company("Stranger")
    assert_envelope(
        _render(api, ats_key, [pid], path=f"{PATH}?companyId={other}"), 403, "COMPANY_ACCESS_DENIED"
    )


def test_render_is_free(api: Api, seed: Seed) -> None:
    t = api.tenant()
    assert (
        api.admin(
            "POST", "/admin/credits", json={"companyId": t.company_id, "amount": 5, "reason": "t"}
        ).status_code
        == 201
    )
    (pid,) = seed([realistic_profile(new_profile_id())])
    before = api.call("GET", "/billing/balance", t.key).json()["data"]
    for _ in range(3):
        assert _render(api, t.key, [pid]).status_code == 200
    assert api.call("GET", "/billing/balance", t.key).json()["data"] == before


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, uuid.UUID, list[str]]]]:
    calls: list[tuple[str, uuid.UUID, list[str]]] = []

    async def scores(session: Any, company_id: uuid.UUID, ids: Sequence[str]) -> dict[str, CardScore]:
        calls.append(("score", company_id, list(ids)))
        return {pid: CardScore(91, "Strong Python background.", ("8 years of Python",)) for pid in ids}

    async def emails(
        session: Any, company_id: uuid.UUID, ids: Sequence[str]
    ) -> dict[str, list[VerifiedEmail]]:
        calls.append(("email", company_id, list(ids)))
        return {pid: [VerifiedEmail("ada@examplepay.com", "valid")] for pid in ids}

    monkeypatch.setattr(render_router, "SCORE_LOOKUP", scores)
    monkeypatch.setattr(render_router, "EMAIL_LOOKUP", emails)
    yield calls


def test_score_and_email_hooks(api: Api, seed: Seed, lookups: list[tuple[str, uuid.UUID, list[str]]]) -> None:
    a, b = api.tenant("A Corp"), api.tenant("B Corp")
    (pid,) = seed([realistic_profile(new_profile_id())])
    (foreign,) = seed([realistic_profile(new_profile_id())], company_id=b.company_id)
    body = _render(api, a.key, [pid, foreign, new_profile_id()]).json()
    html = body["data"][0]["htmlContent"]
    p = parse(html)
    assert p.fields("score") == ["91"]
    assert p.fields("rationale") == ["Strong Python background."]
    assert p.fields("fit_point") == ["8 years of Python"]
    assert p.fields("email") == ["ada@examplepay.com"]
    # Hooks are asked about visible profiles only, for the calling company.
    assert lookups == [("score", uuid.UUID(a.company_id), [pid]), ("email", uuid.UUID(a.company_id), [pid])]


# No lone surrogate here: the importer's JSON (orjson) cannot store one, so it never reaches
# this path from the database; render_card's own handling is covered by the property tests.
@pytest.mark.parametrize("value", (*XSS_CORPUS[:12], "{{7*7}}", "\x00", "\u202eevil", "مرحبا 👩🏽‍💻 e\u0301"))
def test_hostile_profiles_over_http_are_safe(api: Api, seed: Seed, lookups: Any, value: str) -> None:
    """Item 24 end to end: stored in the database, served as JSON, still inert and exact."""
    t = api.tenant()
    doc, _, _ = hostile_profile(value, new_profile_id())
    (pid,) = seed([doc])
    for theme in THEMES:
        item = _render(api, t.key, [pid], theme=theme).json()["data"][0]
        assert item["success"] is True
        assert item["name"] == clean_text(value)  # JSON-safe: the sanitised name
        expected = expected_fields(value)
        expected.update(
            score=["91"], rationale=["Strong Python background."], fit_point=["8 years of Python"]
        )
        expected["email"] = ["ada@examplepay.com"]
        assert_safe_card(item["htmlContent"], theme, expected)

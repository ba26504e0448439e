"""Each external adapter against a loopback fake speaking its wire format: the request it
sends (path, auth header, query), how it maps the answer, and what garbage does to it."""

from __future__ import annotations

from typing import Any

import pytest

from talentscout.providers.search.base import ProviderError, external_profile_id
from talentscout.providers.search.github import GitHubProvider, build_query
from talentscout.providers.search.pdl import PdlProvider, icp_to_query
from talentscout.providers.search.remote import RemoteProvider, RemoteResult
from tests.providers.conftest import make_caller, make_icp, pdl_person, remote_answer
from tests.providers.fakes import FakeServer, Reply

XSS = '<script>alert("XSS")</script><img src=x onerror=alert(1)>'


async def search(provider: Any, **kw: Any) -> list[Any]:
    icp = kw.pop("icp", None) or make_icp()
    return list(await provider.search(icp, company_id=None, exclude_ids=(), limit=kw.pop("limit", 50)))


# --- remote ----------------------------------------------------------------------------


async def test_remote_sends_icp_with_bearer_and_maps_profiles(fake: FakeServer) -> None:
    fake.script({"/index/search": [Reply(200, json=remote_answer(3))]})
    provider = RemoteProvider(fake.url, "peer-secret", make_caller("remote"), max_results=2)
    hits = await search(provider, limit=50)
    (req,) = fake.requests
    assert req.method == "POST" and req.path == "/index/search"
    assert req.headers["authorization"] == "Bearer peer-secret"
    body = req.json()
    assert body["limit"] == 2 and body["icp"]["mustHaveSkills"][0]["id"] == "python"
    assert len(hits) == 2
    doc = hits[0].doc
    assert doc is not None and doc.name == "Remote Person 0"
    # namespaced ids: never the peer's own id, stable across calls
    assert hits[0].profile_id == external_profile_id("remote", "prof_remote0") != "prof_remote0"
    assert doc.emails == ()  # emails are revealed by enrichment only
    assert doc.place.country_code == "DE" and doc.current is not None
    assert [h.score for h in hits] == [3.0, 2.0]


async def test_remote_skips_invalid_profiles_and_keeps_html_as_text(fake: FakeServer) -> None:
    answer = remote_answer(3, name=XSS)
    answer["results"][1]["profile"] = {"id": "x", "basics": {"name": 42}}  # wrong type
    answer["results"][2]["profile"]["work"] = [{"startDate": "2020-01", "endDate": "2001-01"}]
    fake.script({"/": [Reply(200, json=answer)]})
    hits = await search(RemoteProvider(fake.url, "t", make_caller("remote")))
    assert len(hits) == 1
    assert hits[0].doc is not None and hits[0].doc.name == XSS  # verbatim text, not markup


@pytest.mark.parametrize(
    "payload",
    [
        {"results": "nope"},
        {"results": [{"profileId": 5, "profile": {}}]},
        [1, 2, 3],
        {"count": 1},
    ],
    ids=["results-not-list", "bad-result", "not-an-object", "missing-results"],
)
async def test_remote_wrong_shapes_are_invalid_answers(fake: FakeServer, payload: Any) -> None:
    fake.script({"/": [Reply(200, json=payload)]})
    with pytest.raises(ProviderError) as err:
        await search(RemoteProvider(fake.url, "t", make_caller("remote")))
    assert "invalid response" in err.value.reason
    assert len(fake.requests) == 1


async def test_remote_nan_in_json_is_an_invalid_answer(fake: FakeServer) -> None:
    body = b'{"results": [{"profileId": "a", "score": NaN, "profile": {"id": "a", "basics": {"name": "A"}}}]}'
    fake.script({"/": [Reply(200, body=body)]})
    with pytest.raises(ProviderError):  # orjson refuses NaN: never a poisoned score
        await search(RemoteProvider(fake.url, "t", make_caller("remote")))


def test_remote_non_finite_scores_are_neutralised() -> None:
    assert RemoteResult(profileId="a", score=float("inf"), profile={}).score == 0.0


# --- PDL -------------------------------------------------------------------------------


def test_pdl_query_maps_the_icp_to_a_bool_query() -> None:
    q = icp_to_query(make_icp(hard_skill=True))["bool"]
    titles = [c["match"]["job_title"] for c in q["should"] if "match" in c and "job_title" in c["match"]]
    assert "senior backend engineer" in titles and "software engineer" in titles
    assert {"term": {"skills": "python"}} in q["must"]  # explicit (hard) skill filters
    assert {"term": {"skills": "postgresql"}} in q["should"]  # soft skill ranks
    assert {"match": {"location_locality": "berlin"}} in q["should"]
    assert {"term": {"location_country": "germany"}} in q["should"]
    soft = icp_to_query(make_icp(city=None))["bool"]
    assert "must" not in soft  # nothing derived from a description ever filters


async def test_pdl_sends_key_and_dsl_and_maps_people(fake: FakeServer) -> None:
    people = [pdl_person(0), pdl_person(1, full_name=XSS), {"id": "no-name"}, "garbage", pdl_person(3)]
    fake.script({"/v5/person/search": [Reply(200, json={"status": 200, "total": 5, "data": people})]})
    provider = PdlProvider(fake.url + "/v5/person/search", "pdl-key", make_caller("pdl"))
    hits = await search(provider, limit=10)
    (req,) = fake.requests
    assert req.headers["x-api-key"] == "pdl-key"
    body = req.json()
    assert body["size"] == 10 and "bool" in body["query"]
    names = [h.doc.name for h in hits if h.doc]
    assert names == ["Pdl Person 0", XSS, "Pdl Person 3"]
    doc = hits[0].doc
    assert doc is not None
    assert doc.current is not None and doc.current.title == "senior software engineer"
    assert doc.current.company == "examplepay" and len(doc.positions) == 2
    assert {s.id for s in doc.skills} >= {"python", "postgresql"}
    assert doc.place.city == "Berlin" and doc.place.country_code == "DE"
    assert doc.linkedin_url == "https://linkedin.com/in/pdl-person-0"
    assert doc.emails == ()
    assert hits[0].score > hits[1].score > hits[2].score  # rank order becomes the score


async def test_pdl_oversized_and_mistyped_fields_do_not_drop_the_person(fake: FakeServer) -> None:
    person = pdl_person(
        0,
        job_title="x" * 5000,
        skills=["python", 7, None, {"a": 1}],
        experience=[{"company": "not an object", "title": None, "start_date": "yesterday"}],
        education="nope",
    )
    fake.script({"/": [Reply(200, json={"data": [person]})]})
    hits = await search(PdlProvider(fake.url, "k", make_caller("pdl")))
    assert len(hits) == 1 and hits[0].doc is not None


async def test_pdl_429_is_retried_then_fails(fake: FakeServer) -> None:
    fake.script({"/": [Reply(429, json={"error": {"type": "rate_limit"}}, headers={"retry-after": "0"})]})
    with pytest.raises(ProviderError):
        await search(PdlProvider(fake.url, "k", make_caller("pdl")))
    assert len(fake.requests) == 3


# --- GitHub ----------------------------------------------------------------------------


def gh_routes(users: dict[str, Any], items: list[dict[str, Any]] | None = None) -> dict[str, list[Reply]]:
    items = (
        items if items is not None else [{"login": k, "id": i, "type": "User"} for i, k in enumerate(users)]
    )
    routes = {"/search/users": [Reply(200, json={"total_count": len(items), "items": items})]}
    for login, user in users.items():
        routes[f"/users/{login}"] = [user if isinstance(user, Reply) else Reply(200, json=user)]
    return routes


def gh_user(login: str, **fields: Any) -> dict[str, Any]:
    return {
        "login": login,
        "id": 1,
        "name": f"{login.title()} Example",
        "company": "@examplepay",
        "blog": "octo.dev",
        "location": "Berlin, Germany",
        "email": "leak@example.com",
        "bio": "Backend engineer. Python, Postgres.",
        "html_url": f"https://github.com/{login}",
        **fields,
    }


def test_github_query_uses_location_and_language_qualifiers() -> None:
    q, language, place = build_query(make_icp())
    assert q == "type:user location:Berlin language:python"
    assert (language, place) == ("python", "Berlin")
    icp = make_icp(city=None)
    icp.mustHaveSkills = []
    assert build_query(icp) == (None, None, None)


async def test_github_search_then_user_fetch(fake: FakeServer) -> None:
    fake.script(gh_routes({"octo": gh_user("octo"), "hubot": gh_user("hubot", name=XSS, bio=None)}))
    provider = GitHubProvider(fake.url, "gh-token", make_caller("github"), max_users=5)
    hits = await search(provider)
    search_req = fake.calls("/search/users")[0]
    assert search_req.headers["authorization"] == "Bearer gh-token"
    assert search_req.headers["x-github-api-version"] == "2022-11-28"
    assert search_req.query["q"] == ["type:user location:Berlin language:python"]
    assert search_req.query["per_page"] == ["5"]
    assert sorted(r.path for r in fake.calls("/users/")) == ["/users/hubot", "/users/octo"]
    docs = [h.doc for h in hits]
    assert [d.name for d in docs if d] == ["Octo Example", XSS]
    octo = docs[0]
    assert octo is not None
    assert octo.current is not None and octo.current.company == "examplepay"
    assert octo.place.city == "Berlin" and octo.place.country_code == "DE"
    assert any(lk.network == "github" and lk.username == "octo" for lk in octo.links)
    assert [s.id for s in octo.skills] == ["python"]
    assert octo.emails == ()  # GitHub's terms: never used for recruiting mail


async def test_github_bad_logins_are_never_fetched_and_failed_fetches_keep_the_hit(fake: FakeServer) -> None:
    items = [
        {"login": "../admin", "id": 1},
        {"login": "good", "id": 2, "type": "User"},
        {"login": "org", "id": 3, "type": "Organization"},
        {"login": "broken", "id": 4},
    ]
    fake.script(gh_routes({"good": gh_user("good"), "broken": Reply(404)}, items))
    hits = await search(GitHubProvider(fake.url, "t", make_caller("github")))
    assert sorted(r.path for r in fake.calls("/users/")) == ["/users/broken", "/users/good"]
    assert [h.doc.name for h in hits if h.doc] == ["Good Example", "broken"]


async def test_github_without_qualifiers_makes_no_call(fake: FakeServer) -> None:
    icp = make_icp(city=None)
    icp.mustHaveSkills = []
    assert await search(GitHubProvider(fake.url, "t", make_caller("github")), icp=icp) == []
    assert fake.requests == []


async def test_github_search_failure_fails_the_provider(fake: FakeServer) -> None:
    fake.script({"/search/users": [Reply(503)]})
    with pytest.raises(ProviderError):
        await search(GitHubProvider(fake.url, "t", make_caller("github")))
    assert len(fake.requests) == 3

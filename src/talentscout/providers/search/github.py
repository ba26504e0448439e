"""`github`: GitHub user search (REST) plus one profile fetch per hit.

Wire format (GitHub REST, API version 2022-11-28):

    GET {base}/search/users?q=type:user+location:"Berlin"+language:python&per_page=20
    Authorization: Bearer <token>
    200 {"total_count": 42, "incomplete_results": false,
         "items": [{"login": "octo", "id": 1, "type": "User", "score": 1.0, "html_url": "…"}, …]}

    GET {base}/users/{login}
    200 {"login": "octo", "id": 1, "name": "…", "company": "@acme", "blog": "…",
         "location": "Berlin", "bio": "…", "html_url": "…", "twitter_username": "…"}

The ICP gives the qualifiers: `location:` from its first place, `language:` from
its strongest programming-language skill. Without either there is nothing
GitHub can meaningfully search, and the answer is empty. A user fetch that
fails (after its own retries, or because the breaker opened) leaves a minimal
profile from the search hit instead of failing the whole answer; logins are
checked against GitHub's login grammar before they go into a URL path.
Emails are never taken (GitHub's terms forbid using them for recruiting mail).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from talentscout.engine.icp import ICP
from talentscout.index.schema import MAX_NAME, MAX_SHORT, MAX_TEXT, MAX_URL
from talentscout.lexicons.gazetteer import load_gazetteer
from talentscout.providers.search.base import ProviderError, ProviderHit
from talentscout.providers.search.calls import ResilientCaller
from talentscout.providers.search.profiles import external_hits

__all__ = ["GitHubProvider", "build_query"]

_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
# GitHub's linguist names for languages recruiters search by (canonical skill id → qualifier).
LANGUAGES = {
    "python": "python",
    "javascript": "javascript",
    "typescript": "typescript",
    "go": "go",
    "golang": "go",
    "rust": "rust",
    "java": "java",
    "kotlin": "kotlin",
    "scala": "scala",
    "swift": "swift",
    "objective-c": "objective-c",
    "c": "c",
    "c++": "c++",
    "cpp": "c++",
    "c#": "c#",
    "csharp": "c#",
    "ruby": "ruby",
    "php": "php",
    "elixir": "elixir",
    "erlang": "erlang",
    "haskell": "haskell",
    "clojure": "clojure",
    "ocaml": "ocaml",
    "f#": "f#",
    "r": "r",
    "julia": "julia",
    "dart": "dart",
    "lua": "lua",
    "perl": "perl",
    "shell": "shell",
    "bash": "shell",
    "zig": "zig",
    "solidity": "solidity",
}


class GitHubUserItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    login: str = Field(max_length=100)
    id: int | None = None
    type: str | None = None
    html_url: str | None = Field(default=None, max_length=MAX_URL)


class GitHubSearchResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    total_count: int | None = None
    items: list[GitHubUserItem] = Field(default_factory=list, max_length=1000)


class GitHubUser(BaseModel):
    """The fields of `/users/{login}` we use; wrong types fail validation (→ minimal profile)."""

    model_config = ConfigDict(extra="ignore")

    login: str = Field(max_length=100)
    id: int | None = None
    name: str | None = Field(default=None, max_length=10_000)
    company: str | None = Field(default=None, max_length=10_000)
    blog: str | None = Field(default=None, max_length=10_000)
    location: str | None = Field(default=None, max_length=10_000)
    bio: str | None = Field(default=None, max_length=MAX_TEXT)
    html_url: str | None = Field(default=None, max_length=MAX_URL)
    twitter_username: str | None = Field(default=None, max_length=100)


def _quote(value: str) -> str:
    text = re.sub(r'["\\]', " ", value).strip()
    return f'"{text}"' if " " in text else text


def _language(icp: ICP) -> str | None:
    for skill in sorted(icp.mustHaveSkills, key=lambda s: -s.weight) + icp.niceToHaveSkills:
        for key in (skill.id, skill.label.lower()):
            if key and key.lower() in LANGUAGES:
                return LANGUAGES[key.lower()]
    return None


def _place(icp: ICP) -> str | None:
    for loc in icp.locations:
        if loc.kind == "city" and loc.name:
            return loc.name
        code = loc.countryCode or (loc.countries[0] if loc.countries else None)
        if code:
            country = load_gazetteer().country(code)
            if country is not None:
                return country.name
        if loc.name:
            return loc.name
    return None


def build_query(icp: ICP) -> tuple[str | None, str | None, str | None]:
    """(`q`, the language searched, the place searched); `q` is None when there is nothing to search."""
    language, place = _language(icp), _place(icp)
    if language is None and place is None:
        return None, None, None
    parts = ["type:user"]
    if place:
        parts.append(f"location:{_quote(place)}")
    if language:
        parts.append(f"language:{_quote(language)}")
    return " ".join(parts), language, place


def _cut(value: str | None, cap: int = MAX_SHORT) -> str | None:
    text = (value or "").strip()
    return text[:cap] if text else None


def user_to_import(item: GitHubUserItem, user: GitHubUser | None, language: str | None) -> dict[str, Any]:
    """A search hit (and its user record, when fetched) → an import-format profile."""
    login = item.login
    html_url = (
        _cut((user.html_url if user else None) or item.html_url, MAX_URL) or f"https://github.com/{login}"
    )
    basics: dict[str, Any] = {
        "name": _cut(user.name if user else None, MAX_NAME) or login,
        "profiles": [{"network": "GitHub", "username": login, "url": html_url}],
    }
    if user is not None:
        bio = _cut(user.bio, MAX_TEXT)
        if bio:
            basics["summary"] = bio
            basics["label"] = bio.splitlines()[0][:MAX_SHORT]
        if _cut(user.location):
            basics["location"] = {"city": _cut(user.location)}
        blog = _cut(user.blog, MAX_URL - 8)
        if blog:
            basics["url"] = blog if "://" in blog else "https://" + blog
        if user.twitter_username and _LOGIN.match(user.twitter_username.replace("_", "a")):
            basics["profiles"].append(
                {
                    "network": "Twitter",
                    "username": user.twitter_username,
                    "url": f"https://x.com/{user.twitter_username}",
                }
            )
    out: dict[str, Any] = {"id": str(item.id) if item.id is not None else login, "basics": basics}
    company = _cut(user.company.lstrip("@") if user and user.company else None)
    if company:
        out["work"] = [{"name": company}]
    if language:
        # GitHub matched the user on repositories in this language: evidence of the skill.
        out["skills"] = [{"name": language}]
    return out


class GitHubProvider:
    """GitHub user search."""

    name = "github"

    def __init__(
        self,
        base_url: str,
        token: str,
        caller: ResilientCaller,
        *,
        max_users: int = 20,
        fetch_concurrency: int = 4,
    ) -> None:
        self.base = base_url.rstrip("/")
        self._token = token
        self.caller = caller
        self.max_users = max(1, min(max_users, 100))
        self.fetch_concurrency = max(1, fetch_concurrency)

    def _headers(self) -> Mapping[str, str]:
        return {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    async def search(
        self, icp: ICP, *, company_id: str | None, exclude_ids: Sequence[str], limit: int
    ) -> list[ProviderHit]:
        q, language, _ = build_query(icp)
        if q is None:
            return []
        per_page = max(1, min(limit, self.max_users))
        async with self.caller.client() as client:
            found = await self.caller.call(
                client,
                "GET",
                f"{self.base}/search/users",
                GitHubSearchResponse.model_validate,
                headers=self._headers(),
                params={"q": q, "per_page": per_page},
            )
            items = [it for it in found.items if _LOGIN.match(it.login) and (it.type or "User") == "User"]
            items = items[:per_page]
            gate = asyncio.Semaphore(self.fetch_concurrency)

            async def fetch(item: GitHubUserItem) -> GitHubUser | None:
                async with gate:
                    try:
                        return await self.caller.call(
                            client,
                            "GET",
                            f"{self.base}/users/{item.login}",
                            GitHubUser.model_validate,
                            headers=self._headers(),
                        )
                    except ProviderError:
                        return None  # keep the hit with what the search said about it

            users = await asyncio.gather(*(fetch(it) for it in items))
        records = [
            (
                str(it.id) if it.id is not None else it.login,
                user_to_import(it, user, language),
                float(len(items) - rank),
            )
            for rank, (it, user) in enumerate(zip(items, users, strict=True))
        ]
        return await asyncio.to_thread(external_hits, self.name, records)

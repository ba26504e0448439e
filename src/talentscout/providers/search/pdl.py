"""`pdl`: a People Data Labs-style person search (Elasticsearch DSL over HTTP, `X-Api-Key`).

Wire format (PDL Person Search API v5):

    POST {url}                       e.g. https://api.peopledatalabs.com/v5/person/search
    X-Api-Key: <key>
    {"query": {"bool": {"must": […], "should": […], "must_not": […]}}, "size": 25}

    200 {"status": 200, "total": 1234, "data": [<person>, …]}

The ICP becomes a bool query. Soft criteria are SHOULD clauses (they rank, they
do not filter), exactly like the local index: target titles and synonyms as
`match` on `job_title`, skills as `term` on `skills`, places on
`location_locality` / `location_country`. Only explicit user input becomes MUST
(hard skills, a `location:` clause, a strict `years>=N`), and excluded companies
MUST_NOT on the current employer. PDL has no relevance score in its answer, so
the rank order becomes the score.

Person records are mapped defensively — a field with the wrong type (PDL
answers `true` for fields a plan may not see) is simply absent — and then
validated as the import format like every other external profile.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from talentscout.engine.icp import ICP
from talentscout.index.schema import MAX_HIGHLIGHT, MAX_NAME, MAX_SHORT, MAX_SKILLS, MAX_TEXT, MAX_URL
from talentscout.lexicons.gazetteer import load_gazetteer
from talentscout.providers.search.base import ProviderHit
from talentscout.providers.search.calls import ResilientCaller
from talentscout.providers.search.profiles import external_hits

__all__ = ["PdlProvider", "icp_to_query", "person_to_import"]

MAX_SIZE = 100  # PDL's page size limit
_DATE = re.compile(r"^\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?$")


class PdlSearchResponse(BaseModel):
    """The envelope; each person is mapped (and validated) one by one."""

    model_config = ConfigDict(extra="ignore")

    status: int | None = None
    total: int | None = None
    # Items stay untyped here: one malformed person is skipped, it does not void the page.
    data: list[Any] = Field(default_factory=list, max_length=1000)


def _s(value: Any, cap: int = MAX_SHORT) -> str | None:
    """A non-empty string (cut to the import schema's cap) or None for anything else."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text[:cap] if text else None


def _date(value: Any) -> str | None:
    text = _s(value, 10)
    return text if text and _DATE.match(text) else None


def _url(value: Any) -> str | None:
    text = _s(value, MAX_URL - 8)
    if not text:
        return None
    return text if "://" in text else "https://" + text


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def person_to_import(person: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """One PDL person → (PDL id, import-format profile); None without an id or a name."""
    pid = _s(person.get("id"), 200)
    name = _s(person.get("full_name"), MAX_NAME)
    if not pid or not name:
        return None
    basics: dict[str, Any] = {"name": name.title() if name.islower() else name}
    label = _s(person.get("headline")) or _s(person.get("job_title"))
    if label:
        basics["label"] = label
    summary = _s(person.get("summary"), MAX_TEXT)
    if summary:
        basics["summary"] = summary
    where = _s(person.get("location_name")) or ", ".join(
        x
        for x in (_s(person.get(k)) for k in ("location_locality", "location_region", "location_country"))
        if x
    )
    if where:
        basics["location"] = {"city": where[:MAX_SHORT]}
    socials = []
    for network, key in (("LinkedIn", "linkedin_url"), ("GitHub", "github_url"), ("Twitter", "twitter_url")):
        url = _url(person.get(key))
        if url:
            socials.append({"network": network, "url": url})
    if socials:
        basics["profiles"] = socials

    work = []
    for exp in _list(person.get("experience"))[:60]:
        exp = _dict(exp)
        company, title = _dict(exp.get("company")), _dict(exp.get("title"))
        start, end = _date(exp.get("start_date")), _date(exp.get("end_date"))
        if start and end and end < start:
            start = end = None  # unordered dates would reject the whole profile; keep the role
        entry = {
            "name": _s(company.get("name")),
            "url": _url(company.get("website")),
            "position": _s(title.get("name")),
            "startDate": start,
            "endDate": end,
            "summary": _s(exp.get("summary"), MAX_HIGHLIGHT),
        }
        if entry["name"] or entry["position"]:
            work.append({k: v for k, v in entry.items() if v})
    if not work and (_s(person.get("job_title")) or _s(person.get("job_company_name"))):
        work.append(
            {
                k: v
                for k, v in (
                    ("position", _s(person.get("job_title"))),
                    ("name", _s(person.get("job_company_name"))),
                    ("url", _url(person.get("job_company_website"))),
                    ("startDate", _date(person.get("job_start_date"))),
                )
                if v
            }
        )
    education = []
    for edu in _list(person.get("education"))[:30]:
        edu = _dict(edu)
        row = {
            "institution": _s(_dict(edu.get("school")).get("name")),
            "area": next((m for m in map(_s, _list(edu.get("majors"))) if m), None),
            "studyType": next((d for d in map(_s, _list(edu.get("degrees"))) if d), None),
            "endDate": _date(edu.get("end_date")),
        }
        if row["institution"] or row["area"]:
            education.append({k: v for k, v in row.items() if v})
    skills = [{"name": s} for s in dict.fromkeys(x for x in map(_s, _list(person.get("skills"))) if x)]
    out: dict[str, Any] = {"id": pid, "basics": basics}
    if work:
        out["work"] = work
    if education:
        out["education"] = education
    if skills:
        out["skills"] = skills[:MAX_SKILLS]
    return pid, out


def _country_name(code: str | None) -> str | None:
    if not code:
        return None
    place = load_gazetteer().country(code)
    return place.name.lower() if place is not None else None


def icp_to_query(icp: ICP) -> dict[str, Any]:
    """The ICP as an Elasticsearch bool query over PDL's person fields (see module docstring)."""
    must: list[dict[str, Any]] = []
    should: list[dict[str, Any]] = []
    must_not: list[dict[str, Any]] = []
    titles = [
        icp.title,
        *(t.value for t in icp.targetTitles),
        *(t.value for t in icp.titleSynonyms if t.kind == "synonym"),
    ]
    for title in list(dict.fromkeys(t.strip().lower() for t in titles if t and t.strip()))[:8]:
        should.append({"match": {"job_title": title}})
    for skill in icp.mustHaveSkills + icp.niceToHaveSkills:
        clause = {"term": {"skills": skill.label.strip().lower()}}
        (must if skill.hard else should).append(clause)
    places: list[dict[str, Any]] = []
    hard_place = False
    for loc in icp.locations:
        hard_place |= loc.hard
        if loc.kind == "city" and loc.name:
            places.append({"match": {"location_locality": loc.name.lower()}})
        for code in loc.countries or ([loc.countryCode] if loc.countryCode else []):
            country = _country_name(code)
            if country:
                places.append({"term": {"location_country": country}})
    if places and hard_place:
        must.append({"bool": {"should": places}})
    else:
        should.extend(places)
    years = icp.yearsExperience
    if years.hard and years.min is not None:
        must.append({"range": {"inferred_years_experience": {"gte": years.min}}})
    for company in icp.excludedCompanies:
        must_not.append({"match_phrase": {"job_company_name": company.value.lower()}})
    if not must and not should:
        must.append({"exists": {"field": "job_title"}})
    query: dict[str, Any] = {"must": must} if must else {}
    if should:
        query["should"] = should
    if must_not:
        query["must_not"] = must_not
    return {"bool": query}


class PdlProvider:
    """People Data Labs-style person search."""

    name = "pdl"

    def __init__(self, url: str, api_key: str, caller: ResilientCaller, *, max_results: int = 100) -> None:
        self.url = url
        self._api_key = api_key
        self.caller = caller
        self.max_results = max(1, min(max_results, MAX_SIZE))

    async def search(
        self, icp: ICP, *, company_id: str | None, exclude_ids: Sequence[str], limit: int
    ) -> list[ProviderHit]:
        size = max(1, min(limit, self.max_results))
        body = {"query": icp_to_query(icp), "size": size}
        async with self.caller.client() as client:
            answer = await self.caller.call(
                client,
                "POST",
                self.url,
                PdlSearchResponse.model_validate,
                headers={"X-Api-Key": self._api_key, "Accept": "application/json"},
                json=body,
            )
        people = answer.data[:size]
        records = []
        for rank, person in enumerate(people):
            mapped = person_to_import(person) if isinstance(person, Mapping) else None
            if mapped is not None:
                records.append((mapped[0], mapped[1], float(len(people) - rank)))
        return await asyncio.to_thread(external_hits, self.name, records)

"""Shared pieces for the provider tests: an ICP, scaled-down call policies, wire-format records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from talentscout.engine.icp import ICP, LocationCriterion, SkillCriterion, TitleCriterion
from talentscout.kit.breaker import BreakerConfig, CircuitBreaker
from talentscout.providers.search.calls import CallPolicy, ResilientCaller
from tests.providers.fakes import FakeServer

# Real durations scaled down: a 15 s deadline becomes 0.3 s, backoffs tens of milliseconds.
DEADLINE = 0.3
FAST = CallPolicy(
    attempt_timeout=DEADLINE,
    attempts=3,
    backoff_initial=0.01,
    backoff_max=0.05,
    backoff_jitter=0.01,
    max_response_bytes=2 * 1024 * 1024,
    max_concurrency=8,
)
# A breaker that never opens, for tests about retries alone.
NEVER_OPENS = BreakerConfig(min_calls=10_000)


def make_caller(name: str, *, breaker: BreakerConfig = NEVER_OPENS, **policy: Any) -> ResilientCaller:
    fields = {**FAST.__dict__, **policy}
    return ResilientCaller(name, CallPolicy(**fields), CircuitBreaker(f"test:{name}", breaker, export=False))


def make_icp(*, city: str | None = "Berlin", hard_skill: bool = False) -> ICP:
    return ICP(
        title="Senior Backend Engineer",
        targetTitles=[
            TitleCriterion(value="Software Engineer", weight=1.0, source="title", family="15-1252.00")
        ],
        mustHaveSkills=[
            SkillCriterion(
                value="Python", label="Python", id="python", weight=0.9, source="jd_required", hard=hard_skill
            ),
            SkillCriterion(
                value="PostgreSQL", label="PostgreSQL", id="postgresql", weight=0.8, source="jd_required"
            ),
        ],
        locations=(
            [
                LocationCriterion(
                    value=f"{city}, Germany",
                    weight=1.0,
                    source="location",
                    kind="city",
                    name=city,
                    countryCode="DE",
                )
            ]
            if city
            else []
        ),
    )


def import_profile(i: int, *, name: str | None = None, **basics: Any) -> dict[str, Any]:
    """A profile in the import format (ENGINE.md §1)."""
    return {
        "id": f"ext-{i}",
        "basics": {
            "name": name or f"Remote Person {i}",
            "label": "Senior Software Engineer",
            "email": f"person{i}@example.com",
            "location": {"city": "Berlin", "countryCode": "DE"},
            **basics,
        },
        "work": [{"name": "ExamplePay", "position": "Senior Software Engineer", "startDate": "2019-03"}],
        "skills": [{"name": "Python"}, {"name": "PostgreSQL"}],
    }


def remote_answer(n: int, **overrides: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "count": n,
        "results": [
            {"profileId": f"prof_remote{i}", "score": float(n - i), "profile": import_profile(i, **overrides)}
            for i in range(n)
        ],
    }


def pdl_person(i: int, **fields: Any) -> dict[str, Any]:
    """A People Data Labs-like person record."""
    return {
        "id": f"pdl-{i}",
        "full_name": f"pdl person {i}",
        "job_title": "senior software engineer",
        "job_company_name": "examplepay",
        "location_name": "berlin, berlin, germany",
        "linkedin_url": f"linkedin.com/in/pdl-person-{i}",
        "work_email": True,  # PDL answers `true` for fields the plan may not see
        "skills": ["python", "postgresql", "kubernetes"],
        "experience": [
            {
                "company": {"name": "examplepay", "website": "examplepay.com"},
                "title": {"name": "senior software engineer"},
                "start_date": "2019-03",
                "end_date": None,
                "is_primary": True,
            },
            {
                "company": {"name": "oldco"},
                "title": {"name": "software engineer"},
                "start_date": "2015-01",
                "end_date": "2019-02",
            },
        ],
        "education": [
            {"school": {"name": "tu berlin"}, "degrees": ["bachelors"], "majors": ["computer science"]}
        ],
        **fields,
    }


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server

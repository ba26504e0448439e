"""Explanations are grounded: every named skill, employer, title and number is in the profile or the ICP."""

from __future__ import annotations

import dataclasses

from talentscout.engine.explain import check_grounding
from talentscout.engine.lexicon import EngineLexicon
from talentscout.engine.run import EngineRequest, run_engine

from .conftest import TODAY, make_profile

JD = "Requirements:\n- 4+ years of experience\n- Python\n- PostgreSQL\n- Kubernetes\n\nNice to have:\n- Terraform\n"


def _run(lex: EngineLexicon) -> tuple:  # type: ignore[type-arg]
    pool = [
        make_profile(
            "a1",
            skills=("Python", "Postgres", "K8s"),
            titles=("Senior Backend Engineer", "Backend Developer"),
            company="Initech",
        ),
        make_profile(
            "a2",
            skills=("Python",),
            titles=("Data Analyst",),
            company="Hooli",
            city="Paris",
            cc="FR",
            lat=48.85,
            lon=2.35,
            years=2.0,
        ),
    ]
    req = EngineRequest(
        title="Senior Backend Engineer",
        job_description=JD,
        location="Berlin, Germany",
        query="must: Kubernetes",
        today=TODAY,
    )
    res = run_engine(req, pool, {}, lex)
    return res, {p.profile_id: p for p in pool}


def test_every_claim_is_grounded(lex: EngineLexicon) -> None:
    res, docs = _run(lex)
    labels = [s.label for s in res.icp.mustHaveSkills + res.icp.niceToHaveSkills]
    for c in res.candidates:
        doc = docs[c["profileId"]]
        employers = [p.company for p in doc.positions if p.company]
        titles = [p.title for p in doc.positions]
        for text in [c["rationale"], *c["aiFitPoints"], *c["aiRedFlags"]]:
            named = [x for x in labels + employers + titles if x and x in text]
            assert check_grounding(text, doc, res.icp, named) == [], text


def test_missing_requirements_are_listed(lex: EngineLexicon) -> None:
    res, _ = _run(lex)
    a2 = next(c for c in res.candidates if c["profileId"] == "a2")
    flags = " ".join(a2["aiRedFlags"])
    assert "PostgreSQL" in flags and "Kubernetes" in flags
    assert "missing" in a2["rationale"]
    assert a2["scoreBreakdown"]["must"]["verdict"] in ("partial", "not_met")


def test_breakdown_is_the_documented_weighted_sum(lex: EngineLexicon) -> None:
    res, _ = _run(lex)
    for c in res.candidates:
        b = c["scoreBreakdown"]
        if "caps" in b:
            continue
        feats = {k: v for k, v in b.items() if k not in ("negatives", "caps")}
        total = sum(v["weight"] * v["score"] for v in feats.values()) / sum(
            v["weight"] for v in feats.values()
        )
        assert abs(round(100 * total * b["negatives"]["score"]) - c["matchScore"]) <= 1


def test_checker_rejects_invented_facts(lex: EngineLexicon) -> None:
    res, docs = _run(lex)
    doc = docs["a1"]
    assert check_grounding("Led Kubernetes at Globex for 37 years", doc, res.icp, ["Globex"]) == [
        "Globex",
        "37",
    ]
    fake = dataclasses.replace(doc, name="Someone Else")
    assert check_grounding("Initech since 2022", fake, res.icp, ["Initech"]) == []


def test_candidate_wire_shape(lex: EngineLexicon) -> None:
    res, _ = _run(lex)
    keys = {
        "profileId",
        "name",
        "linkedinUrl",
        "matchScore",
        "rationale",
        "skills",
        "headline",
        "location",
        "currentCompany",
        "currentRole",
        "aiFitPoints",
        "aiRedFlags",
        "aiDetailedRationale",
        "detailedExperience",
        "emails",
        "scoreBreakdown",
        "externalId",
    }
    for c in res.candidates:
        assert keys <= set(c)
        assert 0 <= c["matchScore"] <= 100
        for d in c["aiDetailedRationale"]:
            assert set(d) == {"title", "company", "duration", "relevanceExplanation"}

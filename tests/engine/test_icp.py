"""ICP derivation: sections, years, ambiguous tokens, query grammar, precedence, markup offsets."""

from __future__ import annotations

from talentscout.engine.derive import IcpInput, derive_icp
from talentscout.engine.extract import extract_years
from talentscout.engine.grammar import parse_query
from talentscout.engine.icp import ICP
from talentscout.engine.lexicon import EngineLexicon
from talentscout.engine.text import split_sections, strip_markup

JD = """Backend Engineer

About us:
We are a fast-growing company. Our teams use tools like Jira and Salesforce every day.

Responsibilities:
- Build and operate services
- Go above and beyond for our customers

Requirements:
- 5+ years of professional experience
- Strong experience with Python and PostgreSQL
- Kubernetes (must have)
- Fluent English

Nice to have:
- Experience with Terraform
- Kafka is a plus

What we offer:
- Gym membership and Slack credits
"""


def _icp(lex: EngineLexicon, title: str = "Senior Backend Engineer", jd: str = JD, **kw: object) -> ICP:
    return derive_icp(
        IcpInput(
            title=title,
            job_description=jd,
            location=str(kw.get("location", "Berlin, Germany")),
            query=str(kw.get("query", "")),
            patches=tuple(kw.get("patches", ())),
        ),
        lex,
    )  # type: ignore[arg-type]


def _ids(items: list) -> set[str]:  # type: ignore[type-arg]
    return {s.id or s.value for s in items}


def test_sections_and_must_vs_nice(lex: EngineLexicon) -> None:
    icp = _icp(lex)
    must, nice = _ids(icp.mustHaveSkills), _ids(icp.niceToHaveSkills)
    assert {"python", "postgresql", "kubernetes"} <= must
    assert {"terraform", "kafka"} <= nice
    # About-us and benefits boilerplate give no skills.
    assert "jira" not in must | nice and "salesforce" not in must | nice and "slack" not in must | nice
    assert icp.yearsExperience.min == 5 and icp.yearsExperience.max is None and not icp.yearsExperience.hard
    assert [x.value for x in icp.languages] == ["English"]


def test_title_family_and_seniority(lex: EngineLexicon) -> None:
    icp = _icp(lex)
    assert icp.targetTitles[0].family == "15-1252.00"
    assert icp.seniority is not None and icp.seniority.level == 3
    assert any(t.kind == "adjacent" for t in icp.titleSynonyms)


def test_evidence_spans_point_into_the_input(lex: EngineLexicon) -> None:
    icp = _icp(lex)
    for s in icp.mustHaveSkills + icp.niceToHaveSkills:
        for ev in s.evidence:
            if ev.field == "jobDescription":
                assert JD[ev.start : ev.end] == ev.text
                assert ev.text.strip()


def test_years_phrasings() -> None:
    def one(text: str) -> tuple[float | None, float | None, str | None]:
        ms = extract_years(text)
        assert ms, text
        return ms[0].min, ms[0].max, ms[0].skill_text

    assert one("5+ years of experience")[:2] == (5, None)
    assert one("3-5 yrs in a similar role")[:2] == (3, 5)
    assert one("at least five years of experience")[:2] == (5, None)
    assert one("five+ years")[:2] == (5, None)
    assert one("up to 2 years")[:2] == (None, 2)
    assert one("3+ years of experience with Python")[2] == "Python"


def test_per_skill_years(lex: EngineLexicon) -> None:
    jd = "Requirements:\n- 3+ years of experience with Python\n- Docker\n"
    icp = _icp(lex, title="Python Developer", jd=jd)
    py = next(s for s in icp.mustHaveSkills if s.id == "python")
    assert py.minYears == 3


def test_ambiguous_short_tokens(lex: EngineLexicon) -> None:
    prose = "Requirements:\nYou will go above and beyond, excel in a fast-paced team and drive R&D with our partners."
    icp = _icp(lex, title="Account Manager", jd=prose)
    got = _ids(icp.mustHaveSkills) | _ids(icp.niceToHaveSkills)
    assert not {"go", "excel", "r"} & got
    listed = "Requirements:\n- Go and Kubernetes\n- R and Python for statistics\n- Advanced Excel\n"
    got2 = _ids(_icp(lex, title="Data Analyst", jd=listed).mustHaveSkills)
    assert {"go", "r", "excel"} <= got2


def test_query_grammar() -> None:
    pq = parse_query(
        'must: Python, Kafka nice: Rust exclude: Globex Corp -agency "event sourcing" years>=5 location: Berlin remote'
    )
    assert [i.value for i in pq.must] == ["Python", "Kafka"]
    assert [i.value for i in pq.nice] == ["Rust"]
    assert [i.value for i in pq.exclude] == ["Globex Corp"]
    assert [i.value for i in pq.negative] == ["agency"]
    assert [i.value for i in pq.phrases] == ["event sourcing"]
    assert pq.min_years is not None and pq.min_years.value == "5"
    assert [i.value for i in pq.locations] == ["Berlin"]
    assert pq.remote is not None
    q = "must: Go -recruiter"
    pq2 = parse_query(q)
    assert q[pq2.must[0].start : pq2.must[0].end] == "Go"


def test_query_and_patches_outrank_description(lex: EngineLexicon) -> None:
    icp = _icp(
        lex,
        query="must: Rust years>=7 exclude: Globex Corp -agency",
        patches=("nice: Kubernetes", "must: Terraform"),
    )
    must = {s.id: s for s in icp.mustHaveSkills}
    nice = {s.id: s for s in icp.niceToHaveSkills}
    assert must["rust"].hard and must["rust"].source == "query"
    assert "kubernetes" in nice and "kubernetes" not in must  # a patch demoted a JD must-have
    assert must["terraform"].hard and must["terraform"].source == "patch"
    assert icp.yearsExperience.min == 7 and icp.yearsExperience.hard
    assert [c.value for c in icp.excludedCompanies] == ["Globex Corp"]
    assert any(n.value == "agency" for n in icp.negativeKeywords)


def test_location_and_work_mode(lex: EngineLexicon) -> None:
    icp = _icp(lex, location="Remote - Germany")
    assert icp.workMode.mode == "remote" and icp.workMode.countries == ["DE"]
    icp2 = _icp(lex, location="Cardiff, United Kingdom (hybrid, 3 days onsite)")
    loc = icp2.locations[0]
    assert icp2.workMode.mode == "hybrid" and loc.kind == "city" and loc.countryCode == "GB"
    assert loc.lat is not None and loc.radiusKm


def test_markup_stripping_keeps_offsets(lex: EngineLexicon) -> None:
    html = (
        "<h2>Requirements</h2><ul><li>Strong <b>Python</b> skills</li><li>Docker &amp; Kubernetes</li></ul>"
    )
    clean = strip_markup(html)
    assert "<" not in clean.text
    lines = split_sections(clean.text)
    assert any(ln.section == "requirements" and "Python" in ln.text for ln in lines)
    icp = _icp(lex, title="DevOps Engineer", jd=html)
    py = next(s for s in icp.mustHaveSkills if s.id == "python")
    ev = py.evidence[0]
    assert html[ev.start : ev.end] == "Python"


def test_icp_json_is_stable_and_valid(lex: EngineLexicon) -> None:
    a = _icp(lex).to_json()
    b = _icp(lex).to_json()
    assert a == b
    assert ICP.model_validate(a).to_json() == a
    schema = ICP.model_json_schema()
    assert "mustHaveSkills" in schema["properties"]


def test_education_industry_and_title_hints(lex: EngineLexicon) -> None:
    jd = (
        "Requirements:\n- Bachelor's degree in Computer Science\n- 5+ years of experience as a Data Engineer or "
        "similar role\n- 2+ years in the fintech industry\n- Python\n"
    )
    icp = _icp(lex, title="Senior Data Platform Engineer", jd=jd)
    assert [e.value for e in icp.education] == ["Bachelor's degree in Computer Science"]
    assert [i.value for i in icp.industries] == ["fintech"]
    hint = next(t for t in icp.titleSynonyms if t.source == "jd_required")
    assert hint.value == "Data Engineer" and hint.family
    assert icp.yearsExperience.min == 5


def test_negative_conflicting_with_target_is_softened(lex: EngineLexicon) -> None:
    icp = _icp(lex, title="Data Engineer", query="-data -recruiter")
    neg = {n.value: n for n in icp.negativeKeywords}
    assert neg["data"].weight < 0.5 and neg["recruiter"].weight == 1.0
    assert icp.notes

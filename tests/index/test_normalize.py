"""Import format -> ProfileDoc: dates, ordering, years, skills, titles, places, links."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pydantic import ValidationError

from talentscout.engine.profile import ProfileDoc, YearMonth
from talentscout.index.normalize import normalize_profile, registrable_domain
from talentscout.index.vocab import CuratedVocabulary, Vocabulary

TODAY = YearMonth(2026, 6)


def raw(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "ats-1042",
        "basics": {
            "name": "Ada Example",
            "label": "Staff Engineer, Payments",
            "email": "Ada@ExamplePay.com",
            "url": "https://ada.dev",
            "summary": "Builds payment systems.",
            "location": {"city": "Oakland", "region": "CA", "countryCode": "US"},
            "profiles": [
                {"network": "LinkedIn", "url": "https://www.linkedin.com/in/ada-example"},
                {"network": "GitHub", "username": "ada-ex", "url": "https://github.com/ada-ex"},
            ],
        },
        "work": [
            {"name": "Old Co", "position": "Junior Developer", "startDate": "2012-01", "endDate": "2014-12",
             "url": "https://www.oldco.co.uk/about"},
            {"name": "ExamplePay", "url": "https://careers.examplepay.com", "position": "Staff Software Engineer",
             "startDate": "2021-03", "endDate": None, "summary": "Built services in Python with Kubernetes and PostgreSQL.",
             "highlights": ["Cut p99 latency by 40% with Redis caching"]},
            {"name": "Mid Co", "position": "Senior Software Engineer", "startDate": "2014-06", "endDate": "2021-02"},
        ],
        "education": [{"institution": "Uni", "area": "Computer Science", "studyType": "BSc", "endDate": "2011"}],
        "skills": [{"name": "Python", "keywords": ["Django", "FastAPI"]}, {"name": "k8s"}, {"name": "Quantum Basket Weaving"}],
        "languages": [{"language": "English", "fluency": "Native"}],
    }
    base.update(over)
    return base


def norm(vocab: Vocabulary, data: dict[str, Any], company: str | None = None) -> ProfileDoc:
    return normalize_profile(data, lexicons=vocab, profile_id="prof_x", company_id=company, today=TODAY)


def test_positions_sorted_newest_first_with_current(vocab: Vocabulary) -> None:
    doc = norm(vocab, raw())
    assert [p.company for p in doc.positions] == ["ExamplePay", "Mid Co", "Old Co"]
    assert doc.positions[0].current and doc.positions[0].end is None
    assert doc.positions[1].start == YearMonth(2014, 6) and doc.positions[1].end == YearMonth(2021, 2)
    assert doc.current is not None and doc.current.company == "ExamplePay"


def test_years_merge_overlaps_and_run_to_today(vocab: Vocabulary) -> None:
    data = raw(work=[
        {"position": "Engineer", "startDate": "2020-01", "endDate": "2021-12"},
        {"position": "Consultant", "startDate": "2021-01", "endDate": "2022-12"},  # overlaps one year
        {"position": "Engineer", "startDate": "2025-07"},  # current: to 2026-06
    ])
    doc = norm(vocab, data)
    assert doc.years_experience == pytest.approx((36 + 12) / 12, abs=0.01)


def test_skills_get_canonical_ids_and_unknown_keep_surface(vocab: Vocabulary) -> None:
    doc = norm(vocab, raw())
    by_surface = {s.surface: s for s in doc.skills}
    assert by_surface["Python"].id == "python"
    assert by_surface["k8s"].id == "kubernetes"
    assert by_surface["Django"].source == "keyword" and by_surface["Django"].id == "django"
    assert by_surface["Quantum Basket Weaving"].id is None
    # Skills only mentioned in a role are kept as weaker "experience" evidence, and per position.
    exp = {s.id for s in doc.skills if s.source == "experience"}
    assert "redis" in exp and "postgresql" in exp
    assert {"python", "kubernetes", "postgresql", "redis"} <= set(doc.positions[0].skill_ids)


def test_title_family_and_levels(vocab: Vocabulary) -> None:
    doc = norm(vocab, raw())
    cur, mid, old = doc.positions
    assert cur.title_family == mid.title_family == old.title_family == "15-1252.00"
    assert (cur.level, mid.level, old.level) == (4, 3, 1)
    assert doc.seniority == 4  # the current title states it


def test_seniority_from_years_when_titles_say_nothing(vocab: Vocabulary) -> None:
    data = raw(work=[{"position": "Registered Nurse", "startDate": "2019-01"}])
    doc = norm(vocab, data)
    assert doc.positions[0].title_family == "29-1141.00"
    assert doc.positions[0].level is None
    assert doc.seniority == 3  # 7.5 years, capped at senior without a title saying more


def test_place_resolved_with_coordinates(vocab: Vocabulary) -> None:
    doc = norm(vocab, raw())
    assert doc.place.city == "Oakland" and doc.place.country_code == "US"
    assert doc.place.lat is not None and 37 < doc.place.lat < 38.5
    munich = norm(vocab, raw(basics={"name": "X", "location": {"city": "München", "countryCode": "DE"}}))
    assert munich.place.city == "Munich" and munich.place.country_code == "DE"
    # A region code that also spells a country ("CA") stays in the stated country.
    ca = norm(vocab, raw(basics={"name": "X", "location": {"region": "CA", "countryCode": "US"}}))
    assert ca.place.country_code == "US"


def test_links_emails_domains(vocab: Vocabulary) -> None:
    doc = norm(vocab, raw())
    nets = {lk.network: lk for lk in doc.links}
    assert nets["linkedin"].username == "ada-example"
    assert nets["github"].username == "ada-ex"
    assert nets["website"].url == "https://ada.dev"
    assert [(e.address, e.source) for e in doc.emails] == [("ada@examplepay.com", "import")]
    assert [p.company_domain for p in doc.positions] == ["examplepay.com", None, "oldco.co.uk"]
    assert registrable_domain("https://a.b.examplepay.com/x") == "examplepay.com"
    assert registrable_domain("not a url") is None


def test_visibility_and_ids_are_carried(vocab: Vocabulary) -> None:
    doc = norm(vocab, raw(), company="c-1")
    assert doc.profile_id == "prof_x" and doc.external_id == "ats-1042" and doc.company_id == "c-1"


def test_json_round_trip(vocab: Vocabulary) -> None:
    doc = norm(vocab, raw())
    assert ProfileDoc.from_json(doc.to_json()) == doc


def test_deterministic(vocab: Vocabulary) -> None:
    assert norm(vocab, raw()) == norm(vocab, raw())


def test_invalid_input_raises(vocab: Vocabulary) -> None:
    with pytest.raises(ValidationError):
        norm(vocab, raw(basics={"label": "no name"}))
    with pytest.raises(ValidationError):
        norm(vocab, raw(work=[{"position": "X", "startDate": "2020-01", "endDate": "2017-01"}]))


def test_small_date_slip_is_clamped_not_rejected(vocab: Vocabulary) -> None:
    # "2016-05 – 2016-03": a typing slip CVs are full of; kept, with the end clamped to the start.
    doc = norm(vocab, raw(work=[{"position": "Cook", "startDate": "2016-05", "endDate": "2016-03"}]))
    assert doc.positions[0].start == doc.positions[0].end == YearMonth(2016, 5)


def test_fallback_vocabulary_works_without_built_lexicons() -> None:
    doc = norm(CuratedVocabulary(), raw())
    assert {s.id for s in doc.skills} >= {"python", "kubernetes"}
    assert doc.positions[0].title_family == "15-1252.00"


def test_throughput(vocab: Vocabulary) -> None:
    # Regression guard, loose because CI machines are shared: ≥ 1,000 profiles per CPU second.
    data = [raw(id=f"x{i}") for i in range(500)]
    from talentscout.index.schema import validate_profile

    models = [validate_profile(d) for d in data]
    t = time.process_time()
    for m in models:
        normalize_profile(m, lexicons=vocab, profile_id="prof_x", company_id=None, today=TODAY, validated=True)
    assert 500 / max(time.process_time() - t, 1e-9) > 1_000

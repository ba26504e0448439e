"""Pattern model (Dirichlet smoothing, credit splitting, digit habit, negative evidence, strength),
name variants, offline registrable domains, and learning accuracy on a generated pool."""

from __future__ import annotations

import random
import socket
from datetime import UTC, datetime

import pytest

from talentscout.engine.profile import Email, Position, ProfileDoc, YearMonth
from talentscout.enrichment.domains import is_company_domain, registrable, resolve_mail_domains
from talentscout.enrichment.learn import observe_doc
from talentscout.enrichment.names import variants
from talentscout.enrichment.patterns import (
    DEFAULT_PRIOR,
    PATTERNS,
    Evidence,
    PatternModel,
    global_prior,
    guesses,
    match_local,
)


def _model(
    observations: list[str], name: str = "Ada Lovelace", rejections: dict[str, float] | None = None
) -> PatternModel:
    ev = Evidence()
    names = variants(name)
    for local in observations:
        ev.observe(match_local(local, names))
    for pattern, weight in (rejections or {}).items():
        ev.reject(pattern, weight)
    return PatternModel.fit("acme.test", ev, DEFAULT_PRIOR, alpha=2.0)


def test_dirichlet_smoothing_matches_the_documented_numbers() -> None:
    assert _model([]).probs["{first}.{last}"] == pytest.approx(0.34, abs=0.01)
    assert _model(["ada.lovelace"]).probs["{first}.{last}"] == pytest.approx(0.56, abs=0.01)
    assert _model(["ada.lovelace"] * 5).probs["{first}.{last}"] == pytest.approx(0.81, abs=0.02)


def test_credit_is_split_between_patterns_that_explain_an_address() -> None:
    ev = Evidence()
    ev.observe(match_local("ada", variants("Ada Ada")))
    assert ev.counts["{first}"] == pytest.approx(0.5) and ev.counts["{last}"] == pytest.approx(0.5)


def test_digit_habit_unmatched_and_strength_labels() -> None:
    model = _model(
        ["ada.lovelace2", "ada.lovelace", "ada.lovelace7", "ada.lovelace", "ada.lovelace3", "ada.lovelace"]
    )
    assert model.top == "{first}.{last}" and model.digit_rate == pytest.approx(0.5)
    assert model.strength == "strong"
    assert _model(["ada.lovelace"]).strength == "medium"
    assert _model([]).strength == "weak"
    assert _model(["x9k2", "zz-top", "qwerty"]).strength == "non_name_scheme"


def test_rejections_count_against_their_pattern() -> None:
    plain = _model([])
    rejected = _model([], rejections={"{first}.{last}": 2.0})
    assert rejected.probs["{first}.{last}"] < plain.probs["{first}.{last}"] / 2
    assert rejected.top != "{first}.{last}"


def test_guesses_are_ranked_and_normalised() -> None:
    model = _model(["ada.lovelace"] * 4)
    out = guesses(
        variants("Grace Hopper"), [("acme.test", 1.0)], {"acme.test": model}, valid=lambda a: True, limit=3
    )
    assert out[0].address == "grace.hopper@acme.test"
    assert len(out) == 3 and out[0].score > out[1].score
    assert sum(
        g.score
        for g in guesses(
            variants("Grace Hopper"),
            [("acme.test", 1.0)],
            {"acme.test": model},
            valid=lambda a: True,
            limit=1000,
        )
    ) == pytest.approx(1.0)


def test_name_variants_fold_and_expand() -> None:
    def forms(name: str) -> list[tuple[str, str]]:
        return [(v.first, v.last) for v in variants(name)]

    assert ("maria", "nunez-garcia") in forms("María Núñez-García")
    assert ("maria", "nunezgarcia") in forms("María Núñez-García")
    assert ("lukasz", "kowalski") in forms("Łukasz Kowalski")
    assert ("juergen", "mueller") in forms("Jürgen Müller")
    assert forms("Jürgen Müller")[0] == ("jurgen", "muller")  # the German expansion weighs less
    assert ("pieter", "vanderberg") in forms("Pieter van der Berg") and ("pieter", "berg") in forms(
        "Pieter van der Berg"
    )
    assert forms("Sean O'Brien")[0] == ("sean", "obrien")
    assert forms("NAKAMURA Hiroshi")[0] == ("hiroshi", "nakamura")


def test_registrable_domains_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    from talentscout.enrichment import domains

    domains.extractor.cache_clear()

    def no_network(*_a: object, **_k: object) -> None:
        raise AssertionError("tldextract tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert registrable("https://careers.examplepay.co.uk/jobs") == registrable("examplepay.co.uk")
    reg = registrable("https://careers.examplepay.co.uk/jobs")
    assert reg is not None and reg.domain == "examplepay.co.uk" and is_company_domain(reg)
    gh = registrable("https://ada.github.io/")
    assert gh is not None and gh.private_suffix and not is_company_domain(gh)
    assert not is_company_domain(registrable("gmail.com"))
    assert registrable("mail.acme.test") is None
    assert registrable("mail.acme.test", ("test",)) == registrable("acme.test", ("test",))


def test_mail_domain_resolution_order() -> None:
    doc = ProfileDoc(
        profile_id="p",
        external_id="p",
        name="Ada Lovelace",
        positions=(
            Position(
                title="Eng",
                company="ExamplePay",
                company_url="https://www.examplepay.com/about",
                start=YearMonth(2020),
            ),
            Position(
                title="Eng",
                company="Old Co",
                company_domain="oldco.com",
                start=YearMonth(2015),
                end=YearMonth(2019),
            ),
        ),
    )
    found = resolve_mail_domains(doc, {"examplepay": {"examplepay-mail.com": 3.0}})
    assert [d.domain for d in found] == ["examplepay.com", "examplepay-mail.com"]


def _pool(seed: int = 7) -> tuple[list[ProfileDoc], dict[str, str]]:
    rng = random.Random(seed)
    firsts = [
        "ada",
        "alan",
        "grace",
        "edsger",
        "barbara",
        "donald",
        "joan",
        "ken",
        "frances",
        "john",
        "radia",
        "margaret",
        "tim",
        "linus",
        "guido",
        "anita",
        "dennis",
        "bjarne",
        "sophie",
        "katherine",
    ]
    lasts = [
        "lovelace",
        "turing",
        "hopper",
        "dijkstra",
        "liskov",
        "knuth",
        "clarke",
        "thompson",
        "allen",
        "backus",
        "perlman",
        "hamilton",
        "berners",
        "torvalds",
        "rossum",
        "borg",
        "ritchie",
        "stroustrup",
        "wilson",
        "johnson",
    ]
    weights = {p: w for p, w in DEFAULT_PRIOR.items() if "{m" not in p and "middle" not in p}
    truth: dict[str, str] = {}
    docs: list[ProfileDoc] = []
    for d in range(120):
        domain = f"co{d}.example.com"
        pattern = rng.choices(list(weights), weights=list(weights.values()))[0]
        truth[domain] = pattern
        for i in range(rng.randint(1, 8)):
            first, last = rng.choice(firsts), rng.choice(lasts)
            name = f"{first.title()} {last.title()}"
            local = PATTERNS[pattern](variants(name)[0])
            assert local
            if rng.random() < 0.1:
                local += str(rng.randint(1, 9))
            docs.append(
                ProfileDoc(
                    profile_id=f"{d}-{i}",
                    external_id=None,
                    name=name,
                    emails=(Email(f"{local}@{domain}", "import"),),
                )
            )
    return docs, truth


def test_learned_top_pattern_matches_truth_for_90_percent_of_domains() -> None:
    docs, truth = _pool()
    per_domain: dict[str, Evidence] = {}
    company_map: dict[str, dict[str, float]] = {}
    now = datetime.now(UTC)
    for doc in docs:
        observe_doc(doc, per_domain, company_map, now=now, half_life_days=730)
    overall = Evidence()
    for ev in per_domain.values():
        overall.merge(ev)
    prior = global_prior(overall)
    eligible = [d for d, ev in per_domain.items() if ev.observations >= 3]
    assert len(eligible) >= 50
    hits = sum(PatternModel.fit(d, per_domain[d], prior).top == truth[d] for d in eligible)
    assert hits / len(eligible) >= 0.9, hits / len(eligible)

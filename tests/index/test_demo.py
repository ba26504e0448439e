"""The demo generator: deterministic per seed, valid, varied and coherent."""

from __future__ import annotations

import itertools
import re
from collections import Counter

from talentscout.index.demo import _EMAIL_PATTERNS, OCCUPATIONS, generate, generate_one
from talentscout.index.importers import Failed, Prepared, prepare_rows
from talentscout.index.vocab import Vocabulary

TODAY = 2026 * 12 + 5


def test_deterministic_per_seed_and_independent_of_slicing() -> None:
    a = [generate_one(7, i, today_months=TODAY) for i in range(50)]
    b = [generate_one(7, i, today_months=TODAY) for i in range(50)]
    assert a == b
    c = [generate_one(8, i, today_months=TODAY) for i in range(50)]
    assert a != c
    assert next(iter(generate(7, 20, 5)))["id"] == "demo-7-20"


def test_profiles_are_valid_and_normalise(vocab: Vocabulary) -> None:
    rows = [(i + 1, p) for i, p in enumerate(generate(3, 0, 400))]
    out = prepare_rows(rows, None, vocab)
    failed = [r for r in out if isinstance(r, Failed)]
    assert not failed, failed[:3]
    ok = [r for r in out if isinstance(r, Prepared)]
    assert len(ok) == 400


def test_variety_and_coherent_careers() -> None:
    pool = [generate_one(11, i, today_months=TODAY) for i in range(1500)]
    group_of = {o.key: o.group for o in OCCUPATIONS}
    groups = Counter(group_of[p["meta"]["demoOccupation"]] for p in pool)
    assert len(groups) >= 14 and groups.most_common(1)[0][1] < 0.35 * len(pool)  # not only software
    countries = Counter(p["basics"]["location"]["countryCode"] for p in pool)
    assert len(countries) >= 25 and countries.most_common(1)[0][1] < 0.4 * len(pool)
    for p in pool:
        work = p["work"]
        assert work and work[0]["endDate"] is None  # everyone has a current role
        for newer, older in itertools.pairwise(work):
            start = newer["startDate"]
            assert older["endDate"] is not None
            # Some starts are written as a year only ("2020"): compare at that precision.
            assert older["endDate"][: len(start)] <= start
    names = Counter(p["basics"]["name"] for p in pool)
    assert len(names) > 800  # combinations, not a handful of people


def test_work_emails_follow_one_pattern_per_company() -> None:
    pool = [generate_one(5, i, today_months=TODAY) for i in range(3000)]
    candidates: dict[str, set[str]] = {}
    with_email = 0
    for p in pool:
        email = p["basics"].get("email")
        if not email:
            continue
        with_email += 1
        local, domain = email.split("@")
        assert domain.endswith(".example")  # reserved TLD: never a real mailbox
        first, last = (re.sub(r"[^a-z]", "", x.lower()) for x in p["basics"]["name"].split(" ", 1))
        fits = {pat for pat in _EMAIL_PATTERNS
                if pat.format(first=first, last=last, f=first[:1], l=last[:1]) == local}
        assert fits, (email, p["basics"]["name"])
        candidates[domain] = candidates.get(domain, fits) & fits
    assert 0.1 < with_email / len(pool) < 0.3
    assert all(candidates.values())  # every company's known emails share one pattern


def test_links() -> None:
    pool = [generate_one(2, i, today_months=TODAY) for i in range(500)]
    nets = Counter(s["network"] for p in pool for s in p["basics"].get("profiles", []))
    assert nets["LinkedIn"] > 350 and nets["GitHub"] > 20

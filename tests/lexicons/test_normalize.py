"""The shared normaliser keeps technical tokens and folds everything else."""

from __future__ import annotations

import pytest

from talentscout.lexicons.normalize import normalize, normalize_place, singularize, slugify


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C++ and C#", "c++ and c#"),
        (".NET Core", ".net core"),
        ("Node.js.", "node.js"),
        ("CI/CD pipelines", "ci/cd pipelines"),
        ("Python/Django", "python django"),
        ("R&D, P&L", "r&d p&l"),
        ("Sales & Marketing", "sales and marketing"),
        ("Jr. Engineer", "jr engineer"),
        ("München", "munchen"),
        ("Łódź", "lodz"),
        ("front-end", "front end"),
        ("#hashtag", "hashtag"),
        ("  Senior   ENGINEER  ", "senior engineer"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_place_drops_punctuation() -> None:
    assert normalize_place("St. Louis") == "st louis"
    assert normalize_place("Saint-Denis") == "saint denis"
    assert normalize_place("Zürich") == "zurich"


def test_slugify_and_singularize() -> None:
    assert slugify("C++") == "cpp"
    assert slugify("C#") == "csharp"
    assert slugify(".NET") == "dotnet"
    assert slugify("Node.js") == "node-js"
    assert singularize("registered nurses") == "registered nurse"
    assert singularize("data entry keyers") == "data entry keyer"
    assert singularize("secretaries") == "secretary"
    assert singularize("sales") == "sales"

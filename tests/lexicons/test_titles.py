"""Title families: O*NET and ESCO labels, curated synonyms, adjacency, seniority."""

from __future__ import annotations

import pytest

from talentscout.lexicons.load import Lexicons


def _family(lex: Lexicons, title: str) -> str:
    ids = lex.family_ids_for(title)
    assert ids, title
    return ids[0]


def test_onet_titles_resolve_to_their_occupation(lex: Lexicons) -> None:
    assert _family(lex, "Registered Nurse") == "29-1141.00"
    assert _family(lex, "Registered Nurses") == "29-1141.00"
    assert _family(lex, "Software Developer") == "15-1252.00"
    assert _family(lex, "Data Entry Keyer") == "43-9021.00"
    assert lex.title_families["29-1141.00"].label == "Registered Nurse"


def test_data_engineer_and_data_entry_are_different_families(lex: Lexicons) -> None:
    engineer = _family(lex, "Data Engineer")
    entry = _family(lex, "Data Entry Keyer")
    assert engineer != entry
    assert _family(lex, "Data Entry Clerk") == entry
    assert entry in lex.title_confusables[engineer]


def test_esco_labels_join_onet_families_or_stand_alone(lex: Lexicons) -> None:
    # ESCO "economics lecturer" maps onto O*NET's postsecondary economics teachers
    fam = lex.title_families[_family(lex, "economics lecturer")]
    assert fam.source == "onet" and "25-1" in fam.id
    # an ESCO occupation with no O*NET counterpart is its own family
    own = lex.title_families[_family(lex, "dating service consultant")]
    assert own.source == "esco" and own.id.startswith("esco-")


def test_related_families_come_from_onet(lex: Lexicons) -> None:
    rn = lex.title_families["29-1141.00"]
    assert rn.related
    assert all(r in lex.title_families for r in rn.related)
    # adjacency is symmetric
    for r in rn.related:
        assert "29-1141.00" in lex.title_families[r].related


def test_families_carry_onet_technology_skills(lex: Lexicons) -> None:
    dev = lex.title_families["15-1252.00"]
    assert dev.hot_skills and set(dev.hot_skills) <= set(dev.skills)
    assert all(s in lex.skills for s in dev.skills[:50])


@pytest.mark.parametrize(
    ("title", "family", "level"),
    [
        ("Sr. Software Eng II, Payments", "15-1252.00", 3),
        ("Senior Backend Engineer", "15-1252.00", 3),
        ("Jr. Receptionist", "43-4171.00", 1),
        ("RN", "29-1141.00", None),
        ("Registered Nurse II", "29-1141.00", 2),
        ("Lead LVN", "29-2061.00", 4),
        ("sr swe", "15-1252.00", 3),
        ("Principal Data Scientist", "15-2051.00", 5),
        ("Head of Engineering", "11-9041.00", 6),
        ("VP Engineering", "11-9041.00", 7),
        ("Eng Mgr", "11-9041.00", 6),
        ("C# .NET Engineer", "15-1252.00", None),
    ],
)
def test_parse_title(lex: Lexicons, title: str, family: str, level: int | None) -> None:
    parsed = lex.parse_title(title)
    assert parsed.families and parsed.families[0] == family, parsed
    assert parsed.seniority == level


def test_seniority_words_and_abbreviations(lex: Lexicons) -> None:
    words = lex.seniority_words
    assert words["intern"] == 0
    assert words["jr"] == 1 and words["junior"] == 1
    assert words["ii"] == 2 and words["iii"] == 3
    assert words["sr"] == 3 and words["snr"] == 3
    assert words["lead"] == 4 and words["staff"] == 4
    assert words["principal"] == 5
    assert words["head of"] == 6 and words["director"] == 6
    assert words["vp"] == 7 and words["chief"] == 7
    abbr = lex.title_abbreviations
    assert abbr["mgr"][0] == "manager"
    assert abbr["eng"][0] == "engineer"
    assert abbr["dev"][0] == "developer"
    assert abbr["swe"][0] == "software engineer"
    assert abbr["rn"][0] == "registered nurse"
    assert abbr["lpn"][0] == "licensed practical nurse"
    assert abbr["cna"][0] == "certified nursing assistant"


def test_nonsense_title_has_no_family(lex: Lexicons) -> None:
    assert lex.family_ids_for("qwxz blorp") == ()
    assert lex.find_title_family("qwxz blorp") is None

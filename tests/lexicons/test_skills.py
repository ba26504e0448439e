"""Skills: curated aliases, ESCO and O*NET labels, hierarchy, ambiguous tokens."""

from __future__ import annotations

import pytest

from talentscout.lexicons.load import Lexicons


@pytest.mark.parametrize(
    ("alias", "skill_id"),
    [
        ("k8s", "kubernetes"),
        ("golang", "go"),
        ("postgres", "postgresql"),
        ("psql", "postgresql"),
        ("js", "javascript"),
        ("TS", "typescript"),
        ("GCP", "gcp"),
        ("ML", "machine-learning"),
        ("SRE", "sre"),
        ("QA", "quality-assurance"),
        ("React.js", "react"),
        ("reactjs", "react"),
        ("node", "nodejs"),
        ("NodeJS", "nodejs"),
        ("CI/CD", "ci-cd"),
        ("AWS", "aws"),
        ("MS Excel", "excel"),
        ("EHR", "ehr"),
        ("EMR", "ehr"),
        ("CRM", "crm"),
        ("SFDC", "salesforce"),
        ("CPA", "cpa"),
        ("C++", "cpp"),
        ("C#", "csharp"),
        (".NET", "dotnet"),
        ("Epic EHR", "epic-ehr"),
        ("forklift certified", "forklift"),
        ("TIG welding", "welding"),
    ],
)
def test_curated_aliases_resolve(lex: Lexicons, alias: str, skill_id: str) -> None:
    assert lex.skill_ids_for(alias)[0] == skill_id
    assert lex.find_skill(alias) is not None


def test_unknown_text_resolves_to_nothing(lex: Lexicons) -> None:
    assert lex.skill_ids_for("zzqx frobnicator 9000") == ()
    assert lex.find_skill("") is None
    assert lex.resolve_skill("blorptastic") == ()


def test_java_and_javascript_are_different_skills(lex: Lexicons) -> None:
    assert lex.skill_ids_for("Java")[0] == "java"
    assert lex.skill_ids_for("JavaScript")[0] == "javascript"
    assert "javascript" in lex.skill_confusables["java"]


def test_onet_tool_names_merge_into_canonical_skills(lex: Lexicons) -> None:
    # O*NET spells tools with their vendor; the canonical skill absorbs them.
    assert lex.skill_ids_for("Oracle Java")[0] == "java"
    assert lex.skill_ids_for("Microsoft Excel")[0] == "excel"
    assert lex.skill_ids_for("Atlassian JIRA")[0] == "jira"
    assert lex.skill_ids_for("Amazon Simple Storage Service S3")[0] == "aws-s3"
    excel = lex.skills["excel"]
    assert excel.hot and "onet" in excel.sources and "curated" in excel.sources
    assert excel.n_occupations > 100


def test_onet_commodity_categories_are_broader_skills(lex: Lexicons) -> None:
    python = lex.skills["python"]
    parents = [lex.skills[b] for b in python.broader]
    onet_parent = next(p for p in parents if p.category == "onet-commodity")
    assert onet_parent.kind == "group"
    assert "python" in onet_parent.narrower
    assert "java" in onet_parent.narrower  # siblings share the category
    assert onet_parent.id in lex.skill_ancestors("python")


def test_esco_skills_have_labels_and_hierarchy(lex: Lexicons) -> None:
    ids = lex.skill_ids_for("manage musical staff")
    assert ids
    skill = lex.skills[ids[0]]
    assert "esco" in skill.sources and skill.esco_uri
    assert skill.broader  # ESCO skill groups
    # verb-phrase labels also match as noun phrases
    assert lex.skill_ids_for("budget management")


def test_surface_weights_rank_curated_first(lex: Lexicons) -> None:
    ids = lex.skill_surface_index["sql"]
    weights = lex.skill_surface_weights["sql"]
    assert ids[0] == "sql" and weights[0] == 100
    assert list(weights) == sorted(weights, reverse=True)


@pytest.mark.parametrize(
    ("token", "context", "in_list", "expected"),
    [
        ("Go", "we build microservices in Go with gRPC", False, "go"),
        ("Go", "ready to go live next month", False, None),
        ("Go", "", True, "go"),
        ("R", "statistical modelling in R and Python", False, "r"),
        ("Excel", "pivot tables and VLOOKUP in Excel", False, "excel"),
        ("excel", "you will excel in a fast-paced team", False, None),
        ("Swift", "iOS apps with Swift and SwiftUI", False, "swift"),
        ("Spark", "Spark and Hadoop pipelines", False, "spark"),
        ("Access", "access to our offices", False, None),
        ("Rust", "systems programming in Rust with tokio", False, "rust"),
    ],
)
def test_ambiguous_tokens_need_context(
    lex: Lexicons, token: str, context: str, in_list: bool, expected: str | None
) -> None:
    got = lex.resolve_skill(token, context=context, in_skill_list=in_list)
    if expected is None:
        assert got == ()
    else:
        assert got[0] == expected


def test_ambiguous_table_covers_the_classic_short_tokens(lex: Lexicons) -> None:
    for token in ("go", "r", "c", "swift", "rust", "spark", "excel", "access"):
        amb = lex.ambiguous_tokens[token]
        assert amb.skill_ids and amb.context
    assert "golang" in lex.ambiguous_tokens["go"].context


def test_resolve_skill_fallbacks(lex: Lexicons) -> None:
    assert lex.resolve_skill("PMP certification")[0] == "project-management"
    assert lex.resolve_skill("JavaScript (ES6+)")[0] == "javascript"
    assert lex.resolve_skill("Flask framework")[0] == "flask"

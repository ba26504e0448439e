"""The search index: query model, filters, visibility isolation, and sync with the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from talentscout.index.ids import join_profile_id, new_profile_id, split_profile_id
from talentscout.index.models import Profile
from talentscout.index.search import Circle, Filters, IndexQuery, ProfileIndex, Term
from talentscout.index.store import get_profiles
from talentscout.index.sync import ensure_index, rebuild
from tests.index.conftest import Pool

COMPANY_A = "11111111-1111-4111-8111-111111111111"
COMPANY_B = "22222222-2222-4222-8222-222222222222"


def person(ext: str, title: str, skills: list[str], city: str, cc: str, start: str = "2018-01", **kw: Any) -> dict[str, Any]:
    return {
        "id": ext,
        "basics": {"name": f"Name {ext}", "location": {"city": city, "countryCode": cc}},
        "work": [{"name": "Co", "position": title, "startDate": start, "summary": kw.get("summary", "")}],
        "skills": [{"name": s} for s in skills],
    }


async def load(pool: Pool, rows: list[dict[str, Any]], company: str | None = None) -> None:
    path = pool.path / f"rows-{company or 'global'}-{len(rows)}.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = await pool.importer(company_id=company).import_files([path])
    assert report.rejected == 0, report.rejections


async def ext_ids(pool: Pool, hits: list[tuple[str, float]], company: str | None = None) -> list[str]:
    docs = await get_profiles(pool.db, [h[0] for h in hits], company)
    return [d.external_id or "" for d in docs]


def test_profile_ids_round_trip_through_two_u64() -> None:
    for _ in range(200):
        pid = new_profile_id()
        assert len(pid) == 27 and pid.startswith("prof_")
        parts = split_profile_id(pid)
        assert parts is not None and join_profile_id(*parts) == pid
    assert split_profile_id("prof_short") is None and split_profile_id("user_" + "0" * 22) is None


async def test_weighted_terms_rank_and_filters_restrict(pool: Pool) -> None:
    await load(pool, [
        person("py-berlin", "Senior Python Developer", ["Python", "Django"], "Berlin", "DE", "2012-01"),
        person("py-paris", "Python Developer", ["Python"], "Paris", "FR", "2023-01"),
        person("java-berlin", "Java Developer", ["Java"], "Berlin", "DE"),
        person("nurse", "Registered Nurse", ["Patient care"], "Munich", "DE"),
    ])
    q = IndexQuery(should=(Term("title", "python developer", 2.0), Term("skills", "python"), Term("skills", "django", 0.5)))
    hits = pool.index.search(q, 10)
    assert sorted(await ext_ids(pool, hits)) == ["py-berlin", "py-paris"]  # non-matching are out
    assert hits[0][1] >= hits[1][1] > 0

    de = pool.index.search(IndexQuery(should=q.should, filters=Filters(country_codes=("de",))), 10)
    assert await ext_ids(pool, de) == ["py-berlin"]
    senior = pool.index.search(IndexQuery(should=q.should, filters=Filters(min_years=10)), 10)
    assert await ext_ids(pool, senior) == ["py-berlin"]
    lvl = pool.index.search(IndexQuery(should=q.should, filters=Filters(min_level=3, max_level=4)), 10)
    assert await ext_ids(pool, lvl) == ["py-berlin"]
    berlin_id = de[0][0]
    excl = pool.index.search(IndexQuery(should=q.should, filters=Filters(exclude_ids=(berlin_id,))), 10)
    assert await ext_ids(pool, excl) == ["py-paris"]
    near_munich = Circle(lat=48.137, lon=11.575, radius_km=60)
    geo = pool.index.search(IndexQuery(filters=Filters(circles=(near_munich,))), 10)
    assert await ext_ids(pool, geo) == ["nurse"]
    # Location passes on a country OR a circle.
    both = pool.index.search(IndexQuery(filters=Filters(country_codes=("FR",), circles=(near_munich,))), 10)
    assert sorted(await ext_ids(pool, both)) == ["nurse", "py-paris"]
    # Filters never change scores.
    assert dict(de) == {p: s for p, s in hits if p == de[0][0]}


async def test_must_and_must_not(pool: Pool) -> None:
    await load(pool, [
        person("a", "Backend Engineer", ["Python", "PostgreSQL"], "Berlin", "DE"),
        person("b", "Backend Engineer", ["Python"], "Berlin", "DE"),
        person("c", "Backend Engineer", ["Go", "PostgreSQL"], "Berlin", "DE"),
    ])
    must = IndexQuery(should=(Term("title", "backend engineer"),), must=((Term("skills", "python"),),))
    assert sorted(await ext_ids(pool, pool.index.search(must, 10))) == ["a", "b"]
    either = IndexQuery(must=((Term("skills", "go"), Term("skills", "postgresql")),))
    assert sorted(await ext_ids(pool, pool.index.search(either, 10))) == ["a", "c"]
    neg = IndexQuery(should=(Term("skills", "python"),), must_not=(Term("skills", "postgresql"),))
    assert await ext_ids(pool, pool.index.search(neg, 10)) == ["b"]
    # An empty must group can never be satisfied.
    assert pool.index.search(IndexQuery(must=((Term("title", "!!!"),),)), 10) == []
    with pytest.raises(ValueError):
        pool.index.search(IndexQuery(should=(Term("scope", "global"),)), 10)


async def test_a_company_never_sees_another_companys_private_profiles(pool: Pool) -> None:
    await load(pool, [person("shared", "Data Engineer", ["Spark"], "Berlin", "DE")])
    await load(pool, [person("a-only", "Data Engineer", ["Spark"], "Berlin", "DE")], COMPANY_A)
    await load(pool, [person("b-only", "Data Engineer", ["Spark"], "Berlin", "DE")], COMPANY_B)
    q = IndexQuery(should=(Term("title", "data engineer"),))

    def seen_by(company: str | None) -> list[tuple[str, float]]:
        return pool.index.search(IndexQuery(should=q.should, filters=Filters(company_id=company)), 10)

    assert sorted(await ext_ids(pool, seen_by(COMPANY_A), COMPANY_A)) == ["a-only", "shared"]
    assert sorted(await ext_ids(pool, seen_by(COMPANY_B), COMPANY_B)) == ["b-only", "shared"]
    assert await ext_ids(pool, seen_by(None)) == ["shared"]

    # get_profiles: B asking for A's profile by id gets nothing back (no existence leak).
    a_ids = [pid for pid, _ in seen_by(COMPANY_A)]
    as_b = await get_profiles(pool.db, a_ids, COMPANY_B)
    assert [d.external_id for d in as_b] == ["shared"]
    as_global = await get_profiles(pool.db, a_ids, None)
    assert [d.external_id for d in as_global] == ["shared"]
    # Excluding ids or other filters cannot widen visibility.
    wide = pool.index.search(IndexQuery(filters=Filters(company_id=COMPANY_B, min_years=0)), 10)
    assert "a-only" not in await ext_ids(pool, wide, COMPANY_B)
    # Same external id imported privately by two companies: two separate profiles.
    await load(pool, [person("dup", "Chef", [], "Paris", "FR")], COMPANY_A)
    await load(pool, [person("dup", "Chef", [], "Paris", "FR")], COMPANY_B)
    chef = IndexQuery(should=(Term("title", "chef"),))
    a_chef = pool.index.search(IndexQuery(should=chef.should, filters=Filters(company_id=COMPANY_A)), 10)
    b_chef = pool.index.search(IndexQuery(should=chef.should, filters=Filters(company_id=COMPANY_B)), 10)
    assert len(a_chef) == len(b_chef) == 1 and a_chef[0][0] != b_chef[0][0]


async def test_index_catches_up_after_a_crash_between_database_and_index(pool: Pool) -> None:
    await load(pool, [person(f"p{i}", "Accountant", ["Excel"], "Dublin", "IE") for i in range(5)])
    assert pool.index.num_docs == 5 and pool.index.watermark == 5
    # Simulate a crash: rows changed in the database after the index's last commit.
    async with pool.db.write() as s:
        rows = (await s.execute(Profile.__table__.select().where(Profile.external_id == "p0"))).mappings().one()
        doc = dict(rows["doc"])
        doc["positions"] = [{**doc["positions"][0], "title": "Auditor"}]
        await s.execute(update(Profile).where(Profile.id == rows["id"]).values(doc=doc, seq=6))
    assert pool.index.search(IndexQuery(should=(Term("title", "auditor"),)), 5) == []
    index = await ensure_index(pool.db, pool.index.path)
    assert index.watermark == 6 and index.num_docs == 5  # replaced, not duplicated
    assert [h[0] for h in index.search(IndexQuery(should=(Term("title", "auditor"),)), 5)] == [rows["id"]]
    # The next import also catches up first (idempotent when nothing is pending).
    await load(pool, [person("p9", "Accountant", ["Excel"], "Dublin", "IE")])
    assert pool.index.num_docs == 6


async def test_index_ahead_of_the_database_is_rebuilt(pool: Pool, tmp_path: Path) -> None:
    await load(pool, [person(f"p{i}", "Welder", [], "Leeds", "GB") for i in range(3)])
    async with pool.db.write() as s:
        await s.execute(Profile.__table__.delete().where(Profile.external_id == "p2"))
        await s.execute(update(Profile).values(seq=1))  # as if the table were restored from a backup
    index = await ensure_index(pool.db, pool.index.path)
    assert index.num_docs == 2 and index.watermark == 1


async def test_rebuild_reproduces_the_same_results(pool: Pool) -> None:
    await load(pool, [person(f"p{i}", t, s, c, cc) for i, (t, s, c, cc) in enumerate([
        ("Data Scientist", ["Python", "PyTorch"], "London", "GB"),
        ("Data Analyst", ["SQL", "Tableau"], "Leeds", "GB"),
        ("Nurse", ["Patient care"], "Cork", "IE"),
    ])])
    q = IndexQuery(should=(Term("title", "data"), Term("skills", "python")), filters=Filters(country_codes=("GB",)))
    before = pool.index.search(q, 10)
    n = await rebuild(pool.db, pool.index.path)
    assert n == 3
    after = ProfileIndex.open(pool.index.path).search(q, 10)
    assert [p for p, _ in after] == [p for p, _ in before]
    assert [round(s, 4) for _, s in after] == [round(s, 4) for _, s in before]


async def test_a_second_reader_sees_commits(pool: Pool) -> None:
    reader = ProfileIndex.open(pool.index.path)  # e.g. another process; no writer lock taken
    await load(pool, [person("late", "Electrician", [], "Austin", "US")])
    reader.reload()
    assert len(reader.search(IndexQuery(should=(Term("title", "electrician"),)), 5)) == 1

"""Importers: the three formats round-trip, every bad-row kind is reported and skipped,
re-import updates in place, and the development corpus imports cleanly."""

from __future__ import annotations

import csv
import json
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from talentscout.index.importers import ImportReport, iter_csv, iter_json_resume
from talentscout.index.models import Profile
from talentscout.index.search import Filters, IndexQuery, Term
from talentscout.index.store import get_profiles
from tests.index.conftest import BENCH_DEV, Pool


def profile(i: int, **over: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "id": f"ext-{i}",
        "basics": {
            "name": f"Person {i}",
            "label": "Backend Engineer",
            "email": f"p{i}@acme.example",
            "location": {"city": "Berlin", "countryCode": "DE"},
            "profiles": [{"network": "LinkedIn", "url": f"https://www.linkedin.com/in/p{i}"}],
        },
        "work": [{"name": "Acme", "url": "https://acme.example", "position": "Senior Backend Engineer",
                  "startDate": "2019-04", "summary": "Python and PostgreSQL services."}],
        "skills": [{"name": "Python"}, {"name": "PostgreSQL"}],
    }
    p.update(over)
    return p


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
    return path


async def count(pool: Pool) -> int:
    async with pool.db.read() as s:
        return int((await s.execute(select(func.count()).select_from(Profile))).scalar_one())


def reasons(report: ImportReport) -> dict[int, str]:
    return {r.line: r.reason for r in report.rejections}


async def test_jsonl_round_trip(pool: Pool) -> None:
    path = write_jsonl(pool.path / "p.jsonl", [profile(i) for i in range(5)])
    report = await pool.importer().import_files([path])
    assert (report.imported, report.rejected) == (5, 0)
    assert await count(pool) == 5
    hits = pool.index.search(IndexQuery(should=(Term("skills", "python"),)), 10)
    assert len(hits) == 5
    docs = await get_profiles(pool.db, [h[0] for h in hits], None)
    assert {d.external_id for d in docs} == {f"ext-{i}" for i in range(5)}
    d = docs[0]
    assert d.profile_id.startswith("prof_") and d.updated_at is not None
    assert d.place.city == "Berlin" and d.emails[0].source == "import"


async def test_every_bad_row_kind_is_reported_with_its_line_and_skipped(pool: Pool) -> None:
    rows: list[Any] = [
        profile(1),                                                               # 1 ok
        '{"id": "ext-2", "basics": {"name": "Broken"',                            # 2 broken JSON
        profile(3, basics={"label": "no name"}),                                  # 3 missing name
        profile(4, work=[{"position": "X", "startDate": "2021-01", "endDate": "2015-06"}]),  # 4 dates
        profile(5, basics={"name": "Big", "summary": "x" * 10_000_000}),          # 5 10 MB field
        profile(6, basics={"name": 12345}),                                       # 6 wrong type
        profile(7, skills="Python, SQL"),                                         # 7 wrong type (list)
        profile(1),                                                               # 8 duplicate externalId
        "",                                                                       # 9 blank: skipped silently
        profile(10, basics={"name": "Ok Again"}),                                 # 10 ok
        profile(11, work=[{"position": "X", "startDate": "sometime"}]),           # 11 not a date
        "[1, 2]",                                                                 # 12 not an object
    ]
    path = write_jsonl(pool.path / "bad.jsonl", rows)
    report = await pool.importer().import_files([path])
    why = reasons(report)
    assert report.imported == 2 and await count(pool) == 2
    assert set(why) == {2, 3, 4, 5, 6, 7, 8, 11, 12}
    assert "broken JSON" in why[2]
    assert "basics.name" in why[3] and "missing" in why[3]
    assert "out of order" in why[4]
    assert "byte limit" in why[5]
    assert "basics.name" in why[6] and "string" in why[6]
    assert why[7].startswith("skills")
    assert "duplicate externalId 'ext-1'" in why[8] and "line 1" in why[8]
    assert "not a date" in why[11] and why[11].startswith("work.0.startDate")
    assert report.rejected == 9
    # Rejections carry the external id when it could be read.
    assert {r.external_id for r in report.rejections if r.line == 3} == {"ext-3"}


async def test_oversized_field_under_the_line_cap_is_rejected_by_the_schema(pool: Pool) -> None:
    path = write_jsonl(pool.path / "p.jsonl", [profile(1, basics={"name": "X", "summary": "y" * 50_000})])
    report = await pool.importer().import_files([path])
    assert report.imported == 0 and "basics.summary" in report.rejections[0].reason


async def test_reimport_updates_in_place_and_keeps_profile_id(pool: Pool) -> None:
    path = write_jsonl(pool.path / "p.jsonl", [profile(1), profile(2)])
    first = await pool.importer().import_files([path])
    assert first.imported == 2
    ids = {h[0] for h in pool.index.search(IndexQuery(should=(Term("skills", "python"),)), 10)}

    again = await pool.importer().import_files([path])
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 2)

    changed = profile(2, skills=[{"name": "Rust"}])
    path2 = write_jsonl(pool.path / "p2.jsonl", [profile(1), changed])
    third = await pool.importer().import_files([path2])
    assert (third.imported, third.updated, third.unchanged) == (0, 1, 1)
    assert await count(pool) == 2
    rust = pool.index.search(IndexQuery(should=(Term("skills", "rust"),)), 10)
    assert len(rust) == 1 and rust[0][0] in ids  # same profile id, new content
    python = pool.index.search(IndexQuery(should=(Term("skills", "python"),)), 10)
    assert len(python) == 1  # the old document of profile 2 is gone from the index
    assert pool.index.num_docs == 2


async def test_same_external_id_in_two_scopes_are_two_profiles(pool: Pool) -> None:
    company = "7b0e4a52-2b7d-4a57-8a55-6f1d1f2d1c11"
    path = write_jsonl(pool.path / "p.jsonl", [profile(1)])
    await pool.importer().import_files([path])
    report = await pool.importer(company_id=company).import_files([path])
    assert report.imported == 1 and await count(pool) == 2


async def test_json_resume_object_and_array(pool: Pool) -> None:
    one = profile(1)
    del one["id"]
    (pool.path / "ada.json").write_text(json.dumps(one, indent=2))
    arr = [profile(2), {**profile(3), "id": None, "meta": {"id": "meta-3"}}, "oops", profile(4, basics={})]
    arr[1].pop("id")
    (pool.path / "team.json").write_text(json.dumps(arr, indent=2))
    report = await pool.importer().import_files([pool.path / "ada.json", pool.path / "team.json"])
    assert report.imported == 3
    assert {(r.file, r.reason.split(":")[0]) for r in report.rejections} == {
        ("team.json", "array item is not a JSON object"),
        ("team.json", "basics.name"),
    }
    # Line numbers point at where each array item starts.
    text = (pool.path / "team.json").read_text().splitlines()
    for r in report.rejections:
        assert text[r.line - 1].strip().startswith(('"oops"', "{"))
    async with pool.db.read() as s:
        ext = set((await s.execute(select(Profile.external_id))).scalars())
    # No id: the email of a single resume, then meta.id.
    assert ext == {"p1@acme.example", "ext-2", "meta-3"}
    items = list(iter_json_resume(pool.path / "team.json"))
    assert [line for line, *_ in items] == [2, *[line for line, *_ in items][1:]]


async def test_json_resume_broken_file_is_reported(pool: Pool) -> None:
    (pool.path / "b.json").write_text('[\n {"id": "a", "basics": {"name": "A"}},\n {"id": "b", ')
    report = await pool.importer().import_files([pool.path / "b.json"])
    assert report.imported == 1 and report.rejections[0].line == 3 and "broken JSON" in report.rejections[0].reason


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


async def test_csv_round_trip_with_column_mapping(pool: Pool) -> None:
    header = ["ID", "Name", "Headline", "Email", "City", "Country", "LinkedIn", "GitHub", "Skills",
              "Title", "Company", "Company URL", "Start Date", "End Date",
              "work2_title", "work2_company", "work2_start", "work2_end", "edu1_institution", "edu1_degree", "Unknown"]
    rows = [
        ["c-1", "Chen Wei", "Data Engineer", "chen@data.example", "Amsterdam", "NL", "linkedin.com/in/chenwei",
         "chenw", "Python; Spark; dbt", "Data Engineer", "DataCo", "https://dataco.example", "2022-01", "",
         "Analyst", "OldCo", "2019-01", "2021-12", "TU Delft", "MSc", "ignored"],
        ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],  # blank: skipped
        ["c-3", "", "No Name", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
        ["c-4", "Multi\nLine", "x", "", "", "", "", "", "SQL, Excel", "", "", "", "", "", "", "", "", "", "", "", ""],
    ]
    path = write_csv(pool.path / "p.csv", header, rows)
    report = await pool.importer().import_files([path])
    assert report.imported == 2, report.rejections
    assert [(r.line, r.reason.split(":")[0]) for r in report.rejections] == [(4, "basics.name")]
    hits = pool.index.search(IndexQuery(should=(Term("skills", "apache-spark"), Term("skills", "spark"))), 5)
    docs = await get_profiles(pool.db, [h[0] for h in hits], None)
    chen = next(d for d in docs if d.external_id == "c-1")
    assert [p.title for p in chen.positions] == ["Data Engineer", "Analyst"]
    assert chen.positions[0].current and chen.positions[0].company_domain == "dataco.example"
    assert {lk.network for lk in chen.links} == {"linkedin", "github"}
    assert chen.education[0].institution == "TU Delft"
    assert [s.surface for s in chen.skills if s.source == "skills"] == ["Python", "Spark", "dbt"]
    # Line numbers are physical lines: the multi-line cell of c-4 starts on line 5.
    assert [line for line, *_ in iter_csv(path)] == [2, 4, 5]


async def test_bench_dev_head_imports_with_zero_rejections(pool: Pool) -> None:
    if not BENCH_DEV.exists():
        pytest.skip("development corpus not present")
    head = pool.path / "head.jsonl"
    with BENCH_DEV.open("rb") as src, head.open("wb") as dst:
        dst.writelines(islice(src, 500))
    report = await pool.importer().import_files([head])
    assert report.rejected == 0, report.rejections[:5]
    assert report.imported == 500 and pool.index.num_docs == 500
    # Most titles map to a family and most listed skills to a canonical id.
    hits = pool.index.search(IndexQuery(filters=Filters()), 500)
    docs = await get_profiles(pool.db, [h[0] for h in hits], None)
    with_family = sum(1 for d in docs if d.current and d.current.title_family)
    assert with_family / len(docs) > 0.8
    listed = [s for d in docs for s in d.skills if s.source == "skills"]
    assert sum(1 for s in listed if s.id) / len(listed) > 0.7
    assert sum(1 for d in docs if d.place.lat is not None) / len(docs) > 0.9


async def test_worker_processes_give_the_same_result(pool: Pool) -> None:
    path = write_jsonl(pool.path / "p.jsonl", [profile(i) for i in range(40)] + ["{bad"])
    report = await pool.importer(workers=2, chunk_rows=7).import_files([path])
    assert (report.imported, report.rejected) == (40, 1)
    assert report.rejections[0].line == 41
    assert pool.index.num_docs == 40

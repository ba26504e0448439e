"""The profile store on PostgreSQL: bulk upsert (pipelined executemany, JSONB) and visibility."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from talentscout.db import Database
from talentscout.index.importers import Importer
from talentscout.index.search import Filters, IndexQuery, ProfileIndex, Term
from talentscout.index.store import get_profiles, iter_changed
from talentscout.index.sync import rebuild
from talentscout.migrate import upgrade_async

pytestmark = pytest.mark.pg

COMPANY = "44444444-4444-4444-8444-444444444444"


async def test_import_reimport_and_visibility_on_postgres(pg_url: str, tmp_path: Path) -> None:
    await upgrade_async(pg_url)
    db = Database(pg_url)
    try:
        index = ProfileIndex.open(tmp_path / "index", create=True)
        rows = [
            {"id": f"e{i}", "basics": {"name": f"P {i}", "location": {"city": "Lyon", "countryCode": "FR"}},
             "work": [{"position": "Pharmacist", "startDate": "2015-02"}], "skills": [{"name": "Pharmacology"}]}
            for i in range(30)
        ]
        f = tmp_path / "p.jsonl"
        f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
        first = await Importer(db, index, workers=0).import_files([f])
        assert (first.imported, first.rejected) == (30, 0)
        private = await Importer(db, index, company_id=COMPANY).import_files([f])
        assert private.imported == 30
        rows[0]["skills"] = [{"name": "Compounding"}]
        f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
        again = await Importer(db, index).import_files([f])
        assert (again.imported, again.updated, again.unchanged) == (0, 1, 29)

        q = IndexQuery(should=(Term("title", "pharmacist"),))
        assert len(index.search(q, 100)) == 30
        mine = index.search(IndexQuery(should=q.should, filters=Filters(company_id=COMPANY)), 100)
        assert len(mine) == 60
        docs = await get_profiles(db, [p for p, _ in mine], None)
        assert len(docs) == 30 and all(d.company_id is None for d in docs)
        docs = await get_profiles(db, [p for p, _ in mine], COMPANY)
        assert len(docs) == 60
        seen = [sp async for batch in iter_changed(db, batch=7) for sp in batch]
        assert len(seen) == 60 and [s.seq for s in seen] == sorted(s.seq for s in seen)
        assert await rebuild(db, tmp_path / "index") == 60
    finally:
        await db.dispose()

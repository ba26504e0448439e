"""Lexical query latency: an expanded 20-term filtered query on the tantivy index vs SQLite FTS5.

Both engines get the same profiles and the same queries in the same run:

* the pool is one built by `bench_import.py --keep` (or any `--index-dir` pool);
  its tantivy index is queried as the engine queries it (`ProfileIndex.search`,
  top 1,000 with profile ids resolved);
* an FTS5 table (`porter unicode61`, one column per index text field, filter
  columns UNINDEXED) is built next to it from the same documents (`index_fields`)
  and queried with the equivalent MATCH expression, per-column bm25 weights,
  the same filters in WHERE, ORDER BY rank, LIMIT 1,000.

Queries: for each occupation of the demo generator, a title-family query as the
engine's ICP expansion would make it: 3 title phrases (current and past titles),
the family id, 8 canonical skill ids, 5 skill surface forms, 3 experience terms
(20 weighted SHOULD terms), filtered by 1-3 countries, minimum years, a level
range and visibility (global + one company). Each query runs `--repeat` times
after one warm-up; p50/p95 are over all timed runs.

    .venv/bin/python bench/index/bench_query.py --pool /tmp/talentscout-bench-index/jsonl-1000000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import time
from pathlib import Path

from talentscout.db import Database
from talentscout.index.demo import OCCUPATIONS
from talentscout.index.search import Filters, IndexQuery, ProfileIndex, Term, index_fields
from talentscout.index.store import iter_changed
from talentscout.index.vocab import load_vocabulary

FTS_COLUMNS = ("title", "title_past", "family", "family_past", "skills", "skills_exp", "skills_text", "headline",
               "experience", "location")
COUNTRY_SETS = (("US",), ("GB", "IE"), ("DE", "AT", "CH"), ("US", "CA"), ("NL", "BE"), ("FR",), ("IN",), ("AU", "NZ"))
COMPANY = "33333333-3333-4333-8333-333333333333"


def build_queries(n: int, seed: int) -> list[IndexQuery]:
    vocab = load_vocabulary()
    rng = random.Random(seed)
    out: list[IndexQuery] = []
    occs = list(OCCUPATIONS)
    for k in range(n):
        occ = occs[k % len(occs)]
        titles = rng.sample(occ.titles, k=min(3, len(occ.titles)))
        while len(titles) < 3:
            titles.append(occ.titles[0])
        skill_forms = rng.sample(occ.skills, k=min(len(occ.skills), 8))
        skill_ids = [sid for sid in (vocab.skill_id(s) for s in skill_forms) if sid]
        while len(skill_ids) < 8:
            skill_ids.append(skill_ids[-1] if skill_ids else "python")
        terms = [Term("title", t, 3.0) for t in titles[:2]] + [Term("title_past", titles[2], 1.0)]
        terms.append(Term("family", occ.family, 2.0))
        terms += [Term("skills", sid, 1.5) for sid in skill_ids[:8]]
        terms += [Term("skills_text", s, 0.8) for s in skill_forms[:5]]
        terms += [Term("experience", w, 0.5) for w in rng.sample(occ.skills, k=min(3, len(occ.skills)))]
        terms = terms[:20]
        level = rng.randint(2, 4)
        out.append(
            IndexQuery(
                should=tuple(terms),
                filters=Filters(
                    company_id=COMPANY,
                    country_codes=COUNTRY_SETS[k % len(COUNTRY_SETS)],
                    min_years=float(rng.choice((0, 2, 3, 5))),
                    min_level=level - 1,
                    max_level=level + 1,
                ),
            )
        )
    return out


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', " ") + '"'


def fts_query(q: IndexQuery) -> tuple[str, list[object], str]:
    """MATCH expression, WHERE parameters and the bm25 weights for an IndexQuery."""
    parts = [f"{t.field} : {_fts_phrase(t.text)}" for t in q.should]
    match = " OR ".join(parts)
    f = q.filters
    where = []
    params: list[object] = [match]
    if f.country_codes:
        where.append(f"country IN ({','.join('?' * len(f.country_codes))})")
        params += list(f.country_codes)
    if f.min_years is not None:
        where.append("years >= ?")
        params.append(f.min_years)
    if f.min_level is not None:
        where.append("level >= ?")
        params.append(f.min_level)
    if f.max_level is not None:
        where.append("level <= ?")
        params.append(f.max_level)
    where.append("scope IN ('global', ?)")
    params.append(f.company_id or "global")
    # FTS5 weights are per column, not per term: use each column's largest term weight.
    col_w = {c: 0.0 for c in FTS_COLUMNS}
    for t in q.should:
        col_w[t.field] = max(col_w[t.field], t.weight)
    weights = ", ".join(str(col_w[c] or 1.0) for c in FTS_COLUMNS)
    return " AND ".join(where), params, weights


def existing_fts(fts_path: Path) -> int:
    if not fts_path.exists():
        return 0
    con = sqlite3.connect(fts_path)
    try:
        return int(con.execute("SELECT count(*) FROM fts").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        con.close()


async def build_fts(pool: Path, fts_path: Path) -> int:
    con = sqlite3.connect(fts_path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    cols = ", ".join(FTS_COLUMNS)
    con.execute(
        f"CREATE VIRTUAL TABLE fts USING fts5({cols}, profile_id UNINDEXED, scope UNINDEXED, country UNINDEXED, "
        "years UNINDEXED, level UNINDEXED, tokenize='porter unicode61')"
    )
    db = Database(f"sqlite+aiosqlite:///{pool}/talentscout.db")
    n = 0
    try:
        async for batch in iter_changed(db, batch=5_000):
            rows = []
            for sp in batch:
                f = index_fields(sp.doc)
                rows.append(
                    (
                        *(" ; ".join(v) if isinstance(v, list) else v for v in (f[c] for c in FTS_COLUMNS)),
                        f["profile_id"], f["scope"], f["country"], f["years"], f["level"],
                    )
                )
            con.executemany(f"INSERT INTO fts VALUES ({','.join('?' * (len(FTS_COLUMNS) + 5))})", rows)
            n += len(rows)
        con.commit()
        con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        con.commit()
    finally:
        await db.dispose()
        con.close()
    return n


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=Path, required=True, help="an --index-dir pool (talentscout.db + index/)")
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--skip-fts", action="store_true")
    args = ap.parse_args()

    index = ProfileIndex.open(args.pool / "index")
    queries = build_queries(args.queries, args.seed)
    print(f"pool: {index.num_docs:,} profiles; {len(queries)} queries x {args.repeat}; "
          f"{len(queries[0].should)} terms each; limit {args.limit}")

    tv: list[float] = []
    hits_tv: list[int] = []
    for q in queries:
        index.search(q, args.limit)  # warm-up
        for _ in range(args.repeat):
            t = time.perf_counter()
            res = index.search(q, args.limit)
            tv.append((time.perf_counter() - t) * 1000)
        hits_tv.append(len(res))
    print(f"tantivy      p50 {pct(tv, 50):7.1f} ms  p95 {pct(tv, 95):7.1f} ms  mean {statistics.fmean(tv):7.1f} ms  "
          f"(median hits {statistics.median(hits_tv):.0f})")

    if args.skip_fts:
        return
    fts_path = args.pool / "fts5.db"
    t = time.perf_counter()
    n = existing_fts(fts_path)
    how = "reused"
    if not n:
        fts_path.unlink(missing_ok=True)
        n = asyncio.run(build_fts(args.pool, fts_path))
        how = f"built in {time.perf_counter() - t:,.0f} s"
    print(f"fts5 table: {n:,} rows ({how}, {fts_path.stat().st_size / 1e6:,.0f} MB)")
    con = sqlite3.connect(fts_path)
    fs: list[float] = []
    hits_fts: list[int] = []
    for q in queries:
        where, params, weights = fts_query(q)
        sql = (f"SELECT profile_id, bm25(fts, {weights}) AS score FROM fts WHERE fts MATCH ? AND {where} "
               f"ORDER BY score LIMIT {args.limit}")
        con.execute(sql, params).fetchall()  # warm-up
        for _ in range(args.repeat):
            t = time.perf_counter()
            rows = con.execute(sql, params).fetchall()
            fs.append((time.perf_counter() - t) * 1000)
        hits_fts.append(len(rows))
    print(f"sqlite fts5  p50 {pct(fs, 50):7.1f} ms  p95 {pct(fs, 95):7.1f} ms  mean {statistics.fmean(fs):7.1f} ms  "
          f"(median hits {statistics.median(hits_fts):.0f})")


if __name__ == "__main__":
    main()

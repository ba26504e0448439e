"""Load the development benchmark: profiles -> ProfileDoc (via the index normaliser), queries, qrels."""

from __future__ import annotations

import csv
import json
import pickle
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from talentscout.engine.lexicon import EngineLexicon
from talentscout.engine.profile import Place, ProfileDoc, YearMonth
from talentscout.engine.titles import parse_title
from talentscout.lexicons.load import load_gazetteer, load_lexicons

ROOT = Path(__file__).resolve().parents[2]
SHARED = (ROOT / ".." / "shared" / "data").resolve()
BENCH_DEV = SHARED / "bench-dev"
CACHE = Path.home() / ".cache" / "talentscout" / "bench"
# The benchmark was generated in late 2025; "today" for recency and open-ended roles.
TODAY = YearMonth(2025, 12)


@dataclass
class Query:
    qid: str
    title: str
    job_description: str
    location: str
    query: str


class BenchVocabulary:
    """The `index.vocab.Vocabulary` protocol over the shipped lexicons (used when the index's own is absent)."""

    def __init__(self, lex: EngineLexicon) -> None:
        self.lex = lex
        self.L = load_lexicons()
        self.G = load_gazetteer()
        self._skill: dict[str, str | None] = {}
        self._text: dict[str, tuple[str, ...]] = {}

    def skill_id(self, surface: str) -> str | None:
        if surface not in self._skill:
            sk = self.L.find_skill(surface)
            self._skill[surface] = sk.id if sk else None
        return self._skill[surface]

    def skills_in_text(self, text: str) -> tuple[str, ...]:
        got = self._text.get(text)
        if got is None:
            from talentscout.engine.extract import extract_skills

            got = tuple(
                dict.fromkeys(
                    m.skill_id for m in extract_skills(text, 0, self.lex, list_like=False) if m.skill_id
                )
            )
            self._text[text] = got
        return got

    def title(self, title: str) -> tuple[str | None, int | None]:
        tp = parse_title(title, self.lex)
        return tp.family, tp.level

    def place(self, text: str) -> Place | None:
        p = self.G.resolve(text)
        if p is None:
            return None
        return Place(
            city=p.name if p.kind == "city" else None,
            region=p.region,
            country_code=p.country_code,
            lat=p.lat,
            lon=p.lon,
            raw=text,
        )


def engine_lexicon() -> EngineLexicon:
    return EngineLexicon.from_lexicons(load_lexicons(), load_gazetteer())


def load_queries(path: Path = BENCH_DEV / "queries.jsonl") -> list[Query]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        out.append(Query(d["qid"], d["title"], d["jobDescription"], d["location"], d.get("query") or ""))
    return out


def load_qrels(path: Path = BENCH_DEV / "qrels.tsv") -> dict[str, dict[str, int]]:
    q: dict[str, dict[str, int]] = defaultdict(dict)
    with path.open(encoding="utf-8") as fh:
        r = csv.reader(fh, delimiter="\t")
        next(r)
        for qid, pid, g in r:
            q[qid][pid] = int(g)
    return dict(q)


def raw_profiles(path: Path = BENCH_DEV / "profiles.jsonl") -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def profile_text(raw: dict[str, Any], title_only: bool = False) -> str:
    """The README's BM25 document: label, summary, positions, companies, role summaries, skills, education, location."""
    b = raw.get("basics", {})
    if title_only:
        return " ".join([b.get("label") or ""] + [w.get("position") or "" for w in raw.get("work", [])])
    parts = [b.get("label") or "", b.get("summary") or ""]
    for w in raw.get("work", []):
        parts += [
            w.get("position") or "",
            w.get("name") or "",
            w.get("summary") or "",
            *(w.get("highlights") or []),
        ]
    for s in raw.get("skills", []):
        parts += [s.get("name") or "", *(s.get("keywords") or [])]
    for e in raw.get("education", []):
        parts.append(e.get("area") or "")
    loc = b.get("location") or {}
    parts += [loc.get("city") or "", loc.get("region") or "", loc.get("countryCode") or ""]
    return " ".join(p for p in parts if p)


def load_docs(raws: list[dict[str, Any]], lex: EngineLexicon) -> list[ProfileDoc]:
    """Normalise every raw profile with the index's `normalize_profile` (cached on disk by input size)."""
    from talentscout.index.normalize import normalize_profile
    from talentscout.index.vocab import load_vocabulary

    vocab: Any = load_vocabulary()
    if type(vocab).__name__ == "CuratedVocabulary":
        vocab = BenchVocabulary(lex)
    CACHE.mkdir(parents=True, exist_ok=True)
    key = CACHE / f"docs-{len(raws)}-{type(vocab).__name__}.pkl"
    if key.exists():
        try:
            docs: list[ProfileDoc] = pickle.loads(key.read_bytes())
            return docs
        except Exception:  # a stale cache from an older ProfileDoc shape
            key.unlink()
    docs = [
        normalize_profile(r, lexicons=vocab, profile_id=str(r["id"]), company_id=None, today=TODAY)
        for r in raws
    ]
    key.write_bytes(pickle.dumps(docs))
    return docs

"""The embedded tantivy index over candidate profiles, and the query API the engine calls.

Owns: the index schema, how a `ProfileDoc` becomes an index document
(`index_fields`), the pure-data query (`IndexQuery`) and how it becomes a
tantivy query, visibility enforcement, and the sync watermark.

Fields (BM25 text fields use one analyzer, ``ts_text``: split on
non-alphanumerics, drop tokens over 40 chars, lowercase, ASCII-fold, English
Snowball stem; ``raw`` fields hold exact tokens):

=================  ======  ======================================================
field              kind    content
=================  ======  ======================================================
``title``          text    current title
``title_past``     text    earlier titles (one value per position)
``family``         raw     current title family id (O*NET-SOC code / esco-…)
``family_past``    raw     earlier title family ids
``skills``         raw     canonical ids of listed skills and keywords
``skills_exp``     raw     canonical ids mentioned in role summaries/highlights
``skills_text``    text    listed skills and keywords as written
``headline``       text    headline + summary
``experience``     text    role summaries, highlights and employer names
``location``       raw     place tokens: city, region, country (normalised)
``country``        raw     ISO country code, upper case ("" when unknown)
``scope``          raw     "global" or the owning company id (visibility)
``profile_id``     raw     stored; delete-by-term key
``years``          f64     fast: total years of experience
``level``          i64     fast: seniority 0-7, -1 unknown
``updated``        i64     fast: last update, epoch seconds
``lat`` ``lon``    f64     fast: coordinates (NaN-free: 999 when unknown)
``pid_hi/lo``      u64     fast: the 128-bit profile id, so hits resolve without
                           reading stored documents
=================  ======  ======================================================

Names, emails and other personal attributes are deliberately not indexed: the
ranking must not see them.

Query model (`IndexQuery`, pure data, documented on the classes below): weighted
SHOULD terms per field (at least one must match unless there are none), MUST
groups (each group is an OR of terms that must match), MUST_NOT terms, and hard
`Filters` (visibility, countries / geo circles, years, level range, excluded ids)
that never change scores. Results are `(profile_id, bm25_score)` best first,
ties broken by profile id.

Visibility: every search runs with a visibility filter: global profiles plus,
when `Filters.company_id` is set, that one company's private profiles. There is
no way to express "all scopes" in an `IndexQuery`.

Sync: the writer records, in ``talentscout-index.json`` next to tantivy's
files, the highest profile `seq` it has committed; `index/sync.py` re-indexes
rows above it. Readers open the directory without taking the writer lock, so
any number of processes (or worker nodes with a shipped copy) can search it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import tantivy

from talentscout.engine.profile import ProfileDoc
from talentscout.index.ids import join_profile_id, split_profile_id
from talentscout.lexicons.normalize import normalize_place

__all__ = [
    "RAW_FIELDS",
    "SCHEMA_VERSION",
    "TEXT_FIELDS",
    "Circle",
    "Filters",
    "IndexOutdatedError",
    "IndexQuery",
    "IndexWriterSession",
    "ProfileIndex",
    "Term",
    "index_fields",
    "index_path",
    "scope_key",
]

SCHEMA_VERSION = 1
STATE_FILE = "talentscout-index.json"
ANALYZER = "ts_text"
TEXT_FIELDS = ("title", "title_past", "skills_text", "headline", "experience")
RAW_FIELDS = ("family", "family_past", "skills", "skills_exp", "location", "country", "scope", "profile_id")
NO_COORD = 999.0
GLOBAL_SCOPE = "global"


class IndexOutdatedError(RuntimeError):
    """The index on disk was built with another schema; run `talentscout index rebuild`."""


def _analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in TEXT_FIELDS:
        sb.add_text_field(name, tokenizer_name=ANALYZER, index_option="position")
    for name in RAW_FIELDS:
        sb.add_text_field(name, stored=name == "profile_id", tokenizer_name="raw", index_option="basic")
    sb.add_float_field("years", fast=True, indexed=True)
    sb.add_integer_field("level", fast=True, indexed=True)
    sb.add_integer_field("updated", fast=True, indexed=True)
    sb.add_float_field("lat", fast=True, indexed=True)
    sb.add_float_field("lon", fast=True, indexed=True)
    sb.add_unsigned_field("pid_hi", fast=True)
    sb.add_unsigned_field("pid_lo", fast=True)
    return sb.build()


# ---------------------------------------------------------------------------- documents


def index_path(data_dir: Path) -> Path:
    """Where the index of a data directory lives (`TALENTSCOUT_DATA_DIR` or `--index-dir`)."""
    return data_dir / "index"


def scope_key(company_id: str | None) -> str:
    """The visibility scope of a profile: "global" or the owning company's id."""
    return company_id if company_id else GLOBAL_SCOPE


def _epoch(iso: str | None) -> int:
    if not iso:
        return 0
    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


def index_fields(doc: ProfileDoc, *, with_identity: bool = True) -> dict[str, Any]:
    """The index document for a profile, as plain (picklable) data for `tantivy.Document.from_dict`.

    `with_identity=False` skips decoding the id (the importer fills the identity fields later).
    """
    positions = doc.positions
    current = doc.current
    past = [p for p in positions if p is not current]
    place = doc.place
    loc: list[str] = []
    for part in (place.city, place.region):
        if part:
            key = normalize_place(part)
            if key:
                loc.append(key)
    if place.country_code:
        loc.append(place.country_code.lower())
    exp: list[str] = []
    for p in positions:
        if p.company:
            exp.append(p.company)
        if p.summary:
            exp.append(p.summary)
        exp.extend(p.highlights)
    exp_skills: dict[str, None] = {}
    for p in positions:
        for sid in p.skill_ids:
            exp_skills[sid] = None
    pid = split_profile_id(doc.profile_id) or (0, 0) if with_identity else (0, 0)
    fields: dict[str, Any] = {
        "profile_id": doc.profile_id,
        "scope": scope_key(doc.company_id),
        "title": current.title if current and current.title else "",
        "title_past": [p.title for p in past if p.title] or [""],
        "family": current.title_family if current and current.title_family else "",
        "family_past": [p.title_family for p in past if p.title_family] or [""],
        "skills": [s.id for s in doc.skills if s.id and s.source != "experience"] or [""],
        "skills_exp": list(exp_skills) or [""],
        "skills_text": " ; ".join(s.surface for s in doc.skills if s.source != "experience"),
        "headline": " . ".join(t for t in (doc.headline, doc.summary) if t),
        "experience": " . ".join(exp),
        "location": loc or [""],
        "country": (place.country_code or "").upper(),
        "years": float(doc.years_experience),
        "level": doc.seniority if doc.seniority is not None else -1,
        "updated": _epoch(doc.updated_at),
        "lat": place.lat if place.lat is not None else NO_COORD,
        "lon": place.lon if place.lon is not None else NO_COORD,
        "pid_hi": pid[0],
        "pid_lo": pid[1],
    }
    return fields


# ---------------------------------------------------------------------------- query model


@dataclass(frozen=True, slots=True)
class Term:
    """One query term: `text` searched in `field` with BM25 weight `weight`.

    Text fields (`TEXT_FIELDS`) analyse `text` like the documents; several
    words become a phrase (`slop` extra positions allowed). Raw fields match
    `text` exactly (skill ids, family ids, place tokens are lowercased for
    `location`, country codes uppercased for `country`).
    """

    field: str
    text: str
    weight: float = 1.0
    slop: int = 0


@dataclass(frozen=True, slots=True)
class Circle:
    """A point with a radius in km (a must-location); matched as a lat/lon bounding box."""

    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True, slots=True)
class Filters:
    """Hard constraints; they decide membership and never change scores.

    `company_id`: visibility = global profiles + this company's private ones
    (None: global only). Location passes when the country is in
    `country_codes` OR the point is inside one of `circles` (both empty: no
    location filter). `min_level`/`max_level` exclude profiles of unknown level.
    """

    company_id: str | None = None
    country_codes: tuple[str, ...] = ()
    circles: tuple[Circle, ...] = ()
    min_years: float | None = None
    max_years: float | None = None
    min_level: int | None = None
    max_level: int | None = None
    exclude_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IndexQuery:
    """A lexical candidate query.

    - `should`: weighted terms; a profile must match at least one (when there
      are any) and is scored by the weighted BM25 sum of those it matches.
    - `must`: groups of terms; every group must match (a group matches when
      any of its terms does); they add to the score like `should` terms.
    - `must_not`: a profile matching any of these is dropped.
    - `filters`: hard constraints and visibility (see `Filters`).
    """

    should: tuple[Term, ...] = ()
    must: tuple[tuple[Term, ...], ...] = ()
    must_not: tuple[Term, ...] = ()
    filters: Filters = field(default_factory=Filters)


# ---------------------------------------------------------------------------- the index


def _read_state(path: Path) -> dict[str, Any]:
    try:
        data = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path / STATE_FILE)


class ProfileIndex:
    """One index directory. Search from any number of processes; write from one."""

    def __init__(self, path: Path, index: tantivy.Index) -> None:
        self.path = path
        self._index = index
        self._schema = index.schema
        self._analyzer = _analyzer()
        index.register_tokenizer(ANALYZER, self._analyzer)

    # -- lifecycle

    @classmethod
    def create(cls, path: Path) -> ProfileIndex:
        """A new, empty index at `path` (existing index files there are replaced)."""
        path.mkdir(parents=True, exist_ok=True)
        idx = tantivy.Index(_schema(), path=str(path), reuse=False)
        _write_state(path, {"version": SCHEMA_VERSION, "seq": 0})
        return cls(path, idx)

    @classmethod
    def open(cls, path: Path, *, create: bool = False) -> ProfileIndex:
        """Open an existing index (create it when missing and `create`)."""
        if not path.is_dir() or not tantivy.Index.exists(str(path)):
            if not create:
                raise FileNotFoundError(f"no search index at {path} (run `talentscout index rebuild`)")
            return cls.create(path)
        state = _read_state(path)
        if state.get("version") != SCHEMA_VERSION:
            raise IndexOutdatedError(
                f"the index at {path} has schema version {state.get('version')}, this build needs "
                f"{SCHEMA_VERSION}: run `talentscout index rebuild`"
            )
        return cls(path, tantivy.Index.open(str(path)))

    @property
    def watermark(self) -> int:
        """Highest profile `seq` whose document this index has committed."""
        return int(_read_state(self.path).get("seq", 0))

    @property
    def num_docs(self) -> int:
        return int(self._index.searcher().num_docs)

    def reload(self) -> None:
        self._index.reload()

    def writer(self, *, threads: int = 1, heap_bytes: int = 128_000_000) -> IndexWriterSession:
        """Take the index's single writer lock (raises if another process holds it)."""
        return IndexWriterSession(self, self._index.writer(heap_size=heap_bytes, num_threads=threads))

    # -- search

    def search(self, query: IndexQuery, limit: int) -> list[tuple[str, float]]:
        """Top `limit` visible profiles for `query`: [(profile_id, bm25_score)], best first."""
        if limit <= 0:
            return []
        q = self.build_query(query)
        searcher = self._index.searcher()
        hits = searcher.search(q, limit, count=False).hits
        if not hits:
            return []
        addrs = [addr for _, addr in hits]
        his = searcher.fast_field_values("pid_hi", addrs)
        los = searcher.fast_field_values("pid_lo", addrs)
        out: list[tuple[str, float]] = []
        for (score, addr), hi, lo in zip(hits, his, los, strict=True):
            if hi or lo:
                pid = join_profile_id(int(hi or 0), int(lo or 0))
            else:  # an id not in the 128-bit format: read the stored field
                pid = str(searcher.doc(addr).get_first("profile_id"))
            out.append((pid, float(score)))
        out.sort(key=lambda r: (-r[1], r[0]))
        return out

    def build_query(self, query: IndexQuery) -> tantivy.Query:
        """The tantivy query for `query` (public for tests and `explain`)."""
        Q, Occ = tantivy.Query, tantivy.Occur
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        should = [q for q in (self._term(t) for t in query.should) if q is not None]
        if should:
            clauses.append((Occ.Must, Q.boolean_query([(Occ.Should, q) for q in should])))
        for group in query.must:
            alts = [q for q in (self._term(t) for t in group) if q is not None]
            # An unsatisfiable group (nothing analysable) must still exclude everything.
            clauses.append((Occ.Must, Q.boolean_query([(Occ.Should, q) for q in alts]) if alts else Q.empty_query()))
        for t in query.must_not:
            q = self._term(t)
            if q is not None:
                clauses.append((Occ.MustNot, q))
        for f in self._filters(query.filters):
            clauses.append((Occ.Must, Q.const_score_query(f, 0.0)))
        if not should and not query.must:
            clauses.append((Occ.Must, Q.all_query()))
        return Q.boolean_query(clauses)

    def analyze(self, text: str) -> list[str]:
        """Tokens of `text` as the text fields index them."""
        return list(self._analyzer.analyze(text))

    def _term(self, term: Term) -> tantivy.Query | None:
        Q = tantivy.Query
        if term.field in TEXT_FIELDS:
            toks = self._analyzer.analyze(term.text)
            if not toks:
                return None
            if len(toks) == 1:
                q = Q.term_query(self._schema, term.field, toks[0])
            else:
                q = Q.phrase_query(self._schema, term.field, list(toks), slop=term.slop)
        elif term.field in RAW_FIELDS and term.field not in ("scope", "profile_id"):
            value = term.text.strip()
            if term.field == "location":
                value = normalize_place(value)
            elif term.field == "country":
                value = value.upper()
            if not value:
                return None
            q = Q.term_query(self._schema, term.field, value)
        else:
            raise ValueError(f"unknown or non-searchable field {term.field!r}")
        return q if term.weight == 1.0 else Q.boost_query(q, float(term.weight))

    def _filters(self, f: Filters) -> Iterable[tantivy.Query]:
        Q, Occ, FT = tantivy.Query, tantivy.Occur, tantivy.FieldType
        s = self._schema
        scopes = [GLOBAL_SCOPE] + ([f.company_id] if f.company_id else [])
        yield Q.term_set_query(s, "scope", scopes)
        loc: list[tantivy.Query] = []
        if f.country_codes:
            loc.append(Q.term_set_query(s, "country", [c.upper() for c in f.country_codes]))
        for c in f.circles:
            dlat = c.radius_km / 111.0
            dlon = c.radius_km / (111.0 * max(math.cos(math.radians(c.lat)), 0.01))
            loc.append(
                Q.boolean_query(
                    [
                        (Occ.Must, Q.range_query(s, "lat", FT.Float, c.lat - dlat, c.lat + dlat)),
                        (Occ.Must, Q.range_query(s, "lon", FT.Float, c.lon - dlon, c.lon + dlon)),
                    ]
                )
            )
        if loc:
            yield Q.boolean_query([(Occ.Should, q) for q in loc])
        if f.min_years is not None or f.max_years is not None:
            yield Q.range_query(s, "years", FT.Float, f.min_years, f.max_years)
        if f.min_level is not None or f.max_level is not None:
            lo = 0 if f.min_level is None else f.min_level
            yield Q.range_query(s, "level", FT.Integer, lo, f.max_level)
        if f.exclude_ids:
            yield Q.boolean_query(
                [(Occ.Must, Q.all_query()), (Occ.MustNot, Q.term_set_query(s, "profile_id", list(f.exclude_ids)))]
            )


class IndexWriterSession:
    """The single writer of an index: add/replace documents, commit with a `seq` watermark."""

    def __init__(self, index: ProfileIndex, writer: tantivy.IndexWriter) -> None:
        self._index = index
        self._writer = writer
        self._schema = index._schema
        self._pending_seq: int | None = None

    def add(self, fields: Sequence[dict[str, Any]], *, replace: bool = False) -> None:
        """Index documents built by `index_fields`; `replace` first deletes each id's old document."""
        w, schema = self._writer, self._schema
        for f in fields:
            if replace:
                w.delete_documents_by_term("profile_id", f["profile_id"])
            w.add_document(tantivy.Document.from_dict(f, schema))

    def add_json(self, docs: Sequence[str]) -> None:
        """Index documents given as JSON objects (the importer's fast path: parsed in Rust)."""
        w = self._writer
        for d in docs:
            w.add_json(d)

    def replace_json(self, docs: Sequence[tuple[str, str]]) -> None:
        """(profile id, JSON document) pairs: delete each id's old document, index the new one."""
        w = self._writer
        for pid, d in docs:
            w.delete_documents_by_term("profile_id", pid)
            w.add_json(d)

    def delete(self, profile_ids: Iterable[str]) -> None:
        for pid in profile_ids:
            self._writer.delete_documents_by_term("profile_id", pid)

    def delete_all(self) -> None:
        self._writer.delete_all_documents()

    def commit(self, seq: int | None = None) -> None:
        """Make everything added so far visible; record `seq` as the watermark when given."""
        self._writer.commit()
        if seq is not None:
            state = _read_state(self._index.path)
            state.update({"version": SCHEMA_VERSION, "seq": max(int(state.get("seq", 0)), seq)})
            _write_state(self._index.path, state)

    def set_watermark(self, seq: int) -> None:
        """Record `seq` exactly (after a rebuild the mark may go down)."""
        _write_state(self._index.path, {"version": SCHEMA_VERSION, "seq": seq})

    def close(self) -> None:
        """Wait for background merges and release the writer lock."""
        self._writer.wait_merging_threads()

    def __enter__(self) -> IndexWriterSession:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            self._writer.rollback()
        self.close()

"""Per-profile facts the ranker reads, computed once per profile and cached.

A ``ProfileView`` holds, for one ``ProfileDoc``: each position's title
reading (family, level) and age, the canonical skill ids the profile states
(with where: skills list, a role, or prose), and per field (skills list,
current role, recent role, old role, headline, titles) the set of its
normalised word n-grams. Matching an ICP against a profile is then one C-level
set intersection per field, which is what makes scoring thousands of
candidates cheap.

Protected attributes never enter a view: the name, emails, links, education
dates and languages are not read here (languages only when the ICP asks for
one, through ``languages``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from talentscout.engine.lexicon import EngineLexicon
from talentscout.engine.profile import ProfileDoc, YearMonth
from talentscout.engine.titles import TitleParse, parse_title
from talentscout.lexicons.normalize import normalize

__all__ = [
    "F_CURRENT",
    "F_HEADLINE",
    "F_OLD",
    "F_RECENT",
    "F_SKILLS",
    "PositionView",
    "ProfileView",
    "ViewCache",
    "build_view",
]

# Field bits of the n-gram index.
F_SKILLS = 1  # the skills list
F_CURRENT = 2  # current role (title, summary, highlights)
F_RECENT = 4  # a past role that ended within RECENT_MONTHS
F_OLD = 8  # an older role
F_HEADLINE = 16  # headline and summary
F_TITLE = 32  # any position title or the headline (for title keyword matching)

MAX_NGRAM = 5
PROSE_NGRAM = 3
RECENT_MONTHS = 36

_RELOCATE = re.compile(
    r"\b(open to relocat\w*|willing to relocate|happy to relocate|can relocate|relocation considered)\b", re.I
)
_REMOTE_PREF = re.compile(
    r"\b(remote only|prefers remote|looking for remote|open to remote|fully remote)\b", re.I
)


@dataclass(frozen=True, slots=True)
class PositionView:
    index: int
    title: str
    title_norm: str
    parse: TitleParse
    families: tuple[tuple[str, float], ...]
    level: int | None
    current: bool
    months_since_end: int  # 0 for current roles
    duration_months: int
    start: YearMonth | None
    end: YearMonth | None
    company_norm: str
    title_words: frozenset[str]  # words of the peeled title core (for title-word overlap)


@dataclass
class ProfileView:
    doc: ProfileDoc
    positions: list[PositionView]
    fields: dict[int, frozenset[str]]  # field bit -> its normalised n-grams (C-speed set intersections)
    skill_ids: dict[str, int]  # canonical id -> field bits (F_SKILLS / F_CURRENT / …)
    full_text: str  # " "-padded normalised text of everything (long-form fallback)
    level: int | None
    years: float
    relocate: bool
    remote_pref: bool
    current_company_norm: str
    headline_norm: str
    card_vec: Any = None

    def bits_of(self, gram: str) -> int:
        """The fields (bit mask) an n-gram occurs in."""
        out = 0
        for bit, grams in self.fields.items():
            if gram in grams:
                out |= bit
        return out  # the profile card's embedding, filled on first use (engine.embed)


_SPLIT = re.compile(r"[\s,;:!?()\[\]{}\"]+")


def fast_words(text: str) -> list[str]:
    """Normalised words of *text*: plain chunks as they are, others through the lexicon `normalize`.

    Same key space as :func:`normalize` word by word, at a fraction of the cost
    on long prose (most chunks are plain lowercase words). Clause punctuation
    splits chunks, so n-grams may cross it; that only matters for the rare
    phrase spanning a comma.
    """
    out: list[str] = []
    for chunk in _SPLIT.split(text.lower()):
        if not chunk:
            continue
        if chunk.isalnum() and chunk.isascii():
            out.append(chunk)
        else:
            out.extend(_norm_chunk(chunk))
    return out


_CHUNK_CACHE: dict[str, tuple[str, ...]] = {}


def _norm_chunk(chunk: str) -> tuple[str, ...]:
    got = _CHUNK_CACHE.get(chunk)
    if got is None:
        got = tuple(normalize(chunk).split())
        if len(_CHUNK_CACHE) > 200_000:
            _CHUNK_CACHE.clear()
        _CHUNK_CACHE[chunk] = got
    return got


def _grams(words: list[str], max_n: int = MAX_NGRAM) -> list[str]:
    """All 1..max_n-word n-grams of *words* (built with zip/map, so mostly in C)."""
    out = list(words)
    for L in range(2, max_n + 1):
        if len(words) < L:
            break
        out.extend(map(" ".join, zip(*(words[i:] for i in range(L)), strict=False)))
    return out


_TITLE_STOP = frozenset({"and", "of", "the", "for", "in", "at", "a", "an", "to", "&"})


def title_word_set(text: str) -> frozenset[str]:
    """Content words of a normalised title."""
    return frozenset(w for w in normalize(text).split() if w not in _TITLE_STOP)


def _months_between(a: YearMonth, b: YearMonth) -> int:
    return b.months() - a.months()


def build_view(doc: ProfileDoc, lex: EngineLexicon, today: YearMonth) -> ProfileView:
    """Compute the view of one profile (pure)."""
    grams: dict[int, list[str]] = {}

    def add(bit: int, words: list[str], max_n: int = MAX_NGRAM) -> None:
        grams.setdefault(bit, []).extend(_grams(words, max_n))

    skill_ids: dict[str, int] = {}
    positions: list[PositionView] = []
    texts: list[str] = []
    for i, p in enumerate(doc.positions):
        current = p.end is None
        since = 0 if current else max(0, _months_between(p.end, today)) if p.end else 999
        bit = F_CURRENT if current else (F_RECENT if since <= RECENT_MONTHS else F_OLD)
        tp = parse_title(p.title, lex) if p.title else TitleParse("", "", None, (), "")
        fams = tp.families
        if p.title_family and all(f != p.title_family for f, _ in fams):
            fams = (*fams, (p.title_family, 0.9))
        positions.append(
            PositionView(
                index=i,
                title=p.title,
                title_norm=normalize(p.title),
                parse=tp,
                families=fams,
                level=tp.level if tp.level is not None else p.level,
                current=current,
                months_since_end=since,
                duration_months=p.duration_months(today),
                start=p.start,
                end=p.end,
                company_norm=normalize(p.company or ""),
                title_words=title_word_set(tp.core or normalize(p.title)),
            )
        )
        tw = fast_words(p.title)
        bw = fast_words(" ".join(t for t in (p.summary or "", *p.highlights) if t))
        add(bit, tw)
        add(F_TITLE, tw)
        # Prose is long; skill phrases in it rarely exceed three words, and longer
        # known skills are already canonical ids (Position.skill_ids).
        add(bit, bw, PROSE_NGRAM)
        texts.append(" ".join(tw))
        texts.append(" ".join(bw))
        for sid in getattr(p, "skill_ids", ()) or ():
            skill_ids[sid] = skill_ids.get(sid, 0) | bit
    for s in doc.skills:
        sw = fast_words(s.surface)
        add(F_SKILLS, sw)
        texts.append(" ".join(sw))
        if s.id:
            src = getattr(s, "source", "skills")
            if src != "experience":
                skill_ids[s.id] = skill_ids.get(s.id, 0) | F_SKILLS
    head = " ".join(t for t in (doc.headline or "", doc.summary or "") if t)
    if head:
        hw = fast_words(head)
        add(F_HEADLINE, hw)
        if doc.headline:
            add(F_TITLE, fast_words(doc.headline))
        texts.append(" ".join(hw))
    cur = next((pv for pv in positions if pv.current), positions[0] if positions else None)
    level = cur.level if cur is not None and cur.level is not None else doc.seniority
    years = doc.years_experience
    if not years:
        years = _years(doc, today)
    summary = doc.summary or ""
    return ProfileView(
        doc=doc,
        positions=positions,
        fields={bit: frozenset(g) for bit, g in grams.items()},
        skill_ids=skill_ids,
        full_text=" " + " ".join(texts) + " ",
        level=level,
        years=years,
        relocate=bool(_RELOCATE.search(summary)),
        remote_pref=bool(_REMOTE_PREF.search(summary)),
        current_company_norm=cur.company_norm if cur is not None and cur.current else "",
        headline_norm=normalize(doc.headline or ""),
    )


def _years(doc: ProfileDoc, today: YearMonth) -> float:
    spans = sorted(
        (p.start.months(), (p.end or today).months()) for p in doc.positions if p.start is not None
    )
    total = 0
    cur_s, cur_e = -1, -1
    for s, e in spans:
        if s > cur_e:
            if cur_e >= 0:
                total += cur_e - cur_s + 1
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e >= 0:
        total += cur_e - cur_s + 1
    return round(total / 12.0, 1)


class ViewCache:
    """Profile views keyed by (profile id, updated_at, today); bounded, process-local, no I/O.

    A profile's ``updated_at`` changes whenever it is re-imported, so with it set the
    key alone identifies the content and a hit costs one dict lookup (documents are
    loaded fresh for every run). Without it, the cached view is only reused for an
    equal document.
    """

    def __init__(self, max_items: int = 50_000) -> None:
        self.max_items = max_items
        self._data: dict[tuple[str, str | None, int], ProfileView] = {}

    def get(self, doc: ProfileDoc, lex: EngineLexicon, today: YearMonth) -> ProfileView:
        key = (doc.profile_id, doc.updated_at, today.months())
        v = self._data.get(key)
        if v is not None and (doc.updated_at is not None or v.doc is doc or v.doc == doc):
            if v.doc is not doc:
                # Same content (or same version): keep the features, show the caller's document.
                v = dataclasses.replace(v, doc=doc)
                self._data[key] = v
            return v
        v = build_view(doc, lex, today)
        if len(self._data) >= self.max_items:
            self._data.clear()
        self._data[key] = v
        return v

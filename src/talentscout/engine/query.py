"""ICP -> the index's query (``talentscout.index.search.IndexQuery``, plain data).

Soft terms are weighted SHOULD terms per field: title phrases on the current
and past title fields, title family ids on the family fields (adjacent
families weaker), canonical skill ids on the skill-id fields, surface forms on
the skill text and experience fields, and the job's place as a soft location
boost so the lexical top-N is not flooded by people in the wrong place.

Hard filters come from explicit user input only: a ``location:`` clause
(countries or a radius circle), a strict ``years>=N``, visibility (global +
the caller's company) and the profiles already scored in the session.
Excluded *current* employers are enforced by the ranker's hard filter (the
index has no current-employer field; a MUST_NOT on employer names would also
drop people who merely worked there once). Nothing derived from the
description ever becomes a filter, so a vague posting cannot empty the
candidate set.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from talentscout.engine.icp import ICP
from talentscout.lexicons.normalize import normalize

if TYPE_CHECKING:
    from talentscout.index.search import IndexQuery

__all__ = ["compile_query"]

MAX_TERMS = 160


def compile_query(
    icp: ICP,
    *,
    company_id: str | None = None,
    exclude_ids: Iterable[str] = (),
    strict_must: bool = False,
    max_terms: int = MAX_TERMS,
) -> IndexQuery:
    """Compile *icp* into the index's :class:`~talentscout.index.search.IndexQuery` (see module docstring)."""
    from talentscout.index.search import Circle, Filters, IndexQuery, Term

    terms: dict[tuple[str, str], float] = {}

    def add(fld: str, text: str, boost: float) -> None:
        raw_field = fld in ("family", "family_past", "skills", "skills_exp", "country")
        t = text.strip() if raw_field else normalize(text)
        if not t or boost <= 0:
            return
        key = (fld, t)
        terms[key] = max(terms.get(key, 0.0), round(boost, 3))

    for t in icp.targetTitles:
        add("title", t.value, 3.0 * t.weight)
        add("title_past", t.value, 1.2 * t.weight)
        if t.family:
            add("family", t.family, 3.0 * t.weight)
            add("family_past", t.family, 1.5 * t.weight)
    for t in icp.titleSynonyms:
        if t.kind == "synonym":
            add("title", t.value, 2.0 * t.weight)
            add("title_past", t.value, 0.8 * t.weight)
            if t.family:
                add("family", t.family, 2.0 * t.weight)
        elif t.family:
            add("family", t.family, 0.8 * t.weight)
            add("family_past", t.family, 0.4 * t.weight)
    if icp.title:
        add("title", icp.title, 2.0)
        add("headline", icp.title, 1.0)
    musts = {id(s) for s in icp.mustHaveSkills}
    for s in icp.mustHaveSkills + icp.niceToHaveSkills:
        base = 2.0 if id(s) in musts else 0.8
        if s.id:
            add("skills", s.id, base * s.weight * 1.5)
            add("skills_exp", s.id, base * s.weight)
        for i, f in enumerate(s.surfaces[:5]):
            dec = 1.0 if i == 0 else 0.7
            add("skills_text", f, base * s.weight * dec)
            add("experience", f, 0.5 * base * s.weight * dec)
    for e in icp.expandedSkills:
        if e.id:
            add("skills", e.id, e.weight)
            add("skills_exp", e.id, 0.6 * e.weight)
    for k in icp.keywords:
        add("experience", k.value, k.weight)
        add("headline", k.value, k.weight)
    for loc in icp.locations[:1]:
        if loc.name and loc.kind == "city" and icp.workMode.mode != "remote":
            add("location", loc.name, 1.0)
        for cc in loc.countries or ([loc.countryCode] if loc.countryCode else []):
            add("country", cc, 0.6)
    ranked = sorted(terms.items(), key=lambda kv: (-kv[1], kv[0]))[:max_terms]
    should = tuple(Term(f, t, w) for (f, t), w in ranked)

    must: list[tuple[Term, ...]] = []
    if strict_must:
        for s in icp.mustHaveSkills:
            if not s.hard:
                continue
            group: list[Term] = []
            if s.id:
                group += [Term("skills", s.id), Term("skills_exp", s.id)]
            group += [Term("skills_text", normalize(f)) for f in s.surfaces[:5] if normalize(f)]
            group += [Term("experience", normalize(f)) for f in s.surfaces[:5] if normalize(f)]
            if group:
                must.append(tuple(group))

    countries: tuple[str, ...] = ()
    circles: tuple[Circle, ...] = ()
    hard_locs = [loc for loc in icp.locations if loc.hard]
    if hard_locs:
        loc = hard_locs[0]
        if (
            loc.kind == "city"
            and loc.lat is not None
            and loc.lon is not None
            and icp.workMode.mode != "remote"
        ):
            circles = (Circle(loc.lat, loc.lon, (loc.radiusKm or 50.0) * 1.5),)
            if loc.countryCode:
                countries = ()  # the circle is the constraint; the country would widen it
        elif loc.countries or loc.countryCode:
            countries = tuple(loc.countries or [loc.countryCode or ""])
    ye = icp.yearsExperience
    filters = Filters(
        company_id=company_id,
        country_codes=countries,
        circles=circles,
        # A little slack: profile years are computed from month-level dates.
        min_years=(ye.min - 0.25) if ye.hard and ye.min is not None else None,
        exclude_ids=tuple(exclude_ids),
    )
    return IndexQuery(should=should, must=tuple(must), filters=filters)

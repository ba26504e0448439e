"""Deterministic ICP derivation (ENGINE.md §2): title, description, location, query, patches -> ICP.

Precedence, lowest to highest: the description (about/benefits ignored,
responsibilities < nice-to-have < requirements), the title, the location
field, the free-text query, then each patch in order. A later, more explicit
source overrides an earlier one for the same skill (``nice: Go`` in a patch
demotes a must-have Go; ``must: Go`` promotes a nice-to-have), and only the
query/patches can make hard constraints.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from talentscout.engine.extract import (
    LANGUAGES,
    SkillMention,
    extract_languages,
    extract_skills,
    extract_years,
)
from talentscout.engine.grammar import ParsedQuery, QueryItem, parse_query
from talentscout.engine.icp import (
    ICP,
    Evidence,
    ExcludedCompany,
    ExpandedSkill,
    LocationCriterion,
    NegativeKeyword,
    SeniorityCriterion,
    SkillCriterion,
    Source,
    TextCriterion,
    TitleCriterion,
    WorkMode,
    YearsCriterion,
)
from talentscout.engine.lexicon import EngineLexicon, Place
from talentscout.engine.stats import SkillStats
from talentscout.engine.text import CleanText, Line, split_sections, strip_markup
from talentscout.engine.titles import parse_title
from talentscout.lexicons.normalize import normalize

__all__ = ["IcpInput", "derive_icp", "input_hash"]

# Section weights for skills (requirements dominate; responsibilities hint).
SECTION_WEIGHT = {
    "requirements": 1.0,
    "nice": 0.55,
    "responsibilities": 0.3,
    "intro": 0.6,
    "other": 0.6,
    "title": 0.9,
}
# Expansion weights by relation (ENGINE.md §2), decayed by rank within a parent.
EXPANSION_WEIGHT = {"alias": 0.95, "narrower": 0.75, "broader": 0.7, "cooccurrence": 0.5, "embedding": 0.4}
MAX_EXPANSIONS_PER_SKILL = 5
EXPANSION_DECAY = 0.9
DEFAULT_RADIUS_KM = 50.0


@dataclass(frozen=True)
class IcpInput:
    """What the ICP is derived from."""

    title: str = ""
    job_description: str = ""
    location: str = ""
    query: str = ""
    patches: tuple[str, ...] = ()


def input_hash(inp: IcpInput) -> str:
    """sha256 over the canonical JSON of the input (cache key for the LLM step, stable across runs)."""
    payload = json.dumps(
        {
            "t": inp.title,
            "jd": inp.job_description,
            "loc": inp.location,
            "q": inp.query,
            "p": list(inp.patches),
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class _SkillAcc:
    key: str
    id: str | None
    label: str
    forms: list[str] = field(default_factory=list)
    must_w: float = 0.0
    nice_w: float = 0.0
    source_must: Source | None = None
    source_nice: Source | None = None
    evidence: list[Evidence] = field(default_factory=list)
    hard: bool = False
    explicit_kind: str | None = None  # set by query/patch: "must" | "nice" (latest wins)
    explicit_rank: int = -1
    min_years: float | None = None
    order: int = 0


def _ev(field_name: str, text: str, start: int, end: int, patch: int | None = None) -> Evidence:
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    return Evidence(field=field_name, start=start, end=end, text=text[start:end], patch=patch)


class _Builder:
    def __init__(self, inp: IcpInput, lex: EngineLexicon, stats: SkillStats | None) -> None:
        self.inp = inp
        self.lex = lex
        self.stats = stats
        self.skills: dict[str, _SkillAcc] = {}
        self.order = 0
        self.notes: list[str] = []

    # -- skills --------------------------------------------------------------

    def add_skill(
        self,
        m: SkillMention,
        *,
        kind: str,
        weight: float,
        source: Source,
        evidence: Evidence,
        explicit_rank: int = -1,
        hard: bool = False,
    ) -> _SkillAcc:
        key = m.skill_id or "~" + m.form
        acc = self.skills.get(key)
        if acc is None:
            self.order += 1
            acc = _SkillAcc(key=key, id=m.skill_id, label=m.label, order=self.order)
            self.skills[key] = acc
        if m.form and m.form not in acc.forms:
            acc.forms.append(m.form)
        acc.evidence.append(evidence)
        w = weight * m.strength
        if kind == "must":
            if w > acc.must_w:
                acc.must_w, acc.source_must = w, source
        elif w > acc.nice_w:
            acc.nice_w, acc.source_nice = w, source
        if explicit_rank >= 0 and explicit_rank >= acc.explicit_rank:
            acc.explicit_kind, acc.explicit_rank = kind, explicit_rank
            acc.hard = hard if kind == "must" else False
        return acc

    def resolve_item(self, value: str, start: int) -> list[SkillMention]:
        """A query/patch item ("Python 3", "Embedded Linux", "k8s") as skills."""
        found = extract_skills(value, start, self.lex, list_like=True)
        if found:
            return found
        norm = normalize(value)
        if not norm:
            return []
        return [SkillMention(None, value.strip(), norm, start, start + len(value), 0.9)]


def _section_of_kind(lines: Sequence[Line]) -> set[str]:
    return {ln.section for ln in lines}


def derive_icp(
    inp: IcpInput,
    lex: EngineLexicon,
    stats: SkillStats | None = None,
) -> ICP:
    """Derive the ICP deterministically (no LLM, no I/O)."""
    b = _Builder(inp, lex, stats)
    icp = ICP(inputHash=input_hash(inp), title=inp.title)

    # --- title -------------------------------------------------------------------
    tp = parse_title(inp.title, lex) if inp.title.strip() else None
    title_span = [_ev("title", inp.title, 0, len(inp.title))] if inp.title else []
    if tp is not None:
        if tp.families:
            for i, (fid, conf) in enumerate(tp.families[:3]):
                icp.targetTitles.append(
                    TitleCriterion(
                        value=lex.family_label(fid),
                        weight=round(conf * (1.0 if i == 0 else 0.85), 3),
                        source="title",
                        evidence=title_span,
                        family=fid,
                        kind="target",
                    )
                )
            fam = lex.families.get(tp.families[0][0])
            if fam is not None:
                for syn in fam.synonyms[:8]:
                    icp.titleSynonyms.append(
                        TitleCriterion(
                            value=syn, weight=0.9, source="title", evidence=[], family=fam.id, kind="synonym"
                        )
                    )
                for rel in fam.related[:6]:
                    icp.titleSynonyms.append(
                        TitleCriterion(
                            value=lex.family_label(rel),
                            weight=0.5,
                            source="expansion",
                            family=rel,
                            kind="adjacent",
                        )
                    )
        else:
            icp.targetTitles.append(
                TitleCriterion(
                    value=tp.core or normalize(inp.title), weight=0.8, source="title", evidence=title_span
                )
            )
        if tp.level is not None:
            icp.seniority = SeniorityCriterion(
                value=_LEVEL_NAMES[tp.level], weight=1.0, source="title", evidence=title_span, level=tp.level
            )
        # Skills named in the title ("Python Developer", "Embedded C Developer").
        for m in extract_skills(inp.title, 0, lex, list_like=False):
            b.add_skill(
                m, kind="must", weight=0.8, source="title", evidence=_ev("title", inp.title, m.start, m.end)
            )

    # --- description ---------------------------------------------------------------
    clean = strip_markup(inp.job_description or "")
    lines = split_sections(clean.text)
    kinds = _section_of_kind(lines)
    has_requirements = "requirements" in kinds
    years: YearsCriterion | None = None
    jd = inp.job_description or ""
    for ln in lines:
        if ln.index_in_section < 0 or ln.section in ("about", "benefits"):
            continue
        if ln.section == "title" and normalize(ln.text) == normalize(inp.title):
            continue
        sec = ln.section
        # Years of experience (requirement-like sections only: benefits "25 days"
        # never reach here, and "5 years" in the company blurb is not a requirement).
        # Outside requirement sections a number of years only counts next to
        # "experience" ("over the past 25 years our company…" is not a requirement).
        years_ok = sec in ("requirements", "nice") or (
            sec in ("intro", "other", "title") and _EXPERIENCE_WORD.search(ln.text) is not None
        )
        if years_ok:
            for ym in extract_years(ln.text, ln.start):
                ev = _ev("jobDescription", jd, *clean.span(ym.start, ym.end))
                per_skill = extract_skills(ym.skill_text, 0, lex, list_like=True)[:1] if ym.skill_text else []
                per_skill = [m for m in per_skill if m.skill_id]
                for m in per_skill:
                    key = m.skill_id or "~" + m.form
                    if key not in b.skills:
                        b.order += 1
                        b.skills[key] = _SkillAcc(key=key, id=m.skill_id, label=m.label, order=b.order)
                    acc = b.skills[key]
                    acc.min_years = max(acc.min_years or 0.0, ym.min or 0.0) or None
                if not per_skill and years is None and sec != "nice":
                    years = YearsCriterion(min=ym.min, max=ym.max, source="jd_required", evidence=[ev])
                # "5+ years as a Data Engineer or similar role": a title the description accepts.
                role = _AS_ROLE.search(ln.text[ym.end - ln.start :])
                if role is not None:
                    rp = parse_title(role.group(1), lex)
                    if rp.families and rp.families[0][1] >= 0.9:
                        rs = ym.end + role.start(1)
                        icp.titleSynonyms.insert(
                            0,
                            TitleCriterion(
                                value=role.group(1).strip(),
                                weight=0.8,
                                source="jd_required",
                                evidence=[
                                    _ev("jobDescription", jd, *clean.span(rs, rs + len(role.group(1))))
                                ],
                                family=rp.families[0][0],
                                kind="synonym",
                            ),
                        )
        for lang, s, e in extract_languages(ln.text, ln.start):
            if sec in ("requirements", "nice", "intro", "other") and not any(
                x.value == lang for x in icp.languages
            ):
                icp.languages.append(
                    TextCriterion(
                        value=lang,
                        weight=1.0 if sec == "requirements" else 0.5,
                        source="jd_required" if sec == "requirements" else "jd_preferred",
                        evidence=[_ev("jobDescription", jd, *clean.span(s, e))],
                    )
                )
        if sec in ("requirements", "nice", "intro", "other"):
            _education_and_industry(icp, ln, sec, clean, jd)
        list_like = ln.bullet or (sec in ("requirements", "nice") and len(ln.text.split()) <= 12)
        if sec == "responsibilities":
            list_like = False
        mentions = extract_skills(ln.text, ln.start, lex, list_like=list_like)
        for pos, m in enumerate(mentions):
            if sec == "requirements":
                kind = "nice" if m.marker == "nice" else "must"
                src: Source = "jd_required" if kind == "must" else "jd_preferred"
            elif sec == "nice":
                kind, src = ("must", "jd_required") if m.marker == "must" else ("nice", "jd_preferred")
            elif sec == "responsibilities":
                kind, src = "nice", "jd_responsibilities"
            else:  # unsectioned prose: requirement-ish unless the line says otherwise
                if m.marker == "nice":
                    kind, src = "nice", "jd_preferred"
                elif m.marker == "must" or not has_requirements:
                    kind, src = "must", "jd_required"
                else:
                    kind, src = "nice", "jd_preferred"
            # Soft skills read from prose ("work independently", "make decisions") are
            # hints, not requirements: a list item or the query can still make them must-haves.
            if not list_like and kind == "must" and lex.is_soft(m.skill_id):
                kind, src = "nice", "jd_preferred"
            base_w = SECTION_WEIGHT.get(sec, 0.5)
            if sec == "requirements" and m.marker == "must":
                base_w = 1.0
            # Earlier bullets and earlier items within a bullet matter a bit more.
            pos_decay = max(0.75, 1.0 - 0.02 * max(ln.index_in_section, 0) - 0.03 * pos)
            w = base_w * pos_decay
            if kind == "nice" and sec in ("requirements", "nice"):
                w = min(w, 0.6)
            b.add_skill(
                m,
                kind=kind,
                weight=w,
                source=src,
                evidence=_ev("jobDescription", jd, *clean.span(m.start, m.end)),
            )
    if years is not None:
        icp.yearsExperience = years

    # --- location ---------------------------------------------------------------------
    _apply_location(icp, inp.location, "location", None, lex, hard=False, source="location")

    # --- query and patches ---------------------------------------------------------------
    texts: list[tuple[str, str, int | None, Source]] = []
    if inp.query.strip():
        texts.append((inp.query, "query", None, "query"))
    for i, p in enumerate(inp.patches):
        if p.strip():
            texts.append((p, "patch", i, "patch"))
    for rank, (text, fname, pidx, src) in enumerate(texts, 1):
        pq = parse_query(text)
        _apply_query(
            b, icp, pq, text, fname, pidx, src, rank, tp.families[0][0] if tp and tp.families else None
        )

    # --- seniority fallback from years -------------------------------------------
    if icp.seniority is None and icp.yearsExperience.min is not None:
        lvl = _level_from_years(icp.yearsExperience.min)
        icp.seniority = SeniorityCriterion(
            value=_LEVEL_NAMES[lvl],
            weight=0.5,
            source="jd_required",
            evidence=icp.yearsExperience.evidence,
            level=lvl,
            tolerance=1,
        )

    # --- finalize skills ----------------------------------------------------------------
    accs = sorted(b.skills.values(), key=lambda a: a.order)
    for acc in accs:
        kind = acc.explicit_kind or ("must" if acc.must_w >= acc.nice_w and acc.must_w > 0 else "nice")
        if kind == "must" and acc.must_w == 0 and acc.explicit_kind is None:
            kind = "nice"
        surfaces = _surfaces(acc, lex)
        if kind == "must":
            weight = 1.0 if acc.explicit_kind == "must" else max(acc.must_w, 0.3)
            src = acc.source_must or "jd_required"
            if acc.explicit_kind == "must":
                src = acc.source_must if acc.source_must in ("query", "patch") else "query"
            icp.mustHaveSkills.append(
                SkillCriterion(
                    value=acc.label,
                    weight=round(min(weight, 1.0), 3),
                    source=src,
                    evidence=acc.evidence[:4],
                    id=acc.id,
                    label=acc.label,
                    surfaces=surfaces,
                    minYears=acc.min_years,
                    hard=acc.hard,
                )
            )
        else:
            weight = max(acc.nice_w, acc.must_w * 0.6, 0.2)
            src = acc.source_nice or acc.source_must or "jd_preferred"
            icp.niceToHaveSkills.append(
                SkillCriterion(
                    value=acc.label,
                    weight=round(min(weight, 1.0), 3),
                    source=src,
                    evidence=acc.evidence[:4],
                    id=acc.id,
                    label=acc.label,
                    surfaces=surfaces,
                    minYears=acc.min_years,
                )
            )
    # Too many "must-haves" from a long unsectioned posting: keep the strongest as must.
    if len(icp.mustHaveSkills) > 12:
        ranked = sorted(icp.mustHaveSkills, key=lambda s: (-s.hard, -s.weight))
        keep = {id(s) for s in ranked[:12]}
        demoted = [s for s in icp.mustHaveSkills if id(s) not in keep]
        icp.mustHaveSkills = [s for s in icp.mustHaveSkills if id(s) in keep]
        for crit in demoted:
            crit.weight = round(crit.weight * 0.6, 3)
            icp.niceToHaveSkills.append(crit)
        icp.notes.append(f"{len(demoted)} lower-weight requirements were treated as nice-to-have")

    _expand(icp, lex, stats)
    _confusables(icp, lex, tp.families[0][0] if tp and tp.families else None)
    icp.notes.extend(b.notes)
    return icp


_EXPERIENCE_WORD = re.compile(r"\bexperien|\byoe\b|\bexp\b", re.I)
_AS_ROLE = re.compile(
    r"^[^.;]{0,40}?\bas an?\s+([A-Za-z][\w .&/+#-]{2,60}?)(?:\s+or\s+(?:a\s+)?similar|\s+or\s+equivalent|[,.;(]|$)",
    re.I,
)

_LEVEL_NAMES = ("intern", "junior", "mid", "senior", "lead", "principal", "director", "executive")


_EDUCATION = re.compile(
    r"\b(?:(?:bachelor|master|doctoral|associate)(?:'?s)?(?: degree)?|ph\.?d|doctorate|b\.?sc|m\.?sc|b\.?a|m\.?a|mba|"
    r"b\.?eng|m\.?eng|degree|diploma)\b(?:\s+(?:in|of)\s+(?P<area>[A-Za-z][A-Za-z &/-]{2,60}?))?(?=[,.;()]|\s+or\b|\s+and\b|$)",
    re.IGNORECASE,
)
_INDUSTRY = re.compile(
    r"\b(?:in|within|from)\s+(?:the\s+|a\s+)?(?P<ind>[A-Za-z][A-Za-z&/-]*(?:\s+[A-Za-z&/-]+)?)\s+(?:industry|sector|domain)\b",
    re.IGNORECASE,
)


def _education_and_industry(icp: ICP, ln: Line, sec: str, clean: CleanText, jd: str) -> None:
    """Stated education ("Bachelor's degree in Computer Science") and industry ("in the fintech industry")."""
    src: Source = "jd_required" if sec in ("requirements", "intro", "other") else "jd_preferred"
    weight = 1.0 if src == "jd_required" else 0.5
    for m in _EDUCATION.finditer(ln.text):
        value = m.group(0).strip()
        if len(value) < 3 or any(e.value.lower() == value.lower() for e in icp.education):
            continue
        s, e = clean.span(ln.start + m.start(), ln.start + m.end())
        icp.education.append(
            TextCriterion(value=value, weight=weight, source=src, evidence=[_ev("jobDescription", jd, s, e)])
        )
    for m in _INDUSTRY.finditer(ln.text):
        value = m.group("ind").strip()
        if value.lower() in ("same", "this", "our", "similar", "relevant", "an", "the") or any(
            x.value.lower() == value.lower() for x in icp.industries
        ):
            continue
        s, e = clean.span(ln.start + m.start("ind"), ln.start + m.end("ind"))
        icp.industries.append(
            TextCriterion(value=value, weight=weight, source=src, evidence=[_ev("jobDescription", jd, s, e)])
        )


def _level_from_years(y: float) -> int:
    if y < 1:
        return 1
    if y < 3:
        return 2
    if y < 6:
        return 3
    return 4 if y >= 10 else 3


def _surfaces(acc: _SkillAcc, lex: EngineLexicon) -> list[str]:
    out: list[str] = list(acc.forms)
    if acc.id:
        for f in lex.skill_surfaces(acc.id, limit=14):
            if f in out:
                continue
            owners = lex.skill_forms.get(f, [])
            # A form that more strongly means another skill is not a safe surface.
            if owners and owners[0][0] != acc.id:
                continue
            out.append(f)
    return [s for s in out if s][:16]


def _apply_location(
    icp: ICP, text: str, fname: str, pidx: int | None, lex: EngineLexicon, *, hard: bool, source: Source
) -> None:
    if not text or not text.strip():
        return
    low = text.lower()
    ev = [_ev(fname, text, 0, len(text), pidx)]
    remote = bool(re.search(r"\b(remote|anywhere|wfh|work from home|distributed)\b", low))
    hybrid = bool(re.search(r"\bhybrid\b", low))
    place: Place | None = lex.gazetteer.resolve(text) if lex.gazetteer is not None else None
    if place is not None:
        remote = remote or place.remote
    mode = "remote" if remote and not hybrid else ("hybrid" if hybrid else "onsite")
    if place is not None:
        kind = {"city": "city", "region": "region", "country": "country", "remote_region": "group"}.get(
            place.kind, "unknown"
        )
        if place.remote and len(place.country_codes) == 1:
            kind = "country"
        variants: list[str] = []
        if lex.gazetteer is not None and hasattr(lex.gazetteer, "names_for"):
            variants = list(lex.gazetteer.names_for(place))[:12]
        crit = LocationCriterion(
            value=text.strip(),
            weight=1.0,
            source=source,
            evidence=ev,
            kind=kind,
            name=place.name,
            countryCode=place.country_code,
            region=place.region,
            lat=place.lat,
            lon=place.lon,
            radiusKm=(place.radius_km or DEFAULT_RADIUS_KM) if kind == "city" else None,
            countries=list(place.country_codes),
            variants=variants,
            hard=hard,
        )
    else:
        crit = LocationCriterion(
            value=text.strip(), weight=0.5, source=source, evidence=ev, kind="unknown", hard=hard
        )
        icp.notes.append(f"location {text.strip()!r} was not recognised; location fit is unknown")
    if hard:
        icp.locations.insert(0, crit)
    else:
        icp.locations.append(crit)
    if mode == "remote":
        icp.workMode = WorkMode(
            mode="remote",
            remoteRegion=place.name if place else None,
            countries=list(place.country_codes) if place else [],
            source=source,
            evidence=ev,
        )
    elif icp.workMode.mode is None or source in ("query", "patch"):
        icp.workMode = WorkMode(mode=mode, source=source, evidence=ev)


def _apply_query(
    b: _Builder,
    icp: ICP,
    pq: ParsedQuery,
    text: str,
    fname: str,
    pidx: int | None,
    src: Source,
    rank: int,
    target_family: str | None,
) -> None:
    lex = b.lex

    def ev(item: QueryItem) -> Evidence:
        return _ev(fname, text, item.start, item.end, pidx)

    for item in pq.must:
        for m in b.resolve_item(item.value, item.start):
            b.add_skill(
                m,
                kind="must",
                weight=1.0,
                source=src,
                evidence=_ev(fname, text, m.start, m.end, pidx),
                explicit_rank=rank,
                hard=True,
            )
    for item in pq.nice:
        for m in b.resolve_item(item.value, item.start):
            b.add_skill(
                m,
                kind="nice",
                weight=0.8,
                source=src,
                evidence=_ev(fname, text, m.start, m.end, pidx),
                explicit_rank=rank,
            )
    for item in pq.keywords + pq.phrases:
        found = extract_skills(item.value, item.start, lex, list_like=False)
        if not found:
            found = [f for f in extract_skills(item.value, item.start, lex, list_like=True) if f.skill_id]
        covered: set[int] = set()
        for m in found:
            b.add_skill(
                m, kind="nice", weight=0.8, source=src, evidence=_ev(fname, text, m.start, m.end, pidx)
            )
            covered.update(range(m.start, m.end))
        rest = "".join(" " if (item.start + i) in covered else ch for i, ch in enumerate(item.value)).strip()
        rest_norm = normalize(rest)
        if rest_norm:
            tpr = parse_title(rest, lex)
            if tpr.families and tpr.matched and len(tpr.matched.split()) >= 1 and tpr.families[0][1] >= 0.9:
                fid = tpr.families[0][0]
                icp.titleSynonyms.insert(
                    0,
                    TitleCriterion(
                        value=rest.strip(),
                        weight=0.9,
                        source=src,
                        evidence=[ev(item)],
                        family=fid,
                        kind="synonym",
                    ),
                )
            elif rest_norm not in LANGUAGES:
                icp.keywords.append(
                    TextCriterion(value=rest.strip(), weight=0.6, source=src, evidence=[ev(item)])
                )
    for item in pq.exclude:
        icp.excludedCompanies.append(
            ExcludedCompany(value=item.value, weight=1.0, source=src, evidence=[ev(item)])
        )
    title_words = set(normalize(icp.title).split())
    must_forms = {
        f for s in b.skills.values() if s.explicit_kind == "must" or s.must_w >= 0.9 for f in s.forms
    }
    for item in pq.negative:
        norm = normalize(item.value)
        if not norm:
            continue
        conflict = norm in title_words or norm in must_forms or any(norm == w for w in title_words)
        weight = 0.15 if conflict else 1.0
        if conflict:
            b.notes.append(
                f"negative keyword {item.value!r} also appears in the target title or a must-have; it only "
                "penalises titles that contain it without matching the target"
            )
        icp.negativeKeywords.append(
            NegativeKeyword(value=item.value, weight=weight, source=src, evidence=[ev(item)], kind="explicit")
        )
    if pq.min_years is not None or pq.max_years is not None:
        lo = float(pq.min_years.value) if pq.min_years else icp.yearsExperience.min
        hi = float(pq.max_years.value) if pq.max_years else icp.yearsExperience.max
        if lo is not None and hi is not None and hi < lo:
            hi = None
        spans = [ev(x) for x in (pq.min_years, pq.max_years) if x is not None]
        icp.yearsExperience = YearsCriterion(
            min=lo, max=hi, hard=pq.min_years is not None, source=src, evidence=spans
        )
    for item in pq.locations:
        _apply_location(icp, item.value, fname, pidx, lex, hard=True, source=src)
    if pq.remote is not None:
        countries = icp.locations[0].countries if icp.locations else []
        region = icp.locations[0].name if icp.locations else None
        icp.workMode = WorkMode(
            mode="remote",
            remoteRegion=region,
            countries=list(countries),
            source=src,
            evidence=[ev(pq.remote)],
        )
    elif pq.hybrid is not None:
        icp.workMode = WorkMode(mode="hybrid", source=src, evidence=[ev(pq.hybrid)])
    elif pq.onsite is not None:
        icp.workMode = WorkMode(mode="onsite", source=src, evidence=[ev(pq.onsite)])


def _expand(icp: ICP, lex: EngineLexicon, stats: SkillStats | None) -> None:
    """Aliases, hierarchy neighbours and co-occurrence neighbours of each skill (≤ 5 each, decaying)."""
    taken = {s.id for s in icp.mustHaveSkills + icp.niceToHaveSkills if s.id}
    for parent in icp.mustHaveSkills + icp.niceToHaveSkills:
        if not parent.id or parent.id not in lex.skills:
            continue
        info = lex.skills[parent.id]
        cands: list[tuple[str, str]] = []
        for nid in sorted(
            (n for n in lex.narrower.get(parent.id, ()) if n in lex.skills and lex.skills[n].kind == "skill"),
            key=lambda n: (-lex.skills[n].hot, -lex.skills[n].n_occupations, n),
        )[:3]:
            cands.append((nid, "narrower"))
        for bid in info.broader:
            bi = lex.skills.get(bid)
            if bi is not None and bi.kind == "skill":
                cands.append((bid, "broader"))
        if stats is not None:
            for rid, _npmi in stats.related(parent.id, 4):
                cands.append((rid, "cooccurrence"))
        n = 0
        seen: set[str] = set()
        for cid, via in cands:
            if cid in taken or cid in seen or cid not in lex.skills:
                continue
            seen.add(cid)
            w = EXPANSION_WEIGHT[via] * (EXPANSION_DECAY**n)
            ci = lex.skills[cid]
            icp.expandedSkills.append(
                ExpandedSkill(
                    value=ci.label,
                    weight=round(w, 3),
                    source="expansion",
                    id=cid,
                    label=ci.label,
                    parent=parent.value,
                    via=via,
                    surfaces=[
                        f
                        for f in lex.skill_surfaces(cid, limit=6)
                        if (lex.skill_forms.get(f) or [("", 0)])[0][0] == cid
                    ][:6],
                )
            )
            n += 1
            if n >= MAX_EXPANSIONS_PER_SKILL:
                break


def _confusables(icp: ICP, lex: EngineLexicon, family: str | None) -> None:
    """Soft negatives for look-alike titles of the target family (Data Engineer vs Data Entry)."""
    if family is None:
        return
    seen: set[str] = set()
    for _form, fid in lex.iter_confusable_titles(family):
        label = lex.family_label(fid)
        if label in seen:
            continue
        seen.add(label)
        icp.negativeKeywords.append(
            NegativeKeyword(value=label, weight=0.5, source="expansion", kind="confusable", evidence=[])
        )

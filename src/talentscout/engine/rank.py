"""Feature ranking (ENGINE.md §3).

Each candidate gets features in [0, 1], each with the evidence it came from:

| feature     | meaning |
|-------------|---------|
| title       | best position title vs the target family: same family 1.0, same SOC group 0.8, adjacent 0.6, else title-word overlap; past titles decay with age |
| must        | weighted share of must-have skills held (exact/alias 1.0, narrower/broader 0.75, co-occurring 0.4); held in a current/recent role or the skills list counts fully, only in an old role 0.8 |
| nice        | the same over nice-to-haves (and free query keywords) |
| seniority   | 1 within the tolerance; each level under costs 0.35, each level over 0.2 |
| experience  | 1 inside [min, max]; smooth decay outside |
| location    | same city 1.0, within radius 0.9, same region 0.7, same country with remote/hybrid or relocation 0.6–1.0, else 0 |
| lexical     | the index's BM25 of the expanded query, divided by the best in the candidate set |
| negatives   | multiplicative: explicit negative keywords in the current title/headline, confusable titles |

``matchScore = round(100 × negatives × Σ weight·feature)`` with
:data:`DEFAULT_WEIGHTS` (title and required skills dominate, tuned on the
development benchmark only). Caps, applied after the sum and monotone in it
(``cap × (0.5 + 0.5·raw)``) so the order inside a capped group is kept:
a missing explicit ``must:`` skill caps at 45, JD must-have coverage under
one half at 60, a location that does not fit at 40. Hard constraints
(excluded current employer, strict minimum years, a ``location:`` clause)
remove the candidate before scoring. Ties break on profileId.

No feature reads the name, gender, age, photos, or proxies like graduation
year: the view does not even contain them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from talentscout.engine.features import (
    F_CURRENT,
    F_HEADLINE,
    F_OLD,
    F_RECENT,
    F_SKILLS,
    ProfileView,
    title_word_set,
)
from talentscout.engine.icp import ICP, SkillCriterion
from talentscout.engine.lexicon import EngineLexicon
from talentscout.engine.profile import Place
from talentscout.lexicons.gazetteer import haversine_km
from talentscout.lexicons.normalize import normalize

__all__ = [
    "DEFAULT_WEIGHTS",
    "FEATURES",
    "Matcher",
    "ScoredCandidate",
    "SkillHit",
    "build_matcher",
    "score_candidates",
]

FEATURES = ("title", "must", "nice", "seniority", "experience", "location", "lexical", "semantic")

# Default weights (sum 1), tuned on bench-dev with bench/engine/tune.py and then
# rounded to a plausible general weighting: title and required skills dominate
# (0.55 together), location matters because a recruiter cannot use someone who
# cannot work there. `semantic` (static embeddings) added nothing on top of the
# lexicon features on bench-dev, so it defaults to 0: the embeddings serve dense
# candidate retrieval; set a weight to use them in the score too.
DEFAULT_WEIGHTS: dict[str, float] = {
    "title": 0.22,
    "must": 0.33,
    "nice": 0.04,
    "seniority": 0.07,
    "experience": 0.07,
    "location": 0.22,
    "lexical": 0.05,
    "semantic": 0.0,
}

CAP_HARD_MUST = 45.0
CAP_MUST_COVERAGE = 60.0
CAP_LOCATION = 40.0
MUST_COVERAGE_FOR_CAP = 0.5

# Strength of a skill held through a relation rather than directly.
REL_STRENGTH = {
    "direct": 1.0,
    "alias": 1.0,
    "narrower": 0.75,
    "broader": 0.75,
    "cooccurrence": 0.4,
    "embedding": 0.4,
    "family": 0.4,
}


@dataclass(frozen=True, slots=True)
class SkillHit:
    """How a candidate holds one criterion: via which form/id, where, how strongly."""

    criterion: int
    strength: float
    via: str  # "direct" | "alias" | "narrower" | …
    form: str  # the surface or skill id that matched
    where: int  # field bits
    expanded_label: str | None = None


@dataclass
class _Form:
    criterion: int
    via: str
    weight: float
    label: str | None


@dataclass
class Matcher:
    """ICP skills compiled for fast per-profile lookups."""

    criteria: list[SkillCriterion]
    kinds: list[str]  # "must" | "nice" | "keyword"
    forms: dict[str, list[_Form]]
    ids: dict[str, list[_Form]]
    long_forms: list[tuple[str, _Form]]  # forms longer than the n-gram window
    target_families: dict[str, float]
    family_soc: dict[str, float]
    adjacent: dict[str, float]
    target_title_words: list[set[str]]
    negatives: list[tuple[str, float, str]]  # (normalised term, weight, kind)
    confusable_families: set[str]
    excluded: list[str]
    form_keys: frozenset[str] = frozenset()


def effective_weights(
    overrides: Mapping[str, float] | None = None, *, semantic: bool = False
) -> dict[str, float]:
    """The weights actually used: defaults, overrides, and no weight on `semantic` without embeddings."""
    w = dict(DEFAULT_WEIGHTS)
    if overrides:
        w.update(overrides)
    if not semantic:
        w["semantic"] = 0.0
    return w


def _title_words(text: str) -> set[str]:
    return set(title_word_set(text))


def build_matcher(icp: ICP, lex: EngineLexicon) -> Matcher:
    """Compile the ICP's skills, titles and negatives into lookup tables."""
    criteria: list[SkillCriterion] = []
    kinds: list[str] = []
    for s in icp.mustHaveSkills:
        criteria.append(s)
        kinds.append("must")
    for s in icp.niceToHaveSkills:
        criteria.append(s)
        kinds.append("nice")
    for k in icp.keywords:
        criteria.append(
            SkillCriterion(
                value=k.value,
                weight=k.weight,
                source=k.source,
                evidence=k.evidence,
                label=k.value,
                surfaces=[normalize(k.value)],
            )
        )
        kinds.append("keyword")
    forms: dict[str, list[_Form]] = {}
    ids: dict[str, list[_Form]] = {}
    long_forms: list[tuple[str, _Form]] = []
    index_of_value = {c.value: i for i, c in enumerate(criteria)}

    def add_form(f: str, fm: _Form) -> None:
        if not f:
            return
        if len(f.split()) > 5:
            long_forms.append((f" {f} ", fm))
        else:
            forms.setdefault(f, []).append(fm)

    for i, c in enumerate(criteria):
        if c.id:
            ids.setdefault(c.id, []).append(_Form(i, "direct", 1.0, None))
        for j, f in enumerate(c.surfaces):
            add_form(f, _Form(i, "direct" if j == 0 else "alias", 1.0, None))
    for e in icp.expandedSkills:
        i = index_of_value.get(e.parent, -1)
        if i < 0:
            continue
        strength = REL_STRENGTH.get(e.via, 0.4)
        fm = _Form(i, e.via, strength, e.label)
        if e.id:
            ids.setdefault(e.id, []).append(fm)
        for f in e.surfaces:
            add_form(f, fm)
    targets: dict[str, float] = {}
    for t in icp.targetTitles:
        if t.family:
            targets[t.family] = max(targets.get(t.family, 0.0), t.weight)
    family_soc: dict[str, float] = {}
    adjacent: dict[str, float] = {}
    for fid, w in targets.items():
        soc = lex.soc6(fid)
        if soc != fid:
            for other in lex.families:
                if other.startswith(soc) and other not in targets:
                    family_soc[other] = max(family_soc.get(other, 0.0), w)
        for rel in lex.related_families(fid):
            if rel not in targets:
                adjacent[rel] = max(adjacent.get(rel, 0.0), w)
    for t in icp.titleSynonyms:
        if (
            t.kind == "synonym"
            and t.family
            and t.source in ("query", "patch", "llm")
            and t.family not in targets
        ):
            targets[t.family] = 0.9
    title_words = [_title_words(t.value) for t in icp.targetTitles if not t.family]
    core = normalize(icp.title)
    if core:
        title_words.append(_title_words(core))
    for t in icp.titleSynonyms:
        if t.kind == "synonym" and t.source in ("query", "patch", "llm"):
            title_words.append(_title_words(t.value))
    negatives = [(normalize(n.value), n.weight, n.kind) for n in icp.negativeKeywords if n.kind == "explicit"]
    confusable = set()
    for fid in targets:
        for _form, other in lex.iter_confusable_titles(fid):
            if other not in targets:
                confusable.add(other)
    return Matcher(
        criteria=criteria,
        kinds=kinds,
        forms=forms,
        ids=ids,
        long_forms=long_forms,
        target_families=targets,
        family_soc=family_soc,
        adjacent=adjacent,
        target_title_words=[w for w in title_words if w],
        negatives=[n for n in negatives if n[0]],
        confusable_families=confusable,
        excluded=[normalize(c.value) for c in icp.excludedCompanies if normalize(c.value)],
        form_keys=frozenset(forms),
    )


def _where_strength(bits: int) -> float:
    """How much a mention counts by where it is: skills list / current / recent role 1.0, old role 0.8."""
    if bits & (F_SKILLS | F_CURRENT | F_RECENT):
        return 1.0
    if bits & F_HEADLINE:
        return 0.9
    if bits & F_OLD:
        return 0.8
    return 0.0


def match_skills(view: ProfileView, m: Matcher) -> dict[int, SkillHit]:
    """Best hit per criterion for one profile."""
    best: dict[int, SkillHit] = {}

    def offer(fm: _Form, bits: int, form: str) -> None:
        ws = _where_strength(bits)
        if ws <= 0:
            return
        st = fm.weight * ws
        cur = best.get(fm.criterion)
        if cur is None or st > cur.strength:
            best[fm.criterion] = SkillHit(fm.criterion, st, fm.via, form, bits, fm.label)

    for sid, bits in view.skill_ids.items():
        for fm in m.ids.get(sid, ()):
            offer(fm, bits, sid)
    forms = m.forms
    keys = m.form_keys
    found: dict[str, int] = {}
    for bit, grams in view.fields.items():
        # Set intersection runs in C over the smaller side (usually the ICP's forms).
        for f in keys & grams:
            found[f] = found.get(f, 0) | bit
    for f, got in found.items():
        for fm in forms[f]:
            offer(fm, got, f)
    for f, fm in m.long_forms:
        if f in view.full_text:
            offer(fm, F_OLD, f.strip())
    return best


@dataclass
class ScoredCandidate:
    """One ranked candidate: features, evidence and the final score."""

    view: ProfileView
    features: dict[str, float]
    score: int
    raw: float
    hits: dict[int, SkillHit]
    title_evidence: tuple[int, str, float] | None  # (position index, how, score)
    location_evidence: str
    negative_evidence: list[str]
    caps: list[str] = field(default_factory=list)
    must_missing: list[int] = field(default_factory=list)
    negative_factor: float = 1.0


def _family_sim(fams: Sequence[tuple[str, float]], m: Matcher) -> tuple[float, str]:
    best, how = 0.0, ""
    for fid, conf in fams:
        if fid in m.target_families:
            s, h = conf * m.target_families[fid], "same occupation"
        elif fid in m.family_soc:
            s, h = 0.8 * conf * m.family_soc[fid], "same occupation group"
        elif fid in m.adjacent:
            s, h = 0.6 * conf * m.adjacent[fid], "adjacent occupation"
        else:
            continue
        if s > best:
            best, how = s, h
    return best, how


def _title_overlap(words: frozenset[str], m: Matcher) -> float:
    if not words:
        return 0.0
    best = 0.0
    for tw in m.target_title_words:
        inter = len(words & tw)
        if inter:
            best = max(best, 2 * inter / (len(words) + len(tw)))
    return best


def _recency(months_since_end: int, current: bool) -> float:
    if current:
        return 1.0
    if months_since_end <= 24:
        return 0.9
    if months_since_end <= 60:
        return 0.75
    return 0.6


def title_fit(view: ProfileView, m: Matcher) -> tuple[float, tuple[int, str, float] | None]:
    best = 0.0
    ev: tuple[int, str, float] | None = None
    for pv in view.positions:
        fam, how = _family_sim(pv.families, m)
        ov = _title_overlap(pv.title_words, m) * 0.85
        s = fam
        if ov > s:
            s, how = ov, "similar title"
        s *= _recency(pv.months_since_end, pv.current)
        if s > best:
            best, ev = s, (pv.index, how, round(s, 3))
    return min(best, 1.0), ev


def seniority_fit(view: ProfileView, icp: ICP) -> float:
    if icp.seniority is None or view.level is None:
        return 0.6 if icp.seniority is not None else 1.0
    d = icp.seniority.level - view.level
    tol = icp.seniority.tolerance
    if abs(d) <= tol:
        return 1.0
    if d > 0:  # under-qualified
        return max(0.0, 1.0 - 0.35 * (d - tol))
    return max(0.0, 1.0 - 0.2 * (-d - tol))


def experience_fit(view: ProfileView, icp: ICP) -> float:
    lo, hi = icp.yearsExperience.min, icp.yearsExperience.max
    y = view.years
    if lo is None and hi is None:
        return 1.0
    if lo is not None and y < lo:
        gap = lo - y
        return max(0.0, math.exp(-gap / max(1.5, 0.35 * lo)))
    if hi is not None and y > hi:
        return max(0.3, 1.0 - 0.08 * (y - hi))
    return 1.0


def location_fit(view: ProfileView, icp: ICP) -> tuple[float, str]:
    """Location feature and its evidence (ENGINE.md §3 table)."""
    return place_fit(view.doc.place, view.relocate, icp)


def place_fit(place: Place, relocate: bool, icp: ICP) -> tuple[float, str]:
    """Location fit of a place (and whether the person is open to relocation) for the ICP."""
    if not icp.locations:
        return 1.0, "no location asked"
    loc = icp.locations[0]
    mode = icp.workMode.mode
    if loc.kind == "unknown":
        return 0.5, "job location not recognised"
    cc = place.country_code
    if mode == "remote":
        allowed = set(
            icp.workMode.countries or loc.countries or ([loc.countryCode] if loc.countryCode else [])
        )
        if not allowed:
            return 1.0, "remote anywhere"
        if cc and cc in allowed:
            return 1.0, f"lives in {place.city + ', ' if place.city else ''}{cc}, inside the remote region"
        return 0.0 if cc else 0.3, f"lives outside the remote region ({cc or 'unknown country'})"
    if loc.kind in ("country", "group"):
        allowed = set(loc.countries or ([loc.countryCode] if loc.countryCode else []))
        if cc and cc in allowed:
            return 1.0, f"lives in {cc}"
        return (0.0 if cc else 0.3), f"lives outside {loc.name or loc.value}"
    if loc.kind == "region":
        if place.region and loc.region and place.region == loc.region:
            return 1.0, f"lives in {loc.name}"
        if cc and cc == loc.countryCode:
            return (0.7 if relocate or mode == "hybrid" else 0.5), f"same country ({cc})"
        return 0.0, "lives elsewhere"
    # city
    radius = loc.radiusKm or 50.0
    if place.lat is not None and place.lon is not None and loc.lat is not None and loc.lon is not None:
        d = haversine_km(place.lat, place.lon, loc.lat, loc.lon)
        if d <= 10:
            return 1.0, f"lives in {place.city or loc.name} ({d:.0f} km)"
        if d <= radius:
            return 0.9, f"{d:.0f} km from {loc.name}"
        if d <= 1.5 * radius:
            return 0.75, f"{d:.0f} km from {loc.name}"
    elif place.city and loc.name and normalize(place.city) == normalize(loc.name):
        return 1.0, f"lives in {place.city}"
    if cc and cc == loc.countryCode:
        if relocate:
            return 0.8, f"same country ({cc}) and open to relocation"
        if place.region and loc.region and place.region == loc.region:
            return 0.6, f"same region ({place.region})"
        return 0.2, f"same country ({cc}) but outside commuting distance"
    if relocate:
        return 0.05, "abroad, open to relocation"
    return 0.0, f"lives in {place.city or place.country_code or 'an unknown place'}"


def negatives_factor(view: ProfileView, m: Matcher, fit_title: float) -> tuple[float, list[str]]:
    factor = 1.0
    why: list[str] = []
    cur = next((p for p in view.positions if p.current), None)
    cur_title = cur.title_norm if cur else ""
    for term, weight, _kind in m.negatives:
        pad = f" {term} "
        in_title = pad in f" {cur_title} " or pad in f" {view.headline_norm} "
        if in_title:
            factor *= 1.0 - 0.45 * weight
            why.append(f"current title/headline contains the excluded term '{term}'")
        elif weight >= 0.5 and (view.bits_of(term) & (F_CURRENT | F_SKILLS)):
            factor *= 1.0 - 0.1 * weight
            why.append(f"profile mentions the excluded term '{term}'")
    if (
        cur is not None
        and m.confusable_families
        and any(f in m.confusable_families for f, _ in cur.families[:1])
        and fit_title < 0.9
    ):
        factor *= 0.75
        why.append(f"current title '{cur.title}' is a look-alike of the target role")
    return factor, why


def score_candidates(
    views: Sequence[ProfileView],
    icp: ICP,
    m: Matcher,
    lexical_scores: Mapping[str, float],
    weights: Mapping[str, float] | None = None,
    semantic_scores: Mapping[str, float] | None = None,
) -> list[ScoredCandidate]:
    """Score and sort candidates (best first, ties by profileId)."""
    w = effective_weights(weights, semantic=semantic_scores is not None)
    n = len(views)
    nf = len(FEATURES)
    X = np.zeros((n, nf), dtype=np.float64)
    neg = np.ones(n, dtype=np.float64)
    crit_w = np.array([c.weight for c in m.criteria], dtype=np.float64)
    must_mask = np.array([k == "must" for k in m.kinds], dtype=bool)
    nice_mask = ~must_mask
    hard_mask = np.array(
        [k == "must" and c.hard for c, k in zip(m.criteria, m.kinds, strict=True)], dtype=bool
    )
    H = np.zeros((n, len(m.criteria)), dtype=np.float64)
    lex_arr = np.array([float(lexical_scores.get(v.doc.profile_id, 0.0)) for v in views], dtype=np.float64)
    sem_arr = np.array(
        [float((semantic_scores or {}).get(v.doc.profile_id, 0.0)) for v in views], dtype=np.float64
    )
    hits_all: list[dict[int, SkillHit]] = []
    title_ev: list[tuple[int, str, float] | None] = []
    loc_ev: list[str] = []
    neg_ev: list[list[str]] = []
    # Per-candidate work in plain Python lists; numpy takes over once per column.
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    t_col: list[float] = []
    s_col: list[float] = []
    e_col: list[float] = []
    l_col: list[float] = []
    n_col: list[float] = []
    for r, v in enumerate(views):
        hits = match_skills(v, m)
        hits_all.append(hits)
        for ci, h in hits.items():
            rows.append(r)
            cols.append(ci)
            vals.append(h.strength)
        t, tev = title_fit(v, m)
        title_ev.append(tev)
        t_col.append(t)
        s_col.append(seniority_fit(v, icp))
        e_col.append(experience_fit(v, icp))
        lf, lev = location_fit(v, icp)
        l_col.append(lf)
        loc_ev.append(lev)
        f, why = negatives_factor(v, m, t)
        n_col.append(f)
        neg_ev.append(why)
    if rows:
        H[np.array(rows), np.array(cols)] = np.array(vals)
    if n:
        X[:, 0] = t_col
        X[:, 3] = s_col
        X[:, 4] = e_col
        X[:, 5] = l_col
        neg[:] = n_col
    # Skill coverage (vectorised): weighted share of criteria held.
    if must_mask.any():
        X[:, 1] = (H[:, must_mask] @ crit_w[must_mask]) / crit_w[must_mask].sum()
    else:
        X[:, 1] = 1.0
    if nice_mask.any():
        X[:, 2] = (H[:, nice_mask] @ crit_w[nice_mask]) / crit_w[nice_mask].sum()
    else:
        X[:, 2] = 1.0
    mx = lex_arr.max() if n else 0.0
    X[:, 6] = lex_arr / mx if mx > 0 else 0.0
    X[:, 7] = np.clip(sem_arr, 0.0, 1.0)
    wv = np.array([w.get(f, 0.0) for f in FEATURES], dtype=np.float64)
    total = wv.sum()
    if total <= 0:
        total = 1.0
    # Rounded so that BLAS rounding noise between identical rows cannot break ties
    # (ties must fall through to the profileId order).
    raw = np.round((X @ wv) / total * neg, 9)
    score = 100.0 * raw
    # Caps (monotone inside the capped group).
    caps_list: list[list[str]] = [[] for _ in range(n)]
    cap = np.full(n, 100.0)
    if hard_mask.any():
        miss_hard = (H[:, hard_mask] < 0.7).any(axis=1)
        cap = np.where(miss_hard, np.minimum(cap, CAP_HARD_MUST), cap)
        for ri in np.nonzero(miss_hard)[0].tolist():
            caps_list[ri].append("score capped: an explicit must-have is missing")
    if must_mask.any():
        low_cov = X[:, 1] < MUST_COVERAGE_FOR_CAP
        cap = np.where(low_cov, np.minimum(cap, CAP_MUST_COVERAGE), cap)
        for ri in np.nonzero(low_cov)[0].tolist():
            caps_list[ri].append("score capped: under half of the required skills are held")
    if icp.locations:
        bad_loc = X[:, 5] <= 0.05
        cap = np.where(bad_loc, np.minimum(cap, CAP_LOCATION), cap)
        for ri in np.nonzero(bad_loc)[0].tolist():
            caps_list[ri].append("score capped: the location does not fit")
    capped = cap < 100.0
    score = np.round(np.where(capped, cap * (0.5 + 0.5 * raw), score), 7)
    final = np.clip(np.round(score), 0, 100).astype(int)
    out: list[ScoredCandidate] = []
    Xl = X.round(4).tolist()
    Hl = H.tolist()
    scores_l = score.tolist()
    final_l = final.tolist()
    neg_l = neg.tolist()
    must_idx = [i for i, k in enumerate(m.kinds) if k == "must"]
    for r, v in enumerate(views):
        row = Hl[r]
        out.append(
            ScoredCandidate(
                view=v,
                features=dict(zip(FEATURES, Xl[r], strict=True)),
                score=int(final_l[r]),
                raw=float(scores_l[r]),
                hits=hits_all[r],
                title_evidence=title_ev[r],
                location_evidence=loc_ev[r],
                negative_evidence=neg_ev[r],
                caps=caps_list[r],
                must_missing=[i for i in must_idx if row[i] < 0.7],
                negative_factor=neg_l[r],
            )
        )
    out.sort(key=lambda c: (-c.raw, c.view.doc.profile_id))
    return out


def hard_filter(view: ProfileView, icp: ICP, m: Matcher) -> str | None:
    """Reason to drop a candidate before scoring (explicit hard constraints only), else None."""
    if m.excluded and view.current_company_norm:
        for ex in m.excluded:
            if ex == view.current_company_norm or (len(ex) > 3 and ex in view.current_company_norm):
                return "current employer is excluded"
    ye = icp.yearsExperience
    if ye.hard and ye.min is not None and view.years + 0.25 < ye.min:
        return f"under {ye.min:g} years of experience"
    hard_locs = [loc for loc in icp.locations if loc.hard]
    if hard_locs:
        tmp = ICP(locations=[hard_locs[0]], workMode=icp.workMode)
        f, _ = location_fit(view, tmp)
        if f <= 0.05:
            return "outside the required location"
    return None


__all__ += [
    "effective_weights",
    "experience_fit",
    "hard_filter",
    "location_fit",
    "match_skills",
    "seniority_fit",
    "title_fit",
]

"""Grounded explanations (ENGINE.md §5), built from the same evidence the score used.

Fixed templates, ordered by contribution. Every claim names a fact present in
the profile (a title, an employer, a skill as the ICP calls it, dates, a
place) or in the ICP (what was asked for); missing requirements are always
listed. :func:`check_grounding` is the checker: it finds skills, employers,
titles and numbers in a text that appear in neither, and is used by the tests
and by the LLM rephrasing step to reject invented facts.
"""

from __future__ import annotations

import re
from typing import Any

from talentscout.engine.features import F_CURRENT, F_HEADLINE, F_OLD, F_RECENT, F_SKILLS, ProfileView
from talentscout.engine.icp import ICP
from talentscout.engine.profile import LEVELS, ProfileDoc, YearMonth
from talentscout.engine.rank import (
    CAP_HARD_MUST,
    CAP_LOCATION,
    CAP_MUST_COVERAGE,
    FEATURES,
    Matcher,
    ScoredCandidate,
    SkillHit,
    effective_weights,
)
from talentscout.lexicons.normalize import normalize

__all__ = ["build_candidate", "check_grounding", "grounding_vocabulary"]

_FEATURE_LABEL = {
    "title": "Title fit",
    "must": "Required skills",
    "nice": "Preferred skills",
    "seniority": "Seniority",
    "experience": "Experience",
    "location": "Location",
    "lexical": "Keyword match",
    "semantic": "Semantic similarity",
}


def _ym(y: YearMonth | None) -> str:
    return f"{y.year:04d}-{y.month:02d}" if y else "?"


def _period(start: YearMonth | None, end: YearMonth | None) -> str:
    return f"{start.year if start else '?'}–{end.year if end else 'present'}"


def _duration(months: int) -> str:
    y, m = divmod(max(0, months), 12)
    parts = []
    if y:
        parts.append(f"{y} yr{'s' if y != 1 else ''}")
    if m or not parts:
        parts.append(f"{m} mo{'s' if m != 1 else ''}")
    return " ".join(parts)


def _verdict(score: float, known: bool = True) -> str:
    if not known:
        return "unknown"
    if score >= 0.8:
        return "met"
    if score >= 0.3:
        return "partial"
    return "not_met"


def _where_text(hit: SkillHit, view: ProfileView) -> tuple[str, int | None]:
    """Where a skill shows up, as a profile fact, plus the position index it names."""
    if hit.where & F_SKILLS:
        return "listed in skills", None
    bit_order = (F_CURRENT, F_RECENT, F_OLD)
    for bit in bit_order:
        if hit.where & bit:
            for pv in view.positions:
                is_bit = (
                    (bit == F_CURRENT and pv.current)
                    or (bit == F_RECENT and not pv.current and pv.months_since_end <= 36)
                    or (bit == F_OLD and not pv.current and pv.months_since_end > 36)
                )
                if is_bit:
                    comp = (
                        f" at {view.doc.positions[pv.index].company}"
                        if view.doc.positions[pv.index].company
                        else ""
                    )
                    return f"used as {pv.title}{comp} ({_period(pv.start, pv.end)})", pv.index
    if hit.where & F_HEADLINE:
        return "mentioned in the profile summary", None
    return "in the profile", None


def build_candidate(
    sc: ScoredCandidate, icp: ICP, m: Matcher, weights: dict[str, float] | None = None, source: str = "local"
) -> dict[str, Any]:
    """The API.md §5 Candidate object for one scored profile."""
    view = sc.view
    doc: ProfileDoc = view.doc
    w = dict(weights) if weights is not None else effective_weights(None, semantic=False)
    cur = doc.current
    fit_points: list[tuple[float, str]] = []
    red_flags: list[str] = []

    # Title
    if sc.title_evidence is not None:
        idx, how, s = sc.title_evidence
        p = doc.positions[idx]
        when = _period(p.start, p.end)
        comp = f" at {p.company}" if p.company else ""
        target = icp.targetTitles[0].value if icp.targetTitles else icp.title
        if s >= 0.5:
            verb = "Currently" if p.end is None else "Was"
            fit_points.append((w["title"] * s, f"{verb} {p.title}{comp} ({when}): {how} to {target}"))
        else:
            red_flags.append(f"Closest title is {p.title}{comp} ({when}), only loosely related to {target}")
    elif icp.targetTitles:
        red_flags.append(f"No position related to {icp.targetTitles[0].value}")

    # Skills
    met_must: list[str] = []
    for ci, crit in enumerate(m.criteria):
        hit = sc.hits.get(ci)
        kind = m.kinds[ci]
        if hit is None or hit.strength < 0.3:
            continue
        where, _pidx = _where_text(hit, view)
        if hit.via in ("direct", "alias"):
            text = f"{crit.label}: {where}"
        else:
            text = f"{hit.expanded_label or hit.form} (related to {crit.label}): {where}"
        share = w["must"] if kind == "must" else w["nice"]
        fit_points.append((share * crit.weight * hit.strength / max(1, len(m.criteria)), text))
        if kind == "must" and hit.strength >= 0.7:
            met_must.append(crit.label)
    for ci in sc.must_missing:
        crit = m.criteria[ci]
        hit = sc.hits.get(ci)
        tag = "explicit must-have" if crit.hard else "required"
        if hit is not None and hit.strength >= 0.3:
            red_flags.append(
                f"Only partial evidence for {crit.label} ({tag}): {hit.expanded_label or hit.form}"
            )
        else:
            red_flags.append(f"No evidence of {crit.label} ({tag})")

    # Seniority / experience
    f = sc.features
    if icp.seniority is not None:
        if view.level is None:
            red_flags.append(f"Seniority unclear; {icp.seniority.value} asked")
        elif f["seniority"] >= 0.99:
            fit_points.append(
                (w["seniority"] * 0.5, f"Seniority {LEVELS[view.level]} fits {icp.seniority.value}")
            )
        else:
            red_flags.append(f"Seniority {LEVELS[view.level]} vs {icp.seniority.value} asked")
    ye = icp.yearsExperience
    yrs = int(view.years)
    if ye.min is not None or ye.max is not None:
        asked = f"{ye.min:g}+" if ye.max is None and ye.min is not None else f"{ye.min or 0:g}–{ye.max:g}"
        if f["experience"] >= 0.99:
            fit_points.append((w["experience"] * 0.5, f"{yrs} years of experience ({asked} asked)"))
        else:
            red_flags.append(f"{yrs} years of experience; {asked} asked")
    # Location
    if icp.locations:
        if f["location"] >= 0.75:
            fit_points.append((w["location"] * f["location"] * 0.5, f"Location: {sc.location_evidence}"))
        else:
            red_flags.append(f"Location: {sc.location_evidence}")
    red_flags.extend(sc.negative_evidence)
    red_flags.extend(sc.caps)

    fit_points.sort(key=lambda t: -t[0])
    fit_texts = [t for _, t in fit_points][:8]

    # Rationale: one sentence.
    role = (
        f"{cur.title} at {cur.company}" if cur and cur.company else (cur.title if cur else "No current role")
    )
    n_must = sum(1 for k in m.kinds if k == "must")
    parts = [f"{role}, {yrs} years of experience"]
    if n_must:
        parts.append(
            f"holds {len(met_must)} of {n_must} required skills"
            + (f" ({', '.join(met_must[:3])})" if met_must else "")
        )
    missing = [m.criteria[ci].label for ci in sc.must_missing]
    if missing:
        parts.append(f"missing {', '.join(missing[:3])}")
    if icp.locations:
        parts.append(sc.location_evidence)
    rationale = "; ".join(parts) + "."

    # Per-position rationale.
    detailed: list[dict[str, Any]] = []
    hits_by_pos: dict[int, list[str]] = {}
    for ci, hit in sc.hits.items():
        _w, pidx = _where_text(hit, view)
        if pidx is not None:
            hits_by_pos.setdefault(pidx, []).append(m.criteria[ci].label)
    for pv in view.positions:
        p = doc.positions[pv.index]
        fam_line = ""
        if sc.title_evidence is not None and sc.title_evidence[0] == pv.index:
            fam_line = f"{sc.title_evidence[1].capitalize()} to the target role."
        elif pv.families and pv.families[0][0] in m.target_families:
            fam_line = "Same occupation as the target role."
        elif pv.families and pv.families[0][0] in m.adjacent:
            fam_line = "Adjacent occupation to the target role."
        sk = hits_by_pos.get(pv.index, [])
        expl = fam_line
        if sk:
            expl = (expl + " " if expl else "") + f"Shows {', '.join(sk[:4])}."
        if not expl:
            expl = "Not directly related to the target role."
        detailed.append(
            {
                "title": p.title,
                "company": p.company,
                "duration": f"{_ym(p.start)} – {_ym(p.end) if p.end else 'present'} ({_duration(pv.duration_months)})",
                "relevanceExplanation": expl,
            }
        )
    experience = [
        {
            "role": p.title,
            "company": p.company,
            "duration": f"{_ym(p.start)} – {_ym(p.end) if p.end else 'present'}",
            "highlights": list(p.highlights),
        }
        for p in doc.positions
    ]

    # Breakdown.
    breakdown: dict[str, Any] = {}
    for feat in FEATURES:
        wt = w.get(feat, 0.0)
        if wt <= 0:
            continue
        score = f[feat]
        known = True
        evidence: str
        if feat == "title":
            if sc.title_evidence is not None:
                p = doc.positions[sc.title_evidence[0]]
                evidence = f"{p.title} ({sc.title_evidence[1]})"
            else:
                evidence = "no related title"
        elif feat in ("must", "nice"):
            crits = [
                (ci, c) for ci, c in enumerate(m.criteria) if (m.kinds[ci] == "must") == (feat == "must")
            ]
            held = [c.label for ci, c in crits if ci in sc.hits and sc.hits[ci].strength >= 0.7]
            evidence = f"{len(held)} of {len(crits)} held" + (f": {', '.join(held[:6])}" if held else "")
            known = bool(crits)
        elif feat == "seniority":
            known = view.level is not None and icp.seniority is not None
            evidence = (
                f"{LEVELS[view.level]} vs {icp.seniority.value}"
                if known and view.level is not None and icp.seniority
                else "not stated"
            )
        elif feat == "experience":
            evidence = f"{yrs} years"
        elif feat == "location":
            evidence = sc.location_evidence
            known = bool(icp.locations) and (doc.place.country_code is not None or doc.place.lat is not None)
        elif feat == "lexical":
            evidence = "keyword relevance within this candidate set"
        else:
            evidence = "embedding similarity of profile and ICP"
        breakdown[feat] = {
            "label": _FEATURE_LABEL[feat],
            "weight": round(wt, 4),
            "score": round(score, 4),
            "verdict": _verdict(score, known),
            "evidence": evidence,
        }
    breakdown["negatives"] = {
        "label": "Negative signals (multiplier)",
        "weight": 1.0,
        "score": round(sc.negative_factor, 4),
        "verdict": "met" if not sc.negative_evidence else "not_met",
        "evidence": "; ".join(sc.negative_evidence) or "none",
    }
    if sc.caps:
        breakdown["caps"] = {
            "label": "Score caps",
            "weight": 0.0,
            "score": 0.0,
            "verdict": "not_met",
            "evidence": "; ".join(sc.caps)
            + f" (final score {sc.score}; caps: explicit must-have {CAP_HARD_MUST:g}, "
            f"required-skill coverage {CAP_MUST_COVERAGE:g}, location {CAP_LOCATION:g})",
        }

    # Skills: matched ones first, as the profile states them.
    matched_norm = {normalize(h.form) for h in sc.hits.values()} | {h.form for h in sc.hits.values()}
    skills = sorted(
        (s.surface for s in doc.skills if s.source != "experience"),
        key=lambda s: 0 if (normalize(s) in matched_norm) else 1,
    )
    skills = [s for s in dict.fromkeys(skills) if s]
    loc_parts = [doc.place.city, doc.place.region, doc.place.country_code]
    location = ", ".join(x for x in loc_parts if x) or doc.place.raw
    return {
        "profileId": doc.profile_id,
        "externalId": doc.external_id,
        "name": doc.name,
        "linkedinUrl": doc.linkedin_url,
        "matchScore": sc.score,
        "rationale": rationale,
        "skills": skills[:30],
        "headline": doc.headline,
        "location": location,
        "currentCompany": cur.company if cur else None,
        "currentRole": cur.title if cur else None,
        "aiFitPoints": fit_texts,
        "aiRedFlags": red_flags,
        "aiDetailedRationale": detailed,
        "detailedExperience": experience,
        "emails": [e.address for e in doc.emails],
        "scoreBreakdown": breakdown,
        "source": source,
    }


# --- grounding checker ------------------------------------------------------------

_NUM = re.compile(r"\d+(?:\.\d+)?")


def grounding_vocabulary(doc: ProfileDoc, icp: ICP) -> tuple[str, set[str]]:
    """(normalised text of every profile and ICP fact, allowed numbers)."""
    parts: list[str] = [doc.headline or "", doc.summary or ""]
    nums: set[str] = set()
    for p in doc.positions:
        parts += [p.title, p.company or "", p.summary or "", *p.highlights]
        for ym in (p.start, p.end):
            if ym:
                nums.update({str(ym.year), f"{ym.month:02d}", str(ym.month)})
    for s in doc.skills:
        parts.append(s.surface)
        if s.id:
            parts.append(s.id.replace("-", " "))
    parts += [doc.place.city or "", doc.place.region or "", doc.place.country_code or "", doc.place.raw or ""]
    y = doc.years_experience
    nums.update({str(int(y)), str(round(y)), f"{y:g}"})
    icp_json = icp.model_dump_json()
    parts.append(icp_json)
    text = " ".join(parts)
    nums.update(_NUM.findall(text))
    return " " + normalize(text) + " ", nums


def check_grounding(text: str, doc: ProfileDoc, icp: ICP, claimed: list[str] | None = None) -> list[str]:
    """Claims in *text* not backed by the profile or the ICP.

    ``claimed`` lists the skills/employers/titles the text names (the
    templates know them); every one must appear (normalised) in the profile or
    the ICP, and every number must too (dates, years, counts of criteria and
    distances are allowed as they are derived from those facts).
    """
    vocab, nums = grounding_vocabulary(doc, icp)
    bad: list[str] = []
    for c in claimed or []:
        n = normalize(c)
        if n and f" {n} " not in vocab:
            bad.append(c)
    # Distances ("12 km") are computed from the profile's and the job's coordinates.
    rest = _KM.sub(" ", text)
    for num in _NUM.findall(rest):
        if num not in nums and not _small_count(num):
            bad.append(num)
    return bad


_KM = re.compile(r"\b\d+ km\b")


def _small_count(num: str) -> bool:
    """Counts of criteria ("3 of 5 required skills") are derived from the ICP, not claimed facts."""
    return num.isdigit() and int(num) <= 20

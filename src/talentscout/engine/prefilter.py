"""A cheap first pass over a large candidate set, before full feature extraction.

Building a profile's view (n-gram sets of every field, title parses) costs
well under a millisecond, but thousands of cold candidates per run add up. The
first pass reads only what the stored document already carries — title
family ids of the positions, canonical skill ids, the place — plus the index's
lexical score, and keeps the best ``limit`` for the full ranker. The top
``keep_lexical`` by lexical score always pass, so a profile the normaliser
could not map to ids still gets a full look when its text matches well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from talentscout.engine.icp import ICP
from talentscout.engine.profile import ProfileDoc
from talentscout.engine.rank import Matcher, place_fit
from talentscout.lexicons.normalize import normalize

__all__ = ["prescore", "select_for_ranking"]

_RELOCATE = re.compile(r"\b(open to relocat\w*|willing to relocate|happy to relocate|can relocate)\b", re.I)
# First-pass weights: occupation, required skills, place, text match.
W_FAMILY, W_MUST, W_PLACE, W_LEXICAL = 0.35, 0.35, 0.2, 0.1


def _family_score(doc: ProfileDoc, m: Matcher) -> float:
    best = 0.0
    for i, p in enumerate(doc.positions[:4]):
        fid = p.title_family
        if not fid:
            continue
        if fid in m.target_families:
            s = 1.0
        elif fid in m.family_soc:
            s = 0.8
        elif fid in m.adjacent:
            s = 0.6
        else:
            continue
        best = max(best, s * (1.0 if i == 0 else 0.8))
    return best


def prescore(
    docs: Sequence[ProfileDoc], icp: ICP, m: Matcher, lexical_scores: Mapping[str, float]
) -> list[float]:
    """First-pass scores in [0, 1], aligned with *docs*."""
    must = [(i, c) for i, c in enumerate(m.criteria) if m.kinds[i] == "must"]
    total_w = sum(c.weight for _, c in must) or 1.0
    id_targets: dict[str, set[int]] = {}
    for sid, forms in m.ids.items():
        id_targets[sid] = {f.criterion for f in forms}
    surface_targets: dict[str, set[int]] = {}
    for form, lst in m.forms.items():
        surface_targets[form] = {f.criterion for f in lst}
    mx = max(lexical_scores.values(), default=0.0) or 1.0
    out: list[float] = []
    for d in docs:
        held: set[int] = set()
        for s in d.skills:
            if s.id and s.id in id_targets:
                held |= id_targets[s.id]
            got = surface_targets.get(normalize(s.surface))
            if got:
                held |= got
        for p in d.positions[:3]:
            for sid in p.skill_ids:
                if sid in id_targets:
                    held |= id_targets[sid]
        cov = sum(c.weight for i, c in must if i in held) / total_w if must else 1.0
        loc, _ = place_fit(d.place, bool(_RELOCATE.search(d.summary or "")), icp)
        lex = float(lexical_scores.get(d.profile_id, 0.0)) / mx
        out.append(W_FAMILY * _family_score(d, m) + W_MUST * cov + W_PLACE * loc + W_LEXICAL * lex)
    return out


def select_for_ranking(
    docs: Sequence[ProfileDoc],
    icp: ICP,
    m: Matcher,
    lexical_scores: Mapping[str, float],
    limit: int = 800,
    keep_lexical: int = 200,
) -> list[ProfileDoc]:
    """The documents worth a full look: the best *limit* by :func:`prescore` plus the lexical top."""
    if len(docs) <= limit:
        return list(docs)
    scores = prescore(docs, icp, m, lexical_scores)
    order = sorted(range(len(docs)), key=lambda i: (-scores[i], docs[i].profile_id))
    keep = set(order[:limit])
    by_lex = sorted(range(len(docs)), key=lambda i: (-float(lexical_scores.get(docs[i].profile_id, 0.0)), i))
    keep.update(by_lex[:keep_lexical])
    return [docs[i] for i in sorted(keep)]

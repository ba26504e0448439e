"""Skill co-occurrence statistics over the profile pool (for ICP expansion).

Computed from profiles (their canonical skill ids) by the caller, once per
index build or in the background, and passed into the engine: the engine does
no I/O and does not scan the index itself. Neighbours are ranked by positive
pointwise mutual information with a support floor, so that a skill listed by
almost everyone (Microsoft Office) does not become everyone's neighbour.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from talentscout.engine.profile import ProfileDoc

__all__ = ["SkillStats", "compute_skill_stats"]


@dataclass
class SkillStats:
    """Document frequencies and PMI neighbours of canonical skill ids."""

    n_profiles: int = 0
    df: dict[str, int] = field(default_factory=dict)
    neighbours: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # id -> [(id, npmi)]

    def related(self, skill_id: str, limit: int = 5) -> list[tuple[str, float]]:
        return self.neighbours.get(skill_id, [])[:limit]


def compute_skill_stats(
    profiles: Iterable[ProfileDoc], *, min_support: int = 5, max_neighbours: int = 8, min_npmi: float = 0.2
) -> SkillStats:
    """Normalised PMI between skill ids that co-occur on profiles (pure; O(sum of k^2))."""
    df: Counter[str] = Counter()
    pair: Counter[tuple[str, str]] = Counter()
    n = 0
    for p in profiles:
        ids = sorted({s.id for s in p.skills if s.id})
        if not ids:
            continue
        n += 1
        df.update(ids)
        # Cap per-profile fan-out so one skill-stuffed profile cannot dominate.
        ids = ids[:40]
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                pair[(a, b)] += 1
    neigh: dict[str, list[tuple[str, float]]] = {}
    if n == 0:
        return SkillStats(0, {}, {})
    for (a, b), c in pair.items():
        if c < min_support:
            continue
        p_ab = c / n
        p_a = df[a] / n
        p_b = df[b] / n
        pmi = math.log(p_ab / (p_a * p_b))
        denom = -math.log(p_ab)
        npmi = pmi / denom if denom > 0 else 0.0
        if npmi < min_npmi:
            continue
        neigh.setdefault(a, []).append((b, round(npmi, 4)))
        neigh.setdefault(b, []).append((a, round(npmi, 4)))
    for k, lst in neigh.items():
        lst.sort(key=lambda t: (-t[1], t[0]))
        neigh[k] = lst[:max_neighbours]
    return SkillStats(n, dict(df), neigh)

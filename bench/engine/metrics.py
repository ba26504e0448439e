"""Ranking metrics on graded qrels (bench-dev README: gain 2^g - 1; relevant = grade >= 2)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    dcg = sum((2 ** qrels.get(p, 0) - 1) / math.log2(i + 2) for i, p in enumerate(ranked[:k]))
    ideal = sorted(qrels.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def precision_at(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    return sum(1 for p in ranked[:k] if qrels.get(p, 0) >= 2) / k


def recall_at(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 100) -> float:
    rel = {p for p, g in qrels.items() if g >= 2}
    if not rel:
        return 0.0
    return len(rel & set(ranked[:k])) / len(rel)


def mrr(ranked: Sequence[str], qrels: Mapping[str, int]) -> float:
    for i, p in enumerate(ranked):
        if qrels.get(p, 0) >= 2:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    """Mean NDCG@10, P@10, R@100, MRR over the queries of *runs*."""
    qs = list(runs)
    if not qs:
        return {"ndcg@10": 0.0, "p@10": 0.0, "r@100": 0.0, "mrr": 0.0}
    return {
        "ndcg@10": sum(ndcg_at(runs[q], qrels.get(q, {})) for q in qs) / len(qs),
        "p@10": sum(precision_at(runs[q], qrels.get(q, {})) for q in qs) / len(qs),
        "r@100": sum(recall_at(runs[q], qrels.get(q, {})) for q in qs) / len(qs),
        "mrr": sum(mrr(runs[q], qrels.get(q, {})) for q in qs) / len(qs),
    }

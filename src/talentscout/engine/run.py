"""The engine's entry point for the worker and the CLI: ICP -> filter -> rank -> explain.

Retrieval (the index and any external providers) happens outside: the caller
compiles :func:`talentscout.engine.query.compile_query` from ``derive(...)``,
runs it, and passes the fused candidate set with its lexical scores back in.
Everything here is pure and synchronous.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from talentscout.engine.derive import IcpInput, derive_icp
from talentscout.engine.embed import StaticEmbedder, icp_card, profile_card
from talentscout.engine.explain import build_candidate
from talentscout.engine.features import ProfileView, ViewCache, build_view
from talentscout.engine.icp import ICP
from talentscout.engine.lexicon import EngineLexicon
from talentscout.engine.prefilter import select_for_ranking
from talentscout.engine.profile import ProfileDoc, YearMonth
from talentscout.engine.rank import build_matcher, effective_weights, hard_filter, score_candidates
from talentscout.engine.stats import SkillStats

__all__ = ["EngineRequest", "EngineResult", "derive", "run_engine", "semantic_similarity"]


@dataclass(frozen=True)
class EngineRequest:
    """One sourcing pass: the inputs of ENGINE.md, plus the session's patches."""

    title: str
    job_description: str
    location: str
    query: str = ""
    patches: tuple[str, ...] = ()
    limit: int = 20
    today: YearMonth | None = None  # recency reference; None = the newest date seen in the candidates
    weights: Mapping[str, float] | None = None  # override DEFAULT_WEIGHTS (benchmarks / tuning)
    icp: ICP | None = None  # a pre-derived ICP (e.g. after the LLM step); derived here when None

    def icp_input(self) -> IcpInput:
        return IcpInput(self.title, self.job_description, self.location, self.query, tuple(self.patches))


@dataclass
class EngineResult:
    icp: ICP
    candidates: list[dict[str, Any]]
    timings: dict[str, float]  # milliseconds per stage
    found: int  # candidates passed in
    filtered: int  # dropped by hard constraints or already scored
    scored: int
    dropped: dict[str, int] = field(default_factory=dict)  # hard-filter reason -> count


def derive(request: EngineRequest, lexicons: EngineLexicon, stats: SkillStats | None = None) -> ICP:
    """The deterministic ICP of a request (the worker may refine it with the LLM step)."""
    return request.icp or derive_icp(request.icp_input(), lexicons, stats)


def semantic_similarity(icp: ICP, views: Sequence[ProfileView], embedder: StaticEmbedder) -> dict[str, float]:
    """Cosine similarity (clipped at 0) of the ICP card and each profile card; card vectors cached on the views."""
    q = embedder.embed(icp_card(icp))
    out: dict[str, float] = {}
    for v in views:
        if v.card_vec is None:
            v.card_vec = embedder.embed(profile_card(v.doc))
        out[v.doc.profile_id] = max(0.0, float(q @ v.card_vec))
    return out


def _today(candidates: Sequence[ProfileDoc]) -> YearMonth:
    newest = YearMonth(1970, 1)
    for d in candidates[:500]:
        for p in d.positions:
            for ym in (p.start, p.end):
                if ym is not None and ym.months() > newest.months():
                    newest = ym
    return newest


def run_engine(
    request: EngineRequest,
    candidates: Sequence[ProfileDoc],
    lexical_scores: Mapping[str, float],
    lexicons: EngineLexicon,
    stats: SkillStats | None = None,
    already_scored: set[str] | frozenset[str] = frozenset(),
    limit: int | None = None,
    *,
    semantic_scores: Mapping[str, float] | None = None,
    view_cache: ViewCache | None = None,
    source: str = "local",
    embedder: StaticEmbedder | None = None,
    max_full: int | None = 500,
) -> EngineResult:
    """Rank *candidates* for *request* and explain the top *limit* (API.md §5 Candidate objects).

    With more than *max_full* candidates, a cheap first pass over the stored ids
    (:mod:`talentscout.engine.prefilter`) picks the ones that get full features;
    None ranks everything in full.
    """
    # The run allocates many short-lived objects next to a large long-lived heap
    # (lexicons, cached views); a full cyclic GC pass in the middle of it costs
    # hundreds of milliseconds, so collection waits until the run is over.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(
            request,
            candidates,
            lexical_scores,
            lexicons,
            stats,
            already_scored,
            limit,
            semantic_scores=semantic_scores,
            view_cache=view_cache,
            source=source,
            embedder=embedder,
            max_full=max_full,
        )
    finally:
        if was_enabled:
            gc.enable()


def _run(
    request: EngineRequest,
    candidates: Sequence[ProfileDoc],
    lexical_scores: Mapping[str, float],
    lexicons: EngineLexicon,
    stats: SkillStats | None,
    already_scored: set[str] | frozenset[str],
    limit: int | None,
    *,
    semantic_scores: Mapping[str, float] | None,
    view_cache: ViewCache | None,
    source: str,
    embedder: StaticEmbedder | None,
    max_full: int | None,
) -> EngineResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    icp = derive(request, lexicons, stats)
    t1 = time.perf_counter()
    timings["icp_ms"] = round((t1 - t0) * 1000, 2)
    today = request.today or _today(candidates)
    m = build_matcher(icp, lexicons)
    views = []
    dropped: dict[str, int] = {}
    n_filtered = 0
    pool: Sequence[ProfileDoc] = candidates
    if max_full is not None and len(candidates) > max_full:
        fresh = [d for d in candidates if d.profile_id not in already_scored]
        pool = select_for_ranking(fresh, icp, m, lexical_scores, limit=max_full)
        n_filtered += len(candidates) - len(fresh)
    for d in pool:
        if d.profile_id in already_scored:
            n_filtered += 1
            continue
        v = view_cache.get(d, lexicons, today) if view_cache is not None else build_view(d, lexicons, today)
        reason = hard_filter(v, icp, m)
        if reason is not None:
            dropped[reason] = dropped.get(reason, 0) + 1
            n_filtered += 1
            continue
        views.append(v)
    wanted = effective_weights(request.weights, semantic=True)["semantic"] > 0
    if semantic_scores is None and embedder is not None and views and wanted:
        semantic_scores = semantic_similarity(icp, views, embedder)
    t2 = time.perf_counter()
    timings["features_ms"] = round((t2 - t1) * 1000, 2)
    scored = score_candidates(views, icp, m, lexical_scores, request.weights, semantic_scores)
    t3 = time.perf_counter()
    timings["rank_ms"] = round((t3 - t2) * 1000, 2)
    k = limit if limit is not None else request.limit
    weights = effective_weights(request.weights, semantic=semantic_scores is not None)
    out = [build_candidate(sc, icp, m, weights, source) for sc in scored[: max(0, k)]]
    t4 = time.perf_counter()
    timings["explain_ms"] = round((t4 - t3) * 1000, 2)
    timings["engine_ms"] = round((t4 - t0) * 1000, 2)
    return EngineResult(
        icp=icp,
        candidates=out,
        timings=timings,
        found=len(candidates),
        filtered=n_filtered,
        scored=len(scored),
        dropped=dropped,
    )

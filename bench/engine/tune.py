"""Coordinate search of the ranking weights on bench-dev (development data only; never on test data).

    .venv/bin/python bench/engine/tune.py [--rounds 2]

Candidate sets, lexical and semantic scores are computed once per query; each
trial re-scores them with other weights and reports mean NDCG@10. The result
is printed, not written: copy it into ``rank.DEFAULT_WEIGHTS`` by hand after
checking it is a plausible, general weighting (title and required skills first).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.engine.data import (
    TODAY,
    engine_lexicon,
    load_docs,
    load_qrels,
    load_queries,
    profile_text,
    raw_profiles,
)
from bench.engine.metrics import ndcg_at
from talentscout.engine.derive import IcpInput, derive_icp
from talentscout.engine.embed import load_static_embedder
from talentscout.engine.features import ViewCache
from talentscout.engine.lexical import BM25, icp_terms
from talentscout.engine.rank import DEFAULT_WEIGHTS, build_matcher, hard_filter, score_candidates
from talentscout.engine.run import semantic_similarity


def prepare(n_candidates: int = 2000) -> list[dict[str, Any]]:
    lex = engine_lexicon()
    raws = raw_profiles()
    docs = load_docs(raws, lex)
    ids = [d.profile_id for d in docs]
    bm = BM25([profile_text(r) for r in raws])
    qrels = load_qrels()
    emb = load_static_embedder()
    cache = ViewCache(len(docs) + 10)
    out = []
    for q in load_queries():
        icp = derive_icp(IcpInput(q.title, q.job_description, q.location, q.query), lex)
        m = build_matcher(icp, lex)
        lexs = bm.scores(icp_terms(icp))
        order = np.lexsort((np.array(ids), -lexs))
        views = []
        for i in order:
            v = cache.get(docs[i], lex, TODAY)
            if hard_filter(v, icp, m) is None:
                views.append(v)
                if len(views) >= n_candidates:
                    break
        sem = semantic_similarity(icp, views, emb) if emb is not None else None
        out.append(
            {
                "icp": icp,
                "m": m,
                "views": views,
                "lex": {ids[i]: float(lexs[i]) for i in order[: 2 * n_candidates]},
                "sem": sem,
                "qrels": qrels.get(q.qid, {}),
            }
        )
    return out


def evaluate(prep: list[dict[str, Any]], w: dict[str, float]) -> float:
    tot = 0.0
    for p in prep:
        sc = score_candidates(p["views"], p["icp"], p["m"], p["lex"], w, p["sem"])
        tot += ndcg_at([c.view.doc.profile_id for c in sc[:10]], p["qrels"])
    return tot / len(prep)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--try", dest="trials", action="append", default=[], help="JSON weights to evaluate only")
    args = ap.parse_args()
    prep = prepare()
    if args.trials:
        for t in args.trials:
            print(f"{evaluate(prep, {**DEFAULT_WEIGHTS, **json.loads(t)}):.4f} {t}", flush=True)
        return
    w = dict(DEFAULT_WEIGHTS)
    best = evaluate(prep, w)
    print(f"start {best:.4f} {w}", flush=True)
    for _ in range(args.rounds):
        for feat in w:
            for factor in (0.0, 0.5, 1.5, 2.0):
                trial = dict(w)
                trial[feat] = round(w[feat] * factor if w[feat] else 0.05 * factor, 4)
                s = evaluate(prep, trial)
                if s > best + 1e-4:
                    best, w = s, trial
                    print(f"{best:.4f} {feat}={trial[feat]}", flush=True)
    total = sum(w.values())
    print("best", round(best, 4), {k: round(v / total, 3) for k, v in w.items()})


if __name__ == "__main__":
    main()

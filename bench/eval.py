"""Engine evaluation (`make eval`): skill extraction, title normalisation, ranking — each next to baselines.

    .venv/bin/python bench/eval.py [--only skills|titles|ranking] [--json]

(a) SkillSpan dev postings: per-posting skill *sets*. Gold = the knowledge
    spans (hard skills) and, separately, the skill spans (soft skills).
    Predicted = the engine's extraction over the whole posting (every line read
    as prose and, for short lines, as a list item), split into hard/soft by
    the lexicon category of the matched skill. Matching rule (lenient): both
    strings lower-cased, Unicode-normalised and alias-normalised (a string that
    is a known skill surface is replaced by its canonical label); a predicted
    and a gold string match when their token sets have Dice >= 0.5. Precision
    = matched predictions / predictions, recall = matched gold / gold,
    micro-averaged over postings. Baseline: a plain word list of the knowledge
    spans of SkillSpan *train*, matched verbatim.
(b) Title normalisation: jobbert-titles-esco vacancy titles -> ESCO
    occupation, scored at the level of the engine's title families (the gold
    ESCO occupation's preferred label resolved to its family). Baseline:
    exact match of the vacancy title against ESCO preferred/alternative labels.
(c) Ranking on bench-dev: NDCG@10 (gain 2^g - 1), P@10, R@100, MRR (grade >= 2
    relevant), for BM25 title+description, BM25 title only, the ICP-expanded
    BM25 without the feature ranker, dense-only (cosine of the static
    MiniLM-distilled embeddings of title+description vs the profile card), and
    the engine (candidate generation = hard filters + the union of the top
    2,000 of the ICP-expanded BM25 and the top 500 dense neighbours of the ICP
    card, then the feature ranker). Engine time is per query with the profile
    views warm (they are computed once per profile and cached, like the index).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.engine.data import (  # noqa: E402
    SHARED,
    TODAY,
    engine_lexicon,
    load_docs,
    load_qrels,
    load_queries,
    profile_text,
    raw_profiles,
)
from bench.engine.metrics import evaluate  # noqa: E402
from talentscout.engine.derive import IcpInput, derive_icp  # noqa: E402
from talentscout.engine.embed import icp_card, load_static_embedder, profile_card  # noqa: E402
from talentscout.engine.extract import extract_skills  # noqa: E402
from talentscout.engine.features import ViewCache  # noqa: E402
from talentscout.engine.lexical import BM25, icp_terms  # noqa: E402
from talentscout.engine.lexicon import EngineLexicon  # noqa: E402
from talentscout.engine.rank import build_matcher, hard_filter  # noqa: E402
from talentscout.engine.run import EngineRequest, run_engine  # noqa: E402
from talentscout.engine.stats import compute_skill_stats  # noqa: E402
from talentscout.engine.titles import parse_title  # noqa: E402
from talentscout.lexicons.normalize import normalize  # noqa: E402

# --- (a) skills --------------------------------------------------------------------------


def _spans(tokens: list[str], tags: list[str]) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    for tok, tag in zip(tokens, tags, strict=False):
        if tag.startswith("B"):
            if cur:
                out.append(" ".join(cur))
            cur = [tok]
        elif tag.startswith("I") and cur:
            cur.append(tok)
        else:
            if cur:
                out.append(" ".join(cur))
            cur = []
    if cur:
        out.append(" ".join(cur))
    return out


def _postings(path: Path) -> list[dict[str, Any]]:
    posts: dict[tuple[str, int], dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        key = (d["source"], d["idx"])
        p = posts.setdefault(key, {"lines": [], "knowledge": set(), "skill": set()})
        p["lines"].append(" ".join(d["tokens"]))
        p["knowledge"].update(_spans(d["tokens"], d["tags_knowledge"]))
        p["skill"].update(_spans(d["tokens"], d["tags_skill"]))
    return list(posts.values())


def _canon(text: str, lex: EngineLexicon) -> frozenset[str]:
    s = normalize(unicodedata.normalize("NFKC", text))
    cands = lex.skill_candidates(s)
    if cands:
        s = normalize(lex.skill_label(cands[0][0])) or s
    return frozenset(s.split())


def _set_prf(pred: list[set[str]], gold: list[set[str]], lex: EngineLexicon) -> dict[str, float]:
    tp_p = n_p = tp_g = n_g = 0
    for ps, gs in zip(pred, gold, strict=True):
        pc = [_canon(x, lex) for x in ps]
        gc = [_canon(x, lex) for x in gs]
        pc = [x for x in pc if x]
        gc = [x for x in gc if x]

        def dice(a: frozenset[str], b: frozenset[str]) -> float:
            return 2 * len(a & b) / (len(a) + len(b))

        n_p += len(pc)
        n_g += len(gc)
        tp_p += sum(1 for a in pc if any(dice(a, b) >= 0.5 for b in gc))
        tp_g += sum(1 for b in gc if any(dice(a, b) >= 0.5 for a in pc))
    p = tp_p / n_p if n_p else 0.0
    r = tp_g / n_g if n_g else 0.0
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "pred": n_p,
        "gold": n_g,
    }


def _is_soft(sid: str | None, lex: EngineLexicon) -> bool:
    return lex.is_soft(sid)


def eval_skills(lex: EngineLexicon) -> dict[str, Any]:
    dev = _postings(SHARED / "skillspan" / "dev.json")
    train = _postings(SHARED / "skillspan" / "train.json")
    hard_pred: list[set[str]] = []
    soft_pred: list[set[str]] = []
    for p in dev:
        hp: set[str] = set()
        sp: set[str] = set()
        for line in p["lines"]:
            mentions = extract_skills(line, 0, lex, list_like=len(line.split()) <= 8)
            for m in mentions:
                if m.skill_id is None:
                    continue  # raw list items are for requirement sections, not whole postings
                surface = line[m.start : m.end]
                (sp if _is_soft(m.skill_id, lex) else hp).add(surface)
        hard_pred.append(hp)
        soft_pred.append(sp)
    gold_k = [p["knowledge"] for p in dev]
    gold_s = [p["skill"] for p in dev]
    # Dictionary baseline: knowledge spans of train, matched verbatim (case-insensitive, word-bounded).
    words = {normalize(s) for p in train for s in p["knowledge"] if normalize(s)}
    base_pred: list[set[str]] = []
    for p in dev:
        text = " " + normalize(" ".join(p["lines"])) + " "
        base_pred.append({w for w in words if f" {w} " in text})
    return {
        "postings": len(dev),
        "engine_knowledge": _set_prf(hard_pred, gold_k, lex),
        "engine_skill": _set_prf(soft_pred, gold_s, lex),
        "baseline_knowledge": _set_prf(base_pred, gold_k, lex),
    }


# --- (b) titles ---------------------------------------------------------------------------


def eval_titles(lex: EngineLexicon, limit: int | None = None) -> dict[str, Any]:
    occ: dict[str, tuple[str, list[str]]] = {}
    with (SHARED / "esco-v1.0-en" / "occupations_en.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            occ[r["conceptUri"]] = (
                r["preferredLabel"],
                [a for a in r.get("altLabels", "").split("\n") if a.strip()],
            )
    label_to_uri: dict[str, str] = {}
    for uri, (pref, alts) in sorted(occ.items()):
        for lab in [pref, *alts]:
            label_to_uri.setdefault(normalize(lab), uri)

    def family_of_uri(uri: str) -> str | None:
        pref = occ.get(uri, ("", []))[0]
        hits = lex.title_forms.get(normalize(pref))
        return hits[0][0] if hits else None

    n = ok = ok_base = covered = 0
    with (SHARED / "jobbert-titles-esco" / "titles.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows[:limit] if limit else rows:
        gold = family_of_uri(r["conceptUri"])
        if gold is None:
            continue
        n += 1
        tp = parse_title(r["vacancyTitle"], lex)
        if tp.families:
            covered += 1
        if any(f == gold for f, _ in tp.families[:1]):
            ok += 1
        uri = label_to_uri.get(normalize(r["vacancyTitle"]))
        if uri is not None and family_of_uri(uri) == gold:
            ok_base += 1
    return {
        "titles": n,
        "engine_accuracy": ok / n if n else 0.0,
        "engine_coverage": covered / n if n else 0.0,
        "baseline_exact_label_accuracy": ok_base / n if n else 0.0,
    }


# --- (c) ranking ----------------------------------------------------------------------------


def eval_ranking(
    lex: EngineLexicon, n_candidates: int = 2000, n_dense: int = 500, use_stats: bool = True
) -> dict[str, Any]:
    raws = raw_profiles()
    docs = load_docs(raws, lex)
    ids = [d.profile_id for d in docs]
    id_arr = np.array(ids)
    queries = load_queries()
    qrels = load_qrels()
    t = time.perf_counter()
    bm_full = BM25([profile_text(r) for r in raws])
    build_s = time.perf_counter() - t
    # Co-occurrence statistics over the pool, as the index would compute them (ICP expansion).
    stats = compute_skill_stats(docs) if use_stats else None
    emb = load_static_embedder()
    cards = emb.embed_many([profile_card(d) for d in docs]) if emb is not None else None
    runs: dict[str, dict[str, list[str]]] = defaultdict(dict)
    gen_recall: list[float] = []
    timings: list[float] = []
    cache = ViewCache(max_items=len(docs) + 10)
    t = time.perf_counter()
    for d in docs:
        cache.get(d, lex, TODAY)
    view_ms = (time.perf_counter() - t) * 1000 / max(1, len(docs))

    def top(scores: np.ndarray, k: int = 100) -> list[str]:
        order = np.lexsort((id_arr, -scores))[:k]
        return [ids[i] for i in order]

    for q in queries:
        runs["bm25_title_description"][q.qid] = top(bm_full.scores(f"{q.title} {q.job_description}"))
        runs["bm25_title_only"][q.qid] = top(bm_full.scores(q.title))
        icp = derive_icp(IcpInput(q.title, q.job_description, q.location, q.query), lex, stats)
        lexs = bm_full.scores(icp_terms(icp))
        runs["icp_bm25_no_ranker"][q.qid] = top(lexs)
        dense = np.zeros(len(docs))
        if emb is not None and cards is not None:
            runs["dense_only"][q.qid] = top(cards @ emb.embed(f"{q.title}. {q.job_description}"))
            dense = cards @ emb.embed(icp_card(icp))
        # Candidate generation: hard filters (as the index applies them) + top-N expanded BM25 ∪ dense top-M.
        m = build_matcher(icp, lex)
        order = list(np.lexsort((id_arr, -lexs))[: n_candidates * 2])
        if emb is not None:
            order += list(np.lexsort((id_arr, -dense))[:n_dense])
        cands = []
        seen: set[int] = set()
        n_lex = 0
        for i in order:
            if i in seen:
                continue
            seen.add(i)
            v = cache.get(docs[i], lex, TODAY)
            if hard_filter(v, icp, m) is not None:
                continue
            cands.append(docs[i])
            n_lex += 1
            if n_lex >= n_candidates + n_dense:
                break
        rel = {p for p, g in qrels.get(q.qid, {}).items() if g >= 2}
        got = {d.profile_id for d in cands}
        gen_recall.append(len(rel & got) / len(rel) if rel else 0.0)
        req = EngineRequest(q.title, q.job_description, q.location, q.query, limit=100, today=TODAY, icp=icp)
        lexical = {ids[i]: float(lexs[i]) for i in order}
        t = time.perf_counter()
        res = run_engine(req, cands, lexical, lex, view_cache=cache, embedder=emb)
        timings.append(time.perf_counter() - t)
        runs["engine"][q.qid] = [c["profileId"] for c in res.candidates]
    results = {name: evaluate(r, qrels) for name, r in runs.items()}
    best_base = max(v["ndcg@10"] for k, v in results.items() if k != "engine")
    return {
        "queries": len(queries),
        "profiles": len(docs),
        "results": results,
        "engine_vs_best_baseline": results["engine"]["ndcg@10"] / best_base if best_base else 0.0,
        "candidate_generation_recall": float(np.mean(gen_recall)),
        "n_candidates": n_candidates,
        "n_dense": n_dense if emb is not None else 0,
        "engine_ms_p50": float(np.percentile(timings, 50) * 1000),
        "engine_ms_p95": float(np.percentile(timings, 95) * 1000),
        "view_ms_per_profile": view_ms,
        "bm25_build_s": build_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["skills", "titles", "ranking"], action="append")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--titles-limit", type=int, default=None)
    ap.add_argument("--no-stats", action="store_true", help="no co-occurrence expansion in the ICP")
    args = ap.parse_args()
    only = set(args.only or ["skills", "titles", "ranking"])
    lex = engine_lexicon()
    out: dict[str, Any] = {}
    if "skills" in only:
        out["skills"] = eval_skills(lex)
    if "titles" in only:
        out["titles"] = eval_titles(lex, args.titles_limit)
    if "ranking" in only:
        out["ranking"] = eval_ranking(lex, use_stats=not args.no_stats)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    if "skills" in out:
        s = out["skills"]
        print(f"\n(a) SkillSpan dev, {s['postings']} postings, lenient set match (Dice >= 0.5)")
        print(f"{'system':32} {'P':>6} {'R':>6} {'F1':>6}")
        for name, key in (
            ("engine, knowledge (hard)", "engine_knowledge"),
            ("word list from train, knowledge", "baseline_knowledge"),
            ("engine, skill (soft)", "engine_skill"),
        ):
            v = s[key]
            print(f"{name:32} {v['precision']:6.3f} {v['recall']:6.3f} {v['f1']:6.3f}")
    if "titles" in out:
        t = out["titles"]
        print(
            f"\n(b) Title normalisation, {t['titles']} jobbert vacancy titles -> ESCO occupation (family level)"
        )
        print(
            f"engine accuracy {t['engine_accuracy']:.3f} (coverage {t['engine_coverage']:.3f}); "
            f"exact-label baseline {t['baseline_exact_label_accuracy']:.3f}"
        )
    if "ranking" in out:
        r = out["ranking"]
        print(f"\n(c) Ranking, bench-dev ({r['queries']} queries, {r['profiles']} profiles)")
        print(f"{'system':28} {'NDCG@10':>8} {'P@10':>6} {'R@100':>6} {'MRR':>6}")
        for name, v in r["results"].items():
            print(f"{name:28} {v['ndcg@10']:8.3f} {v['p@10']:6.3f} {v['r@100']:6.3f} {v['mrr']:6.3f}")
        print(
            f"engine / best baseline NDCG@10: {r['engine_vs_best_baseline']:.2f}x; candidate generation recall "
            f"(grade>=2 among <= {r['n_candidates']} lexical + {r['n_dense']} dense candidates): "
            f"{r['candidate_generation_recall']:.3f}\nengine time per query (ICP, features, rank, explain top 100; "
            f"profile views warm): p50 {r['engine_ms_p50']:.0f} ms, p95 {r['engine_ms_p95']:.0f} ms; "
            f"profile view build {r['view_ms_per_profile']:.2f} ms per profile (once, cached)"
        )


if __name__ == "__main__":
    main()

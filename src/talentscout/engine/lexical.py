"""An in-memory BM25 (k1 1.2, b 0.75, light suffix stemming) over numpy postings.

The lexical stage when there is no tantivy index (``talentscout search
--profiles FILE``, tests) and the baselines of ``bench/eval.py``. Pure: it
scores texts it is given. Queries are plain text or weighted terms, so an
ICP-expanded query (:func:`icp_terms`) can be scored the same way the index
would score the compiled query.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from talentscout.engine.icp import ICP

__all__ = ["BM25", "analyze", "icp_terms", "stem"]

_WORD = re.compile(r"[a-z0-9][a-z0-9+#.]*")
_SUFFIXES = (
    "ational",
    "ization",
    "fulness",
    "iveness",
    "ousness",
    "ations",
    "ation",
    "ments",
    "ment",
    "ness",
    "ings",
    "ing",
    "ies",
    "ied",
    "ers",
    "er",
    "ed",
    "es",
    "ly",
    "s",
)


def stem(w: str) -> str:
    """Strip one common English suffix ("engineers" -> "engine", "nursing" -> "nurs")."""
    if len(w) <= 4 or not w.isalpha():
        return w
    for suf in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            base = w[: -len(suf)]
            if suf == "ies":
                return base + "y"
            return base
    return w


def analyze(text: str) -> list[str]:
    """Lowercased, stemmed word tokens."""
    return [stem(t.rstrip(".")) for t in _WORD.findall(text.lower()) if t.rstrip(".")]


class BM25:
    """Okapi BM25 over a fixed list of documents."""

    def __init__(self, docs: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.vocab: dict[str, int] = {}
        postings: dict[int, list[tuple[int, int]]] = {}
        lengths = np.zeros(self.n, dtype=np.float64)
        for d, text in enumerate(docs):
            toks = analyze(text)
            lengths[d] = len(toks)
            for t, c in Counter(toks).items():
                tid = self.vocab.setdefault(t, len(self.vocab))
                postings.setdefault(tid, []).append((d, c))
        self.avgdl = float(lengths.mean()) if self.n else 0.0
        self.lengths = lengths
        self.post_docs: dict[int, np.ndarray] = {}
        self.post_tf: dict[int, np.ndarray] = {}
        self.idf: dict[int, float] = {}
        for tid, lst in postings.items():
            arr = np.array(lst, dtype=np.int64)
            self.post_docs[tid] = arr[:, 0]
            self.post_tf[tid] = arr[:, 1].astype(np.float64)
            df = len(lst)
            self.idf[tid] = math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query: str | Iterable[tuple[str, float]]) -> np.ndarray:
        """BM25 of every doc; *query* is text or (term text, weight) pairs."""
        out = np.zeros(self.n, dtype=np.float64)
        terms: dict[str, float] = {}
        if isinstance(query, str):
            for t in analyze(query):
                terms[t] = terms.get(t, 0.0) + 1.0
        else:
            for text, w in query:
                for t in analyze(text):
                    terms[t] = max(terms.get(t, 0.0), w)
        norm = self.k1 * (1 - self.b + self.b * self.lengths / (self.avgdl or 1.0))
        for t, qw in terms.items():
            tid = self.vocab.get(t)
            if tid is None:
                continue
            docs = self.post_docs[tid]
            tf = self.post_tf[tid]
            out[docs] += qw * self.idf[tid] * tf * (self.k1 + 1) / (tf + norm[docs])
        return out


def icp_terms(icp: ICP) -> list[tuple[str, float]]:
    """Weighted query terms of an ICP (titles, skills with their surfaces, expansions, keywords)."""
    terms: list[tuple[str, float]] = [(icp.title, 1.0)]
    terms += [(t.value, t.weight) for t in icp.targetTitles]
    terms += [(t.value, 0.6 * t.weight) for t in icp.titleSynonyms if t.kind == "synonym"][:6]
    for c in icp.mustHaveSkills:
        terms += [(s, c.weight) for s in c.surfaces[:3]]
    for c in icp.niceToHaveSkills:
        terms += [(s, 0.5 * c.weight) for s in c.surfaces[:2]]
    for e in icp.expandedSkills:
        terms += [(s, 0.5 * e.weight) for s in e.surfaces[:1]]
    terms += [(k.value, k.weight) for k in icp.keywords]
    return [(t, w) for t, w in terms if t]

"""Static text embeddings on numpy alone (distilled from all-MiniLM-L6-v2).

A text is lower-cased, accent-stripped and split like BERT's basic tokenizer,
each word is cut into WordPiece tokens (greedy longest match against the
model's vocabulary), and the embedding is the L2-normalised mean of the token
rows of the static matrix built by ``bench/engine/build_static_model.py``.
Thousands of short cards per second on one core; no torch at run time.

Cards: :func:`profile_card` (headline, titles, skills) and :func:`icp_card`
(title, target family, skills) are the short texts compared for the
``semantic`` feature and for dense retrieval.

:func:`load_static_embedder` reads the committed artifact (package data, like
the lexicons); everything else here is pure.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from talentscout.engine.icp import ICP
from talentscout.engine.profile import ProfileDoc

__all__ = ["StaticEmbedder", "icp_card", "load_static_embedder", "profile_card"]

MODEL_DIR = "data/static-minilm"


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


class StaticEmbedder:
    """Token-embedding matrix + WordPiece vocabulary."""

    def __init__(
        self, matrix: npt.NDArray[np.floating], vocab: Sequence[str], max_word_chars: int = 100
    ) -> None:
        self.matrix = np.asarray(matrix, dtype=np.float32)
        self.vocab = {tok: i for i, tok in enumerate(vocab)}
        self.unk = self.vocab.get("[UNK]", 0)
        self.max_word_chars = max_word_chars
        self.dims = int(self.matrix.shape[1])
        self._word_cache: dict[str, tuple[int, ...]] = {}

    def _basic(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
        out: list[str] = []
        for word in text.split():
            cur: list[str] = []
            for ch in word:
                if _is_punct(ch):
                    if cur:
                        out.append("".join(cur))
                        cur = []
                    out.append(ch)
                else:
                    cur.append(ch)
            if cur:
                out.append("".join(cur))
        return out

    def _wordpiece(self, word: str) -> tuple[int, ...]:
        got = self._word_cache.get(word)
        if got is not None:
            return got
        if len(word) > self.max_word_chars:
            res: tuple[int, ...] = (self.unk,)
        else:
            ids: list[int] = []
            start = 0
            ok = True
            while start < len(word):
                end = len(word)
                found = None
                while start < end:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    idx = self.vocab.get(piece)
                    if idx is not None:
                        found = idx
                        break
                    end -= 1
                if found is None:
                    ok = False
                    break
                ids.append(found)
                start = end
            res = tuple(ids) if ok else (self.unk,)
        if len(self._word_cache) < 500_000:
            self._word_cache[word] = res
        return res

    def token_ids(self, text: str) -> list[int]:
        ids: list[int] = []
        for w in self._basic(text):
            ids.extend(self._wordpiece(w))
        return ids

    def embed(self, text: str) -> npt.NDArray[np.float32]:
        """The normalised embedding of *text* (zeros for empty text)."""
        ids = [i for i in self.token_ids(text) if i != self.unk]
        if not ids:
            return np.zeros(self.dims, dtype=np.float32)
        v: npt.NDArray[np.float32] = self.matrix[ids].mean(axis=0).astype(np.float32)
        norm = float(np.linalg.norm(v))
        return v / np.float32(norm) if norm > 0 else v

    def embed_many(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = self.embed(t)
        return out


def profile_card(doc: ProfileDoc, max_skills: int = 12) -> str:
    """Short text of what a profile is about: headline, titles (current first), skills."""
    parts: list[str] = []
    if doc.headline:
        parts.append(doc.headline)
    parts += [p.title for p in doc.positions[:4] if p.title]
    parts += [s.surface for s in doc.skills[:max_skills] if s.source != "experience"]
    return ". ".join(dict.fromkeys(parts))


def icp_card(icp: ICP, max_skills: int = 12) -> str:
    """Short text of the ideal candidate: title, target family, synonyms, skills."""
    parts: list[str] = [icp.title]
    parts += [t.value for t in icp.targetTitles[:1]]
    parts += [t.value for t in icp.titleSynonyms if t.kind == "synonym"][:3]
    parts += [s.label for s in icp.mustHaveSkills[:max_skills]]
    parts += [s.label for s in icp.niceToHaveSkills[: max(0, max_skills // 2)]]
    return ". ".join(dict.fromkeys(p for p in parts if p))


@lru_cache(maxsize=1)
def load_static_embedder() -> StaticEmbedder | None:
    """The committed model (None when the artifact is absent from this build)."""
    base = resources.files("talentscout.engine").joinpath(MODEL_DIR)
    try:
        with base.joinpath("embeddings.npy").open("rb") as fh:
            matrix = np.load(fh)
        vocab = base.joinpath("vocab.txt").read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, OSError):
        return None
    return StaticEmbedder(matrix, vocab)

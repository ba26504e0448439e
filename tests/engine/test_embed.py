"""The static embedding model: WordPiece tokenisation, determinism, sensible neighbours."""

from __future__ import annotations

import numpy as np
import pytest

from talentscout.engine.embed import StaticEmbedder, load_static_embedder


def test_wordpiece_on_a_toy_vocabulary() -> None:
    vocab = ["[PAD]", "[UNK]", "data", "engine", "##er", "##ering", ",", "nurse"]
    mat = np.eye(len(vocab), dtype=np.float32)
    e = StaticEmbedder(mat, vocab)
    assert e.token_ids("Data Engineer, NURSE") == [2, 3, 4, 6, 7]
    assert e.token_ids("Dätä") == [2]  # accents stripped like BERT's basic tokenizer
    assert e.token_ids("zzz") == [1]
    v = e.embed("data engineering")
    assert v.shape == (8,) and abs(float(np.linalg.norm(v)) - 1.0) < 1e-6
    assert not e.embed("").any()


def test_shipped_model_neighbours() -> None:
    e = load_static_embedder()
    if e is None:
        pytest.skip("static model artifact not present in this build")
    nurse, rn, acct = (
        e.embed("registered nurse"),
        e.embed("RN charge nurse on a hospital ward"),
        e.embed("accountant"),
    )
    assert float(nurse @ rn) > float(nurse @ acct)
    assert np.array_equal(e.embed("chef"), e.embed("chef"))

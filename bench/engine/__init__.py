"""Engine evaluation helpers (data loading, BM25 baselines, metrics) for `bench/eval.py`."""

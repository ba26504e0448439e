"""The sourcing engine: ICP derivation, query building, ranking, explanations.

Pure and synchronous: no I/O, no FastAPI, SQLAlchemy or httpx, so it is fast to
test and reusable from the CLI and the worker alike.
"""

"""Per-process engine resources for the worker: lexicons, embedder, the local index.

Loading lexicons takes ~0.3–1 s and the index opens in milliseconds, so both are
loaded once per process (lazily, off the event loop) and reused by every run.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

from talentscout.engine.embed import StaticEmbedder, load_static_embedder
from talentscout.engine.features import ViewCache
from talentscout.engine.lexicon import EngineLexicon
from talentscout.index.search import ProfileIndex, index_path
from talentscout.lexicons.gazetteer import load_gazetteer
from talentscout.lexicons.load import load_lexicons


@dataclass(frozen=True)
class EngineResources:
    lexicon: EngineLexicon
    embedder: StaticEmbedder | None
    # Per-profile feature views, keyed by profile id + update time: popular profiles recur
    # across runs, and building a view is the engine's most expensive per-candidate step.
    view_cache: ViewCache


_lock = threading.Lock()
_resources: EngineResources | None = None
_indexes: dict[Path, ProfileIndex] = {}


def _load() -> EngineResources:
    global _resources
    with _lock:
        if _resources is None:
            _resources = EngineResources(
                EngineLexicon.from_lexicons(load_lexicons(), load_gazetteer()),
                load_static_embedder(),
                ViewCache(),
            )
        return _resources


async def engine_resources() -> EngineResources:
    return _resources if _resources is not None else await asyncio.to_thread(_load)


def open_index(data_dir: Path) -> ProfileIndex:
    """The local index of `data_dir`, opened once per process and reloaded to see new commits."""
    path = index_path(data_dir)
    with _lock:
        index = _indexes.get(path)
        if index is None:
            index = ProfileIndex.open(path, create=True)
            _indexes[path] = index
    index.reload()
    return index

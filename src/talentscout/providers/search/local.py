"""`local`: the embedded tantivy index of this instance (ENGINE.md §1 storage and retrieval).

No network, so no retries or breaker: the query compiles from the ICP, runs in
a worker thread (tantivy releases the GIL, and the event loop must stay free),
and answers local profile ids with their BM25 scores. Visibility and the
session's exclusions are MUST / MUST_NOT clauses of the query itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from talentscout.engine.icp import ICP
from talentscout.engine.query import compile_query
from talentscout.providers.search.base import ProviderError, ProviderHit
from talentscout.sourcing.resources import open_index

__all__ = ["LocalProvider"]


class LocalProvider:
    """The embedded index under `data_dir`."""

    name = "local"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def _search(
        self, icp: ICP, company_id: str | None, exclude_ids: Sequence[str], limit: int
    ) -> list[ProviderHit]:
        index = open_index(self.data_dir)
        query = compile_query(icp, company_id=company_id, exclude_ids=exclude_ids)
        return [ProviderHit.local(pid, score) for pid, score in index.search(query, limit)]

    async def search(
        self, icp: ICP, *, company_id: str | None, exclude_ids: Sequence[str], limit: int
    ) -> list[ProviderHit]:
        try:
            return await asyncio.to_thread(self._search, icp, company_id, list(exclude_ids), limit)
        except Exception as exc:  # a broken or missing index is a provider failure: fail over
            raise ProviderError(self.name, f"local index: {type(exc).__name__}: {exc}"[:300]) from exc

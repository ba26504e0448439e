"""Fixtures for the profile index: a migrated SQLite database and an empty index per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from talentscout.db import Database
from talentscout.index.importers import Importer
from talentscout.index.search import ProfileIndex
from talentscout.index.vocab import Vocabulary, load_vocabulary
from talentscout.migrate import upgrade_async

BENCH_DEV = Path("/work/shared/data/bench-dev/profiles.jsonl")


@dataclass
class Pool:
    db: Database
    index: ProfileIndex
    path: Path
    url: str

    def importer(self, company_id: str | None = None, **kw: object) -> Importer:
        return Importer(self.db, self.index, company_id=company_id, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def vocab() -> Vocabulary:
    return load_vocabulary()


@pytest.fixture
async def pool(tmp_path: Path, vocab: Vocabulary) -> AsyncIterator[Pool]:
    url = f"sqlite+aiosqlite:///{tmp_path}/talentscout.db"
    await upgrade_async(url)
    db = Database(url)
    index = ProfileIndex.open(tmp_path / "index", create=True)
    try:
        yield Pool(db=db, index=index, path=tmp_path, url=url)
    finally:
        await db.dispose()

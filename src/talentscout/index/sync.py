"""Keeping the search index in step with the profile table, and rebuilding it.

The database is the system of record. Every profile write takes a higher `seq`;
the index stores the highest `seq` it has committed (its watermark). So:

* `catch_up` re-indexes rows with `seq >` watermark (delete-then-add, so it is
  idempotent) — run by every import before it starts, and by `ensure_index`;
* an index whose watermark is above the table's highest `seq` belongs to another
  database (or the table was reset): it is rebuilt from scratch;
* `rebuild` re-creates the index from every row, in place, as one commit, so
  readers switch from the old to the new contents atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import structlog

from talentscout.db import Database
from talentscout.index import store
from talentscout.index.search import IndexOutdatedError, IndexWriterSession, ProfileIndex, index_fields

__all__ = ["catch_up", "ensure_index", "rebuild"]

log = structlog.get_logger(__name__)

ProgressFn = Callable[[int], None]


async def catch_up(
    db: Database, index: ProfileIndex, writer: IndexWriterSession, progress: ProgressFn | None = None
) -> int:
    """Bring `index` up to the table; returns how many documents were (re-)indexed. Commits if any."""
    async with db.read() as session:
        top = await store.max_seq(session)
    mark = index.watermark
    if top == mark:
        return 0
    # Delete-then-add unless the index is (being made) empty: a crash between a
    # tantivy commit and the watermark write leaves documents above the mark.
    replace = index.num_docs > 0
    if top < mark:
        # The index has changes the table does not: not ours any more. Start over.
        writer.delete_all()
        mark, replace = 0, False
    n = 0
    last = mark
    async for batch in store.iter_changed(db, after_seq=mark):
        writer.add([index_fields(sp.doc) for sp in batch], replace=replace)
        n += len(batch)
        last = batch[-1].seq
        if progress is not None:
            progress(len(batch))
    writer.commit()
    writer.set_watermark(last if n else top)
    index.reload()
    return n


async def rebuild(
    db: Database, path: Path, *, threads: int = 2, progress: ProgressFn | None = None
) -> int:
    """Re-create the index at `path` from every profile row; returns the document count."""
    try:
        index = ProfileIndex.open(path, create=True)
    except IndexOutdatedError:
        index = ProfileIndex.create(path)  # a schema change: readers must reopen anyway
    n = 0
    top = 0
    with index.writer(threads=threads, heap_bytes=256_000_000) as writer:
        writer.delete_all()
        async for batch in store.iter_changed(db, after_seq=0):
            writer.add([index_fields(sp.doc) for sp in batch])
            n += len(batch)
            top = batch[-1].seq
            if progress is not None:
                progress(len(batch))
        writer.commit()
        writer.set_watermark(top)
    index.reload()
    return n


async def ensure_index(db: Database, path: Path) -> ProfileIndex:
    """Open (or create) the index at `path` and catch it up with the table."""
    try:
        index = ProfileIndex.open(path, create=True)
    except IndexOutdatedError:
        await rebuild(db, path)
        return ProfileIndex.open(path)
    async with db.read() as session:
        top = await store.max_seq(session)
    if top != index.watermark:
        try:
            writer = index.writer()
        except ValueError as exc:
            # Another process holds the writer lock (an import, or a sibling API
            # process catching up): it brings the index up to date; read as is.
            log.info("index is being written elsewhere; opening read-only", reason=str(exc)[:120])
            return index
        with writer:
            await catch_up(db, index, writer)
    return index

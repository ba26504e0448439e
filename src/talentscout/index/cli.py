"""`talentscout index …`: import profile files, generate the demo pool, rebuild the search index.

With `--index-dir DIR` a command is self-contained: the profile database is
`DIR/talentscout.db` (unless `TALENTSCOUT_DATABASE_URL` is set) and the index is
`DIR/index`, so benchmarks can build and query throwaway pools. Without it the
service's database and `TALENTSCOUT_DATA_DIR/index` are used. The schema is
migrated to every head first (idempotent).
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from talentscout.config import get_settings
from talentscout.db import Database

index_app = typer.Typer(no_args_is_help=True, help="Candidate profiles: import, demo pool, search index.")
console = Console(stderr=True)
out = Console()
T = TypeVar("T")

IndexDirOpt = Annotated[
    Path | None,
    typer.Option("--index-dir", help="Self-contained pool: DIR/talentscout.db (unless TALENTSCOUT_DATABASE_URL) + DIR/index."),
]
CompanyOpt = Annotated[
    str | None, typer.Option("--company", help="Import as this company's private profiles (default: global).")
]
WorkersOpt = Annotated[
    int | None, typer.Option("--workers", help="Worker processes for validation/normalisation (default: cores - 1).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")]


@dataclass(frozen=True)
class _Target:
    database_url: str
    index_dir: Path
    self_contained: bool


def _target(index_dir: Path | None) -> _Target:
    settings = get_settings()
    if index_dir is None:
        return _Target(settings.database_url, settings.data_dir / "index", False)
    index_dir.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("TALENTSCOUT_DATABASE_URL") or f"sqlite+aiosqlite:///{index_dir.resolve()}/talentscout.db"
    return _Target(url, index_dir / "index", True)


def _prepare_db(target: _Target) -> None:
    from talentscout.migrate import upgrade

    upgrade(target.database_url)


def _run(target: _Target, fn: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database(target.database_url)
        try:
            return await fn(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def _company(company: str | None, target: _Target) -> str | None:
    if company is None:
        return None
    try:
        cid = str(uuid.UUID(company))
    except ValueError as exc:
        raise typer.BadParameter("--company must be a company id (UUID)") from exc
    if target.self_contained:
        return cid  # a throwaway pool has no companies table rows to check against

    async def exists(db: Database) -> bool:
        from sqlalchemy import select

        from talentscout.tenancy.models import Company

        async with db.read() as session:
            return (await session.execute(select(Company.id).where(Company.id == uuid.UUID(cid)))).first() is not None

    if not _run(target, exists):
        console.print(f"[red]no company {cid}[/red]")
        raise typer.Exit(2)
    return cid


def _workers(workers: int | None) -> int:
    from talentscout.index.importers import default_workers, freeze_static_heap
    from talentscout.index.vocab import load_vocabulary

    load_vocabulary()  # once, before worker processes fork from this one
    freeze_static_heap()
    return default_workers() if workers is None else max(0, workers)


def _progress(*, bytes_mode: bool) -> Progress:
    cols = [TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn()]
    if bytes_mode:
        cols += [DownloadColumn(), TransferSpeedColumn()]
    else:
        cols += [MofNCompleteColumn()]
    cols += [TimeElapsedColumn(), TimeRemainingColumn()]
    return Progress(*cols, console=console, transient=False)


def _index_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def _summary(report: object, target: _Target, as_json: bool, extra: dict[str, object] | None = None) -> None:
    from talentscout.index.importers import ImportReport

    assert isinstance(report, ImportReport)
    data: dict[str, object] = {
        "imported": report.imported,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "rows": report.rows,
        "seconds": round(report.seconds, 3),
        "rowsPerSecond": round(report.rows_per_second, 1),
        "indexDir": str(target.index_dir),
        "indexBytes": _index_size(target.index_dir),
        "rejections": [
            {"file": r.file, "line": r.line, "externalId": r.external_id, "reason": r.reason}
            for r in report.rejections[:1000]
        ],
        **(extra or {}),
    }
    if as_json:
        out.print_json(json.dumps(data))
        return
    table = Table("imported", "updated", "unchanged", "rejected", "rows/s", "seconds", title="import summary")
    table.add_row(
        str(report.imported),
        str(report.updated),
        str(report.unchanged),
        f"[red]{report.rejected}[/red]" if report.rejected else "0",
        f"{report.rows_per_second:,.0f}",
        f"{report.seconds:,.1f}",
    )
    out.print(table)
    if report.rejections:
        rej = Table("file", "line", "externalId", "reason", title=f"rejected rows (first {min(20, report.rejected)})")
        for r in report.rejections[:20]:
            rej.add_row(r.file, str(r.line), r.external_id or "", r.reason)
        out.print(rej)


@index_app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="JSONL (.jsonl), JSON Resume (.json) or CSV (.csv) files.")],
    company: CompanyOpt = None,
    index_dir: IndexDirOpt = None,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import profiles (idempotent by externalId; bad rows are reported and skipped)."""
    from talentscout.index.importers import Importer, detect_format
    from talentscout.index.search import ProfileIndex

    for f in files:
        if not f.is_file():
            raise typer.BadParameter(f"{f}: no such file")
        try:
            detect_format(f)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    target = _target(index_dir)
    _prepare_db(target)
    company_id = _company(company, target)
    total = sum(f.stat().st_size for f in files)

    async def go(db: Database) -> object:
        index = ProfileIndex.open(target.index_dir, create=True)
        importer = Importer(db, index, company_id=company_id, workers=_workers(workers), index_threads=2)
        with _progress(bytes_mode=True) as bar:
            task = bar.add_task("importing", total=total)
            return await importer.import_files(files, progress=lambda n: bar.advance(task, n))

    report = _run(target, go)
    _summary(report, target, as_json)


@index_app.command("demo")
def demo_cmd(
    profiles: Annotated[int, typer.Option("--profiles", min=1, help="How many profiles to generate.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Pool seed: the same seed gives the same pool.")] = 1,
    company: CompanyOpt = None,
    index_dir: IndexDirOpt = None,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate a realistic demo talent pool and index it (re-running updates it in place)."""
    from talentscout.index.importers import Importer
    from talentscout.index.search import ProfileIndex

    target = _target(index_dir)
    _prepare_db(target)
    company_id = _company(company, target)

    async def go(db: Database) -> object:
        index = ProfileIndex.open(target.index_dir, create=True)
        importer = Importer(
            db, index, company_id=company_id, workers=_workers(workers), index_threads=2, source="demo"
        )
        with _progress(bytes_mode=False) as bar:
            task = bar.add_task(f"demo pool (seed {seed})", total=profiles)
            return await importer.import_demo(profiles, seed=seed, progress=lambda n: bar.advance(task, n))

    report = _run(target, go)
    _summary(report, target, as_json, {"seed": seed})


@index_app.command("rebuild")
def rebuild_cmd(
    index_dir: IndexDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-create the search index from the profile table (readers switch atomically)."""
    import time

    from talentscout.index import store
    from talentscout.index.sync import rebuild

    target = _target(index_dir)
    _prepare_db(target)

    async def go(db: Database) -> int:
        from sqlalchemy import func, select

        from talentscout.index.models import Profile

        async with db.read() as session:
            total = int((await session.execute(select(func.count()).select_from(Profile))).scalar_one())
            await store.max_seq(session)
        with _progress(bytes_mode=False) as bar:
            task = bar.add_task("rebuilding index", total=total)
            return await rebuild(db, target.index_dir, progress=lambda n: bar.advance(task, n))

    started = time.perf_counter()
    n = _run(target, go)
    seconds = time.perf_counter() - started
    data = {"documents": n, "seconds": round(seconds, 3), "indexDir": str(target.index_dir),
            "indexBytes": _index_size(target.index_dir)}
    if as_json:
        out.print_json(json.dumps(data))
    else:
        out.print(f"[green]indexed {n:,} profiles in {seconds:,.1f} s[/green] ({target.index_dir})")
